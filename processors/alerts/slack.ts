/**
 * Slack incoming-webhook sink: Block Kit messages, retries with exponential backoff on 429 and 5xx honouring
 * Retry-After. The webhook URL is a secret: it is never logged nor put in an error (errors name the host only).
 */
import type { Logger } from '../../core/logger.ts';
import { backoffDelayMs } from '../../core/retry.ts';
import { AlertDeliveryError, AlertRejectedError } from './errors.ts';
import type { Alert, AlertDigest, AlertSink, AlertSummary } from './types.ts';

/** Slack allows 50 blocks per message; each alert takes up to 3 (section, links, divider). */
const MAX_ALERTS_SHOWN = 15;

export interface SlackSinkOptions {
  readonly webhookUrl: string;
  readonly logger: Logger;
  /** HTTP attempts per send (default 5). */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  /** First backoff (doubles each attempt, jittered by core/retry's rule: ×[1, 2)), default 500 ms. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A Retry-After longer than this ends the attempts (the outbox retries later), default 120 s. */
  readonly maxRetryAfterMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const SEVERITY_EMOJI: Record<Alert['severity'], string> = {
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':white_circle:',
};
const KIND_LABEL: Record<Alert['kind'], string> = { anomaly: 'Anomaly', dq: 'Data quality', pipeline: 'Pipeline' };

/** Escapes Slack mrkdwn control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Block Kit payload of a digest (plain data, tested on its own). */
export function renderSlackMessage(digest: AlertDigest): { text: string; blocks: unknown[] } {
  const n = digest.alerts.length + (digest.summary?.count ?? 0);
  const highs = digest.alerts.filter((a) => a.severity === 'high').length + (digest.summary?.bySeverity.high ?? 0);
  const headline =
    n === 1 && digest.alerts.length === 1
      ? `${KIND_LABEL[digest.alerts[0]!.kind]}: ${digest.alerts[0]!.title}`
      : `Oracul: ${n} alert${n === 1 ? '' : 's'} (${highs} high)`;
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: headline.slice(0, 150), emoji: true } }];
  for (const alert of digest.alerts.slice(0, MAX_ALERTS_SHOWN)) {
    const lines = alert.fields.map(([label, value]) => `• *${escapeMrkdwn(label)}:* ${escapeMrkdwn(value)}`);
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [`${SEVERITY_EMOJI[alert.severity]} *${KIND_LABEL[alert.kind]}* · ${escapeMrkdwn(alert.title)}`, ...lines]
          .join('\n')
          .slice(0, 3000),
      },
    });
    if (alert.links.length > 0) {
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: alert.links.map(([label, url]) => `<${url}|${escapeMrkdwn(label)}>`).join(' · ') }],
      });
    }
    blocks.push({ type: 'divider' });
  }
  if (digest.alerts.length > MAX_ALERTS_SHOWN) {
    const more = digest.alerts.length - MAX_ALERTS_SHOWN;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${more} more in this digest` }] });
  }
  if (digest.summary !== undefined) blocks.push(...summaryBlocks(digest.summary));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `digest ${digest.id} · ${new Date(digest.createdAt).toISOString()}` }],
  });
  const summarised = digest.summary === undefined ? [] : [`[+${digest.summary.count} more, summarised]`];
  const text = [...digest.alerts.map((a) => `[${a.severity}] ${a.title}`), ...summarised].join('\n');
  return { text: `${headline}\n${text}`.slice(0, 3000), blocks };
}

/** The section of the alerts over the hourly detail budget: counts, a few titles, the links that list them all. */
function summaryBlocks(summary: AlertSummary): unknown[] {
  const { bySeverity: sev, byKind: kind } = summary;
  const counts = [
    `*${summary.count} more alerts* over the hourly detail budget: ${sev.high} high, ${sev.medium} medium, ${sev.low} low`,
    `(${kind.anomaly} anomalies, ${kind.dq} data-quality, ${kind.pipeline} pipeline)`,
  ].join(' ');
  const examples = summary.examples.map((t) => `• ${escapeMrkdwn(t)}`);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: [counts, ...examples].join('\n').slice(0, 3000) } },
  ];
  if (summary.links.length > 0) {
    const text = summary.links.map(([label, url]) => `<${url}|${escapeMrkdwn(label)}>`).join(' · ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
  }
  return blocks;
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unparsable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export class SlackSink implements AlertSink {
  readonly name = 'slack';
  private readonly host: string;

  constructor(private readonly options: SlackSinkOptions) {
    this.host = new URL(options.webhookUrl).host;
  }

  async send(digest: AlertDigest): Promise<void> {
    const o = this.options;
    const maxAttempts = o.maxAttempts ?? 5;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const random = o.random ?? Math.random;
    const body = JSON.stringify(renderSlackMessage(digest));
    let lastError = 'no attempt';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let waitMs: number | null = null;
      try {
        const response = await fetch(o.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(o.requestTimeoutMs ?? 10_000),
        });
        const text = await response.text();
        if (response.ok) {
          o.logger.info(
            { sink: this.name, host: this.host, digest: digest.id, alerts: digest.alerts.length, attempt },
            'alert digest delivered',
          );
          return;
        }
        if (response.status !== 429 && response.status < 500) throw new AlertRejectedError(this.name, response.status, text);
        lastError = `HTTP ${response.status}`;
        waitMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        if (waitMs !== null && waitMs > (o.maxRetryAfterMs ?? 120_000)) {
          throw new AlertDeliveryError(this.name, `Retry-After ${waitMs} ms exceeds the limit`, {
            host: this.host,
            status: response.status,
            retryAfterMs: waitMs,
          });
        }
      } catch (error) {
        if (error instanceof AlertRejectedError || error instanceof AlertDeliveryError) throw error;
        lastError = (error as Error).name === 'TimeoutError' ? 'timeout' : `network: ${(error as Error).message}`;
      }
      if (attempt === maxAttempts) break;
      const backoff = backoffDelayMs(
        attempt,
        { initialDelayMs: o.baseBackoffMs ?? 500, maxDelayMs: o.maxBackoffMs ?? 30_000 },
        random,
      );
      const delay = Math.max(waitMs ?? 0, backoff);
      o.logger.warn(
        { sink: this.name, host: this.host, digest: digest.id, attempt, error: lastError, retry_in_ms: Math.round(delay) },
        'alert delivery failed, retrying',
      );
      await sleep(delay);
    }
    throw new AlertDeliveryError(this.name, `gave up after ${maxAttempts} attempts (${lastError})`, {
      host: this.host,
      attempts: maxAttempts,
    });
  }
}
