import { NonRetryableError, RetryableError } from '../../core/errors.ts';

/** A sink could not deliver after its attempts (HTTP 429/5xx, timeout, network); the digest goes to the outbox. */
export class AlertDeliveryError extends RetryableError {
  override readonly name = 'AlertDeliveryError';
  constructor(sink: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('ORACUL_ALERT_DELIVERY_FAILED', `${sink}: ${message}`, { details: { sink, ...details }, cause });
  }
}

/** The sink rejected the message for good (HTTP 4xx other than 429: bad payload, revoked webhook). */
export class AlertRejectedError extends NonRetryableError {
  override readonly name = 'AlertRejectedError';
  constructor(sink: string, status: number, body: string) {
    super('ORACUL_ALERT_REJECTED', `${sink}: HTTP ${status}: ${body.slice(0, 200)}`, { details: { sink, status } });
  }
}

/** No sink is configured although alerts are to be sent (e.g. alerts.slackWebhookUrl missing). */
export class AlertSinkMissingError extends NonRetryableError {
  override readonly name = 'AlertSinkMissingError';
  constructor(message: string) {
    super('ORACUL_ALERT_SINK_MISSING', message);
  }
}
