import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OraculConfig } from '../../config/index.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Anomaly, type Serdes } from '../../schemas/index.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { splitOutputs } from '../aggregates/daily-aggregator.ts';
import { addr, transfer } from '../aggregates/testing/fixtures.ts';
import { createTokenMetricsDailyProcessor, type TokenMetricsDaily } from '../aggregates/token-metrics-daily.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { startAlertService, type AlertService } from '../alerts/service.ts';
import { startWebhookServer, type WebhookServer } from '../alerts/testing/webhook-server.ts';
import { anomalyRow } from './rows.ts';
import { createTokenAnomaliesProcessor } from './token-anomalies.ts';
import { HOUR_MS } from '../../core/time.ts';

const database = `oracul_anomalies_it_${randomBytes(4).toString('hex')}`;
/** A fresh token per run: anomaly ids are deterministic, so a reused stack must not mix runs. */
const TOKEN = `0x${randomBytes(20).toString('hex')}`;
const logger = createLogger({ level: process.env.ORACUL_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn', pretty: false });
const HOUR = HOUR_MS;
const DAYS = 20;
const SPIKE_DAY = 17;
const SPIKE_HOUR = 14;
const dayStart = (d: number): number => Date.UTC(2025, 0, 1 + d);

let config: OraculConfig;
let webhook: WebhookServer;
let admin: ClickHouseClient;
let client: ClickHouseClient;
let serdes: Serdes;
let producer: Producer;
let outboxDir: string;

/**
 * The aggregator (real token_metrics_daily processor) over 20 days of hourly transfers, 1-3 per hour between the same
 * 8 addresses, with 400 extra transfers at 14:00 on day 17; updates coalesced per hour (punctuation), finals at
 * midnight + grace. Its outputs are piped into the token anomaly scorer.
 */
function runPipeline(): { metrics: TokenMetricsDaily[]; anomalies: Anomaly[] } {
  const aggregator = createTestDriver(createTokenMetricsDailyProcessor({ windowing: { updates: 'on_punctuate' } }));
  const scorer = createTestDriver(createTokenAnomaliesProcessor(config));
  const metrics: TokenMetricsDaily[] = [];
  const anomalies: Anomaly[] = [];
  const forward = (): void => {
    for (const m of splitOutputs<TokenMetricsDaily, Erc20Transfer>(aggregator.drainOutputs('token.metrics.daily')).windows) {
      metrics.push(m);
      for (const out of scorer.pipe(m, { key: `1:${TOKEN}` })) anomalies.push(out.value);
    }
  };
  for (let d = 0; d <= DAYS; d++) {
    for (let h = 0; h < 24; h++) {
      const at = (dayStart(d) + h * HOUR + 30 * 60_000) / 1000;
      const n = 1 + ((d * 7 + h) % 3);
      for (let i = 0; i < n; i++)
        aggregator.pipe(transfer({ token: TOKEN, from: addr(1 + (h % 5)), to: addr(10 + (h % 3)), at: at + i }));
      if (d === SPIKE_DAY && h === SPIKE_HOUR) {
        for (let i = 0; i < 400; i++) aggregator.pipe(transfer({ token: TOKEN, from: addr(1), to: addr(10), at: at + 10 + i }));
      }
      aggregator.punctuate({ caughtUp: false });
      forward();
    }
  }
  return { metrics, anomalies };
}

beforeAll(async () => {
  webhook = await startWebhookServer();
  outboxDir = mkdtempSync(join(tmpdir(), 'oracul-anomaly-alerts-'));
  config = testConfig({
    clickhouse: { database },
    alerts: {
      slackWebhookUrl: webhook.url,
      digestIntervalS: 1,
      outboxDir,
      outboxRetryIntervalS: 1,
      graphqlUrl: 'http://127.0.0.1:4000/graphql',
    },
  });
  admin = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: admin, database, logger, tokenSeedFile: false });
  client = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  producer = createKafka({ config, logger, clientSuffix: 'anomalies-it' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await client?.close();
  await admin?.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
  await admin?.close();
  await webhook?.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

/** Records of `anomalies` the group has not committed yet (all partitions). */
async function alertGroupLag(groupId: string): Promise<number> {
  const kafkaAdmin = createKafka({ config, logger, clientSuffix: 'anomalies-it-lag' }).admin();
  await kafkaAdmin.connect();
  try {
    const ends = await kafkaAdmin.fetchTopicOffsets('anomalies');
    const [committed] = await kafkaAdmin.fetchOffsets({ groupId, topics: ['anomalies'] });
    const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((lag, e) => lag + Number(e.high) - Math.max(0, at.get(e.partition) ?? 0), 0);
  } finally {
    await kafkaAdmin.disconnect();
  }
}

describe('streaming anomalies: aggregator → scorer → Kafka → table and Slack', () => {
  let alerts: AlertService | undefined;
  let consumer: Consumer | undefined;
  afterAll(async () => {
    await alerts?.stop();
    await consumer?.disconnect();
  });

  it('a planted spike gives one open anomaly during the day, its final version after close, one Slack message', async () => {
    const { metrics, anomalies: all } = runPipeline();
    // The daily scorer's verdicts; the hourly detector's (method streaming_record) are checked below.
    const anomalies = all.filter((a) => a.method === 'robust_zscore');
    const hourly = all.filter((a) => a.method === 'streaming_record');
    expect(metrics.filter((m) => m.is_final)).toHaveLength(DAYS); // days 0..19 closed by day 20's stream time

    // One anomaly (one id): transfer_count of the spike day, open from 14:00, final after the close.
    expect(new Set(anomalies.map((a) => a.anomaly_id)).size).toBe(1);
    expect(anomalies.map((a) => a.status)).toEqual(['open', 'final']); // no version per hourly update
    const first = anomalies[0] as Anomaly;
    const last = anomalies.at(-1) as Anomaly;
    expect(first).toMatchObject({
      metric: 'transfer_count',
      status: 'open',
      severity: 'high',
      entity_id: TOKEN,
      day: 20089 + SPIKE_DAY,
    });
    expect(first.detected_at).toBeGreaterThanOrEqual(dayStart(SPIKE_DAY) + SPIKE_HOUR * HOUR);
    expect(first.detected_at).toBeLessThan(dayStart(SPIKE_DAY) + (SPIKE_HOUR + 1) * HOUR); // flagged in the spike's hour
    expect(anomalies.slice(0, -1).every((a) => a.status === 'open')).toBe(true);
    expect(last).toMatchObject({ status: 'final', detected_at: first.detected_at });
    expect(last.updated_at).toBeGreaterThan(first.updated_at); // the final carries the window's end as stream time
    const finalMetric = metrics.find((m) => m.is_final && m.date === '2025-01-18') as TokenMetricsDaily;
    expect(last.value).toBe(finalMetric.transfer_count);
    const versions = anomalies.map((a) => a.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);

    // The hourly detector: the spike's hour only (400 transfers against 1-3 an hour), open in the hour, final at its close.
    expect(new Set(hourly.map((a) => a.anomaly_id)).size).toBe(1);
    expect(hourly.map((a) => a.status)).toEqual(['open', 'final']);
    expect(hourly[0]).toMatchObject({ metric: 'transfer_count', severity: 'high', day: 20089 + SPIKE_DAY });
    expect(hourly[0]?.detected_at).toBeGreaterThanOrEqual(dayStart(SPIKE_DAY) + SPIKE_HOUR * HOUR);
    expect(hourly[0]?.detected_at).toBeLessThan(dayStart(SPIKE_DAY) + (SPIKE_HOUR + 1) * HOUR);
    const hourlyLast = hourly.at(-1) as Anomaly;

    // Other test files share the stack's anomalies topic (the devnet run publishes dozens): the alert service's group
    // starts at the topic's current end, as an operator's `--reset-offsets --to-latest` would, so it sees this test's only.
    const alertGroup = `anomalies-it-${randomBytes(4).toString('hex')}`;
    const kafkaAdmin = createKafka({ config, logger, clientSuffix: 'anomalies-it-admin' }).admin();
    await kafkaAdmin.connect();
    try {
      const ends = await kafkaAdmin.fetchTopicOffsets('anomalies');
      await kafkaAdmin.setOffsets({
        groupId: alertGroup,
        topic: 'anomalies',
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
    } finally {
      await kafkaAdmin.disconnect();
    }

    // Produce to the anomalies topic (Avro via the registry).
    const serde = serdes.forTopic('anomalies');
    await producer.send({
      topic: 'anomalies',
      messages: await Promise.all(all.map(async (a) => ({ key: a.anomaly_id, value: await serde.serialize(a) }))),
    });

    // Slack answers 429 (Retry-After 1 s) then 200: one message, delivered once.
    webhook.script([{ status: 429, retryAfter: '1' }]);
    alerts = await startAlertService({
      config,
      logger,
      serdes,
      groupId: alertGroup,
      lagGroups: [],
      topics: ['anomalies'], // dq.checks: other test files' checks
    });

    // Meanwhile, land the topic in the anomalies table (read_committed, latest version wins).
    consumer = createKafka({ config, logger, clientSuffix: 'anomalies-it-sink' }).consumer({
      groupId: `anomalies-it-sink-${randomBytes(4).toString('hex')}`,
      readUncommitted: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'anomalies', fromBeginning: true });
    const fromTopic: Anomaly[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const a = await serde.deserialize(message.value as Buffer);
        if (a.entity_id === TOKEN) fromTopic.push(a);
      },
    });
    await vi.waitFor(
      () => {
        expect(fromTopic.length).toBeGreaterThanOrEqual(all.length);
        expect(webhook.delivered().length).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(fromTopic).toEqual(all);
    await client.insert({ table: 'anomalies', values: fromTopic.map(anomalyRow), format: 'JSONEachRow' });
    const rs = await client.query({
      query: `SELECT anomaly_id, status, version, value, toUnixTimestamp64Milli(detected_at) AS detected_at FROM anomalies FINAL WHERE entity_id = {token:String} AND method = 'robust_zscore'`,
      query_params: { token: TOKEN },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      {
        anomaly_id: last.anomaly_id,
        status: 'final',
        version: String(last.version),
        value: last.value,
        detected_at: String(last.detected_at),
      },
    ]);
    const hourlyRows = await client.query({
      query: `SELECT anomaly_id, status, version FROM anomalies FINAL WHERE entity_id = {token:String} AND method = 'streaming_record'`,
      query_params: { token: TOKEN },
      format: 'JSONEachRow',
    });
    expect(await hourlyRows.json()).toEqual([
      { anomaly_id: hourlyLast.anomaly_id, status: 'final', version: String(hourlyLast.version) },
    ]);

    // No second message may come: the alert service has consumed the topic to its end (its group's committed
    // offsets), holds nothing pending nor in its outbox, and one more digest sends nothing.
    await vi.waitFor(() => expect(alertGroupLag(alertGroup)).resolves.toBe(0), { timeout: 30_000, interval: 200 });
    await alerts.alerter.flush();
    expect(alerts.alerter.stats()).toMatchObject({ pending: 0, outbox: 0, delivered: 1 });
    expect(webhook.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(webhook.delivered()).toHaveLength(1);
    const text = JSON.stringify(webhook.delivered()[0]?.body);
    expect(text).toContain('transfer_count');
    expect(text).toContain(TOKEN);
    expect(text).toContain('http://127.0.0.1:4000/graphql?query=');
  });
});
