import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertDeliveryError, AlertRejectedError } from './errors.ts';
import { escapeMrkdwn, parseRetryAfter, renderSlackMessage, SlackSink } from './slack.ts';
import { startWebhookServer, type WebhookServer } from './testing/webhook-server.ts';
import type { Alert, AlertDigest } from './types.ts';

const alert = (key: string, severity: Alert['severity'] = 'high'): Alert => ({
  kind: 'anomaly',
  key,
  title: `volume_usd above normal <${key}>`,
  severity,
  fields: [['Value vs baseline', '12,000 vs 999']],
  links: [['GraphQL', 'http://127.0.0.1:4000/graphql?query=x']],
  raisedAt: 1_700_000_000_000,
});
const digest = (alerts: Alert[]): AlertDigest => ({ id: 'd1', createdAt: 1_700_000_000_000, alerts });

function capturingLogger(): { logger: pino.Logger; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => out };
}

describe('Slack Block Kit rendering', () => {
  it('escapes mrkdwn and renders one section per alert with links', () => {
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    const msg = renderSlackMessage(digest([alert('x')]));
    expect(msg.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Anomaly: volume_usd above normal <x>', emoji: true },
    });
    expect(JSON.stringify(msg.blocks[1])).toContain('&lt;x&gt;');
    expect(msg.blocks[2]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<http://127.0.0.1:4000/graphql?query=x|GraphQL>' }],
    });
  });

  it('stays under 50 blocks for a large digest', () => {
    const msg = renderSlackMessage(digest(Array.from({ length: 40 }, (_, i) => alert(`k${i}`, i % 2 ? 'high' : 'medium'))));
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect((msg.blocks[0] as { text: { text: string } }).text.text).toBe('Oracul: 40 alerts (20 high)');
    expect(JSON.stringify(msg.blocks)).toContain('and 25 more');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });
});

describe('Slack sink against a local webhook server', () => {
  let server: WebhookServer;
  beforeEach(async () => {
    server = await startWebhookServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('429 with Retry-After then 200: waits at least Retry-After, delivered once, URL never logged', async () => {
    server.script([{ status: 429, retryAfter: '1' }]);
    const { logger, text } = capturingLogger();
    const sink = new SlackSink({ webhookUrl: server.url, logger, baseBackoffMs: 10 });
    await sink.send(digest([alert('a')]));
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(server.delivered()).toHaveLength(1);
    expect((server.requests[1] as { at: number }).at - (server.requests[0] as { at: number }).at).toBeGreaterThanOrEqual(950);
    expect(text()).not.toContain('secretsecret');
    expect(text()).toContain('127.0.0.1');
  });

  it('5xx on every attempt: AlertDeliveryError (retryable) after maxAttempts, backoff doubling', async () => {
    server.script([{ status: 503 }, { status: 502 }, { status: 500 }]);
    const sleeps: number[] = [];
    const sink = new SlackSink({
      webhookUrl: server.url,
      logger: pino({ level: 'silent' }),
      maxAttempts: 3,
      baseBackoffMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await sink.send(digest([alert('a')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as AlertDeliveryError).retryable).toBe(true);
    expect((error as Error).message).not.toContain('secretsecret');
    expect(sleeps).toEqual([150, 300]); // 100 ms doubling, × (1 + random()) = × 1.5
    expect(server.requests).toHaveLength(3);
  });

  it('4xx other than 429 is rejected at once', async () => {
    server.script([{ status: 404, body: 'no_service' }]);
    const sink = new SlackSink({ webhookUrl: server.url, logger: pino({ level: 'silent' }) });
    await expect(sink.send(digest([alert('a')]))).rejects.toBeInstanceOf(AlertRejectedError);
    expect(server.requests).toHaveLength(1);
  });
});
