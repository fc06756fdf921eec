import type { OraculConfig } from '../../config/schema.ts';
import type { Logger } from '../../core/logger.ts';
import { AlertSinkMissingError } from './errors.ts';
import { SlackSink } from './slack.ts';
import type { AlertSink } from './types.ts';

/** The configured sink. Slack today; a Telegram or e-mail sink is another AlertSink chosen here. */
export function createAlertSink(config: Pick<OraculConfig, 'alerts'>, logger: Logger): AlertSink {
  const a = config.alerts;
  if (a.slackWebhookUrl === undefined) {
    throw new AlertSinkMissingError('alerts.slackWebhookUrl is not set (ORACUL_ALERTS_SLACK_WEBHOOK_URL)');
  }
  return new SlackSink({
    webhookUrl: a.slackWebhookUrl,
    logger,
    maxAttempts: a.maxAttempts,
    requestTimeoutMs: a.requestTimeoutMs,
  });
}
