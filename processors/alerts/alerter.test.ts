import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Anomaly, DataQualityCheck } from '../../schemas/generated/types.ts';
import { Alerter, type AlerterOptions } from './alerter.ts';
import { SlackSink } from './slack.ts';
import { startWebhookServer, type WebhookServer } from './testing/webhook-server.ts';

const logger = pino({ level: 'silent' });

function anomaly(patch: Partial<Anomaly> = {}): Anomaly {
  return {
    anomaly_id: 'a'.repeat(64),
    chain_id: 1,
    entity_type: 'token',
    entity_id: '0x00000000000000000000000000000000000000aa',
    token_address: '0x00000000000000000000000000000000000000aa',
    metric: 'volume_usd',
    day: 20103,
    value: 12_000,
    baseline_center: 999,
    baseline_spread: 0.05,
    baseline_days: 14,
    score: 49.6,
    lower_bound: 777.8,
    upper_bound: 1283.03,
    method: 'robust_zscore',
    severity: 'high',
    status: 'open',
    detected_at: 1_736_920_000_000,
    updated_at: 1_736_920_000_000,
    version: 1,
    source_version: 1,
    ...patch,
  };
}

function check(patch: Partial<DataQualityCheck> = {}): DataQualityCheck {
  return {
    check_name: 'block_gaps',
    chain_id: 1,
    subject: '',
    status: 'fail',
    observed: 1,
    threshold: null,
    check_window: 'blocks:100-200',
    checked_at: 1_736_920_000_000,
    details: '{"first_missing":["150"]}',
    ...patch,
  };
}

describe('alerter', () => {
  let server: WebhookServer;
  let dir: string;
  let now: number;
  const open: Alerter[] = [];
  const make = (patch: Partial<AlerterOptions> = {}): Alerter => {
    const a = new Alerter({
      sink: new SlackSink({ webhookUrl: server.url, logger, maxAttempts: 1 }),
      outboxDir: dir,
      logger,
      minSeverity: 'high',
      digestIntervalMs: 60_000,
      rateLimitPerMinute: 10,
      retryIntervalMs: 1000,
      links: { graphqlUrl: 'http://127.0.0.1:4000/graphql', supersetUrl: 'http://127.0.0.1:8088' },
      now: () => now,
      ...patch,
    });
    open.push(a);
    return a;
  };

  beforeEach(async () => {
    server = await startWebhookServer();
    dir = mkdtempSync(join(tmpdir(), 'oracul-alerts-'));
    now = 1_736_920_000_000;
  });
  afterEach(async () => {
    for (const a of open.splice(0)) await a.close().catch(() => undefined);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts a new high anomaly once: later versions, final status and lower severities do not re-alert', async () => {
    const alerter = make();
    expect(alerter.onAnomaly(anomaly())).toBe(true);
    expect(alerter.onAnomaly(anomaly({ version: 2, value: 13_000 }))).toBe(false);
    expect(alerter.onAnomaly(anomaly({ version: 3, status: 'final' }))).toBe(false);
    expect(alerter.onAnomaly(anomaly({ anomaly_id: 'b'.repeat(64), severity: 'medium' }))).toBe(false);
    expect(alerter.onAnomaly(anomaly({ anomaly_id: 'c'.repeat(64), status: 'withdrawn' }))).toBe(false);
    await alerter.flush();
    expect(server.delivered()).toHaveLength(1);
    const text = JSON.stringify(server.delivered()[0]?.body.blocks);
    expect(text).toContain('12,000 vs 999');
    expect(text).toContain('2025-01-15');
    expect(text).toContain('/superset/dashboard/oracul-token/');
    expect(text).toContain(encodeURIComponent('entityType: TOKEN'));
  });

  it('re-alerts only on escalation', async () => {
    const alerter = make({ minSeverity: 'medium' });
    expect(alerter.onAnomaly(anomaly({ severity: 'medium' }))).toBe(true);
    expect(alerter.onAnomaly(anomaly({ severity: 'medium', version: 2 }))).toBe(false);
    expect(alerter.onAnomaly(anomaly({ severity: 'high', version: 3 }))).toBe(true);
    expect(alerter.onAnomaly(anomaly({ severity: 'medium', version: 4 }))).toBe(false);
  });

  it('groups everything raised in an interval into one digest; DQ fails alert on entering fail only', async () => {
    const alerter = make();
    alerter.onAnomaly(anomaly());
    alerter.onDqCheck(check());
    alerter.onDqCheck(check({ check_name: 'duplicate_tx_hash' }));
    expect(alerter.onDqCheck(check({ checked_at: 1_736_920_900_000 }))).toBe(false); // still failing: no new alert
    await alerter.flush();
    expect(server.delivered()).toHaveLength(1);
    expect(server.delivered()[0]?.body.blocks[0]?.text?.text).toBe('Oracul: 3 alerts (3 high)');
    alerter.onDqCheck(check({ status: 'pass', observed: 0 }));
    expect(alerter.onDqCheck(check())).toBe(true); // failing again after a pass
    await alerter.flush();
    await alerter.flush(); // nothing pending: no empty message
    expect(server.delivered()).toHaveLength(2);
  });

  it('parks a failed digest in the LMDB outbox, survives a restart, retries after the interval', async () => {
    server.script([{ status: 500 }]);
    const first = make();
    first.onAnomaly(anomaly());
    await first.flush();
    expect(first.stats()).toMatchObject({ outbox: 1, delivered: 0, failedAttempts: 1 });
    await first.close();
    open.splice(0);

    const second = make();
    expect(second.stats().outbox).toBe(1);
    await second.deliverDue(); // not due yet (retry in 1 s)
    expect(server.delivered()).toHaveLength(0);
    now += 1000;
    await second.deliverDue();
    expect(server.delivered()).toHaveLength(1);
    expect(second.stats()).toMatchObject({ outbox: 0, delivered: 1 });
    // Dedup memory survived the restart too.
    expect(second.onAnomaly(anomaly({ version: 9 }))).toBe(false);
  });

  it('rate-limits messages per minute; the rest waits in the outbox', async () => {
    const alerter = make({ rateLimitPerMinute: 2 });
    for (let i = 0; i < 3; i++) {
      alerter.onAnomaly(anomaly({ anomaly_id: String(i).repeat(64) }));
      await alerter.flush();
    }
    expect(server.delivered()).toHaveLength(2);
    expect(alerter.stats().outbox).toBe(1);
    now += 60_001;
    await alerter.deliverDue();
    expect(server.delivered()).toHaveLength(3);
  });

  it('a flood is one message: the hourly detail budget sends the most important in full and sums up the rest', async () => {
    const alerter = make({ maxDetailedAlertsPerHour: 10 });
    // A first scored day gone wrong: 60 high address anomalies, plus 6 failing DQ checks.
    for (let i = 0; i < 60; i++)
      alerter.onAnomaly(anomaly({ anomaly_id: i.toString(16).padStart(64, '0'), entity_type: 'address', day: 20103 + (i % 2) }));
    for (let i = 0; i < 6; i++) alerter.onDqCheck(check({ check_name: `check_${i}` }));
    await alerter.flush();
    expect(server.delivered()).toHaveLength(1);
    const body = server.delivered()[0]!.body;
    expect(body.blocks[0]?.text?.text).toBe('Oracul: 66 alerts (66 high)');
    const sections = (body.blocks as { type: string; text?: { text: string } }[]).filter((b) => b.type === 'section');
    // 10 in full — the DQ failures first (they say the numbers may be wrong), then anomalies — and one summary.
    expect(sections).toHaveLength(11);
    expect(sections.slice(0, 6).every((b) => b.text!.text.includes('Data quality'))).toBe(true);
    expect(sections[6]!.text!.text).toContain('Anomaly');
    const summary = sections[10]!.text!.text;
    expect(summary).toContain('*56 more alerts* over the hourly detail budget: 56 high, 0 medium, 0 low');
    expect(summary).toContain('(56 anomalies, 0 data-quality, 0 pipeline)');
    const links = JSON.stringify(body.blocks.at(-2));
    expect(links).toContain(encodeURIComponent('anomalies(from: "2025-01-15", to: "2025-01-16", minSeverity: HIGH'));
    expect(links).toContain('/superset/dashboard/oracul-overview/');

    // Within the hour the budget is spent: the next alert is summarised, even after a restart.
    await alerter.close();
    open.splice(0);
    const restarted = make({ maxDetailedAlertsPerHour: 10 });
    now += 30 * 60_000;
    restarted.onAnomaly(anomaly({ anomaly_id: 'e'.repeat(64) }));
    await restarted.flush();
    const second = server.delivered()[1]!.body;
    expect(second.blocks[0]?.text?.text).toBe('Oracul: 1 alert (1 high)');
    expect(JSON.stringify(second.blocks)).toContain('*1 more alerts* over the hourly detail budget');
    // An hour after the flood the budget is back.
    now += 31 * 60_000;
    restarted.onAnomaly(anomaly({ anomaly_id: 'f'.repeat(64) }));
    await restarted.flush();
    const third = server.delivered()[2]!.body;
    expect(third.blocks[0]?.text?.text).toContain('Anomaly: HIGH volume_usd above normal');
    expect(JSON.stringify(third.blocks)).not.toContain('more alerts');
  });

  it('raises a pipeline alert when consumer lag goes above threshold, once until it recovers', () => {
    const alerter = make();
    const finding = {
      check: 'consumer_lag',
      subject: 'g/anomalies',
      ok: false,
      observed: 20_000,
      threshold: 10_000,
      details: '{}',
    };
    expect(alerter.onPipelineFinding(finding)).toBe(true);
    expect(alerter.onPipelineFinding(finding)).toBe(false);
    expect(alerter.onPipelineFinding({ ...finding, ok: true, observed: 0 })).toBe(false);
    expect(alerter.onPipelineFinding(finding)).toBe(true);
  });
});
