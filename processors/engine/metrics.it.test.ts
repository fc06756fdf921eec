import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { startMetricsServer, type MetricsServer } from '../../core/metrics/index.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import type { ClickHouseSink } from '../sinks/clickhouse-sink.ts';
import { createDerivedSinks } from '../sinks/derived-sinks.ts';
import { startStreamWorker, type StreamWorker } from './streamWorker.ts';
import { preparePipelineRun, waitForStages } from './testing/pipelineHarness.ts';
import { erc20TransferLogs, erc721Logs, generateSyntheticStream, legWords } from './testing/syntheticTransferStream.ts';
import { oraculStages } from '../topology.ts';

/**
 * Prometheus metrics of a real pipeline run: the three stream stages and the derived ClickHouse sinks on the local
 * stack, scraped over HTTP from /metrics. The counters must tell the truth: records in of each stage equal what
 * was produced into its input topic (by the test for the decoder, by the upstream stage for the aggregates).
 */

type Samples = Map<string, number>;

/** Parses the text exposition format into `name{sorted labels}` → value. */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map((l) => `${l[1]}=${l[2]}`)
      .sort();
    samples.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include all of `labels`. */
function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  let total = 0;
  for (const [key, value] of samples) {
    if (!key.startsWith(`${name}{`)) continue;
    const have = key.slice(name.length + 1, -1).split(',');
    if (wanted.every((w) => have.includes(w))) total += value;
  }
  return total;
}

describe('Prometheus metrics of a real pipeline run', () => {
  const database = `metrics_it_${randomUUID().slice(0, 8)}`;
  const config = testConfig({ clickhouse: { database }, logLevel: 'warn' });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'metrics-it' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  const appId = `oracul-metrics-it-${randomUUID().slice(0, 8)}`;
  const stages = oraculStages();
  const stream = generateSyntheticStream({ seed: 11, days: 2, blocksPerDay: 48, transfersPerBlock: 4, addresses: 300 });
  const client = createWarehouseClient({ config });
  let kafka: Kafka;
  let admin: Admin;
  let serdes: Serdes;
  let stateDir: string;
  let server: MetricsServer;
  let before: Samples;
  let after: Samples;
  const workers: StreamWorker[] = [];
  const sinks: ClickHouseSink[] = [];

  const scrape = async (): Promise<Samples> => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  };
  /** Growth of a counter during the run (the registry is per process: other tests in this process may have counted). */
  const delta = (name: string, labels: Record<string, string> = {}): number =>
    sum(after, name, labels) - sum(before, name, labels);

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'oracul-metrics-it-'));
    server = await startMetricsServer({ port: 0, logger });
    kafka = createKafka({ config, logger });
    admin = kafka.admin();
    await admin.connect();
    serdes = createSchemaRegistrySerdes({ config });
    await preparePipelineRun({ config, logger, kafka, admin, serdes, stages, appId, stream });
    before = await scrape();

    for (const stage of stages) {
      workers.push(await startStreamWorker({ kafka, logger, serdes, stage, appId, stateDir, topics: config.kafka.topics }));
    }
    sinks.push(...createDerivedSinks(common, { serdes, kafka, groupPrefix: `${appId}-sink` }));
    for (const sink of sinks) await sink.start();
    await waitForStages(admin, appId, stages, { timeoutMs: 180_000 });
    for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 90_000 });
    after = await scrape();
  }, 360_000);

  afterAll(async () => {
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    for (const worker of workers) await worker.stop().catch(() => undefined);
    await admin?.disconnect();
    await server?.close();
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('records in of each stage equal the records produced into its input topic', () => {
    expect(stream.logBatches.length).toBeGreaterThan(50);
    expect(delta('oracul_stage_records_in_total', { stage: 'erc20-decoder' })).toBe(stream.logBatches.length);

    const transfers = delta('oracul_stage_records_out_total', { stage: 'erc20-decoder', topic: 'erc20.transfers' });
    // The aggregates read the internal hops' batch records (one per block part and partition, ADR 0018).
    const byToken = delta('oracul_stage_records_out_total', {
      stage: 'erc20-decoder',
      topic: 'erc20.transfer-batches.by-token',
    });
    const byAddress = delta('oracul_stage_records_out_total', {
      stage: 'erc20-decoder',
      topic: 'erc20.transfer-batches.by-address',
    });
    // Every transfer, and a retraction of each transfer of the reorged block (the first batch of its number).
    const orphaned = erc20TransferLogs(stream.logBatches.find((b) => b.block_number === stream.facts.reorgBlock));
    expect(orphaned.length).toBeGreaterThan(0);
    expect(transfers).toBe(stream.facts.transfers + orphaned.length);
    expect(byToken).toBeGreaterThan(0);
    expect(byToken).toBeLessThan(transfers);
    expect(delta('oracul_stage_records_in_total', { stage: 'token-metrics-daily' })).toBe(byToken);
    expect(delta('oracul_stage_records_in_total', { stage: 'address-flows-daily' })).toBe(byAddress);
    expect(delta('oracul_dead_letters_total')).toBe(0);
    // The generated stream has ERC-721 look-alikes and a late block.
    // Every ERC-721 look-alike is rejected once, and those of the reorged block once more as retractions.
    const blocks = stream.logBatches.filter((b) => b.kind === 'block');
    const erc721 =
      blocks.reduce((n, b) => n + erc721Logs(b).length, 0) +
      erc721Logs(blocks.find((b) => b.block_number === stream.facts.reorgBlock)).length;
    expect(erc721).toBeGreaterThan(0);
    expect(delta('oracul_rejects_total', { stage: 'erc20-decoder', reason: 'erc721_four_topics' })).toBe(erc721);
    expect(delta('oracul_rejects_total', { stage: 'erc20-decoder' })).toBe(
      delta('oracul_stage_records_out_total', { stage: 'erc20-decoder', topic: 'erc20.rejects' }),
    );
    // The late block: one late event per transfer in token-metrics-daily, one per address leg in address-flows-daily.
    const late = erc20TransferLogs(stream.logBatches.find((b) => b.block_number === stream.facts.lateBlock));
    expect(late.length).toBeGreaterThan(0);
    expect(delta('oracul_late_events_total', { stage: 'token-metrics-daily' })).toBe(late.length);
    expect(delta('oracul_late_events_total', { stage: 'address-flows-daily' })).toBe(
      late.reduce((n, log) => n + legWords(log).length, 0),
    );
    // The first day closed: final window versions were emitted.
    expect(delta('oracul_window_finals_total', { stage: 'token-metrics-daily' })).toBeGreaterThan(0);
    expect(delta('oracul_stage_batch_duration_seconds_count', { stage: 'erc20-decoder' })).toBeGreaterThan(0);
  });

  it('ClickHouse sinks count inserted rows and insert latency, and consumer lag drained to 0', () => {
    expect(delta('oracul_clickhouse_inserted_rows_total', { table: 'erc20_transfers' })).toBeGreaterThan(0);
    expect(delta('oracul_clickhouse_inserted_rows_total', { table: 'token_metrics_daily' })).toBeGreaterThan(0);
    expect(delta('oracul_clickhouse_insert_duration_seconds_count', { table: 'erc20_transfers', outcome: 'ok' })).toBeGreaterThan(
      0,
    );
    // Every record the decoder produced into erc20.transfers reached the sink (replays could only add).
    expect(delta('oracul_sink_records_total', { table: 'erc20_transfers' })).toBeGreaterThanOrEqual(
      delta('oracul_stage_records_out_total', { stage: 'erc20-decoder', topic: 'erc20.transfers' }),
    );
    expect(sum(after, 'oracul_consumer_lag_messages', { stage: 'erc20-decoder' })).toBe(0);
    expect(sum(after, 'oracul_stage_tasks', { stage: 'erc20-decoder' })).toBeGreaterThan(0);
  });
});
