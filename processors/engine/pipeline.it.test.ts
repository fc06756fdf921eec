import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import type { DeadLetter } from '../../schemas/generated/types.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createDerivedSinks } from '../sinks/derived-sinks.ts';
import { createPricesSink } from '../sinks/raw-sinks.ts';
import type { ClickHouseSink } from '../sinks/clickhouse-sink.ts';
import { startStreamWorker, type StreamWorker } from './streamWorker.ts';
import { oraculStages } from '../topology.ts';
import { preparePipelineRun, readCommittedToEnd, waitForStages } from './testing/pipelineHarness.ts';
import { expectedAddressFlows, expectedTokenMetrics, streamedAddressFlows, streamedTokenMetrics } from './testing/recompute.ts';
import { erc20TransferLogs, erc721Logs, generateSyntheticStream, legWords } from './testing/syntheticTransferStream.ts';

/**
 * The stream engine end to end on the real local stack (Kafka with transactions, the schema registry, the
 * ClickHouse engine): a generated 3-day stream through the decoder and both daily aggregates, sunk to
 * ClickHouse, must equal exactly what SQL recomputes from erc20_transfers and prices_spot.
 */
describe('stream engine: generated multi-day stream → marts equal the SQL recomputation', () => {
  const database = `pipeline_it_${randomUUID().slice(0, 8)}`;
  const config = testConfig({ clickhouse: { database }, logLevel: 'warn' });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'pipeline-it' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  const appId = `oracul-it-${randomUUID().slice(0, 8)}`;
  const stages = oraculStages();
  const stream = generateSyntheticStream({ seed: 7, days: 3, blocksPerDay: 144, transfersPerBlock: 8, addresses: 2500 });
  const client = createWarehouseClient({ config });
  let kafka: Kafka;
  let admin: Admin;
  let serdes: Serdes;
  let stateDir: string;
  const workers: StreamWorker[] = [];
  const sinks: ClickHouseSink[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'oracul-pipeline-it-'));
    kafka = createKafka({ config, logger });
    admin = kafka.admin();
    await admin.connect();
    serdes = createSchemaRegistrySerdes({ config });
    await preparePipelineRun({ config, logger, kafka, admin, serdes, stages, appId, stream });
    // A record that is not Avro of the topic's schema: dead-lettered, the task carries on.
    const producer = kafka.producer({ transactionalId: `${appId}-garbage`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'eth.logs.raw', messages: [{ key: '1:999', value: Buffer.from('not avro at all') }] });
    await txn.commit();
    await producer.disconnect();

    for (const stage of stages) {
      workers.push(await startStreamWorker({ kafka, logger, serdes, stage, appId, stateDir, topics: config.kafka.topics }));
    }
    sinks.push(...createDerivedSinks(common, { serdes, kafka, groupPrefix: `${appId}-sink` }));
    sinks.push(createPricesSink(common, { serdes, kafka, groupPrefix: `${appId}-sink` }));
    for (const sink of sinks) await sink.start();
    await waitForStages(admin, appId, stages, { timeoutMs: 240_000 });
    for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 120_000 });
  }, 420_000);

  afterAll(async () => {
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    for (const worker of workers) await worker.stop().catch(() => undefined);
    await admin?.disconnect();
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('decodes every canonical transfer once, hides the reorged block and records the late one', async () => {
    const count = async (query: string): Promise<number> => {
      const result = await client.query({ query, format: 'JSONEachRow' });
      return Number(((await result.json<{ n: string }>())[0] as { n: string }).n);
    };
    const canonical = await count('SELECT count() AS n FROM erc20_transfers FINAL');
    const orphaned = await count('SELECT count() AS n FROM erc20_transfers WHERE is_orphaned = 1');
    // The reorged block (the first batch of its number): each of its transfers retracted once.
    const reorgedBatch = stream.logBatches.find((b) => b.block_number === stream.facts.reorgBlock);
    const reorged = erc20TransferLogs(reorgedBatch);
    expect(reorged.length).toBeGreaterThan(0);
    expect(orphaned).toBe(reorged.length);
    // Every generated transfer (including the reorged block's, now hidden, and the replacement block's) is in the table once.
    const all = await count('SELECT count() AS n FROM (SELECT DISTINCT block_hash, log_index FROM erc20_transfers)');
    expect(all).toBe(stream.facts.transfers);
    expect(canonical).toBe(all - orphaned);
    expect(
      await count(
        `SELECT count() AS n FROM erc20_transfers FINAL WHERE block_number = ${stream.facts.reorgBlock} AND block_hash LIKE '%0000000000000001'`,
      ),
    ).toBe(0);
    // The late block: each transfer once from token-metrics-daily, and once per distinct non-zero address of its legs
    // from address-flows-daily (a self-transfer's two legs are one row: the address is part of the key).
    const lateTransfers = erc20TransferLogs(stream.logBatches.find((b) => b.block_number === stream.facts.lateBlock));
    const lateLegs = lateTransfers.reduce((n, log) => n + new Set(legWords(log)).size, 0);
    expect(lateTransfers.length).toBeGreaterThan(0);
    const late = await count(
      `SELECT count() AS n FROM erc20_transfers_late FINAL WHERE block_number = ${stream.facts.lateBlock}`,
    );
    expect(late).toBe(lateTransfers.length + lateLegs);
    // Every ERC-721 look-alike of a canonical block is rejected once, and nothing else is (FINAL hides the reorged
    // block's rejects: is_orphaned is the table's is_deleted column).
    const erc721 = stream.logBatches
      .filter((b) => b.kind === 'block' && b !== reorgedBatch)
      .reduce((n, b) => n + erc721Logs(b).length, 0);
    expect(erc721).toBeGreaterThan(0);
    expect(await count('SELECT count() AS n FROM erc20_rejects FINAL')).toBe(erc721);
    expect(await count("SELECT countIf(reason = 'erc721_four_topics') AS n FROM erc20_rejects FINAL")).toBe(erc721);
  });

  it('dead-letters an undecodable record with its error code and source position', async () => {
    const letters: DeadLetter[] = [];
    const serde = serdes.forTopic('eth.logs.raw.dlq');
    // The whole dead-letter topic, to its end: exactly one letter, not merely a first one.
    await readCommittedToEnd(kafka, admin, 'eth.logs.raw.dlq', async ({ message }) => {
      letters.push(await serde.deserialize(message.value as Buffer));
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      source_topic: 'eth.logs.raw',
      source_partition: 0,
      stage: 'erc20-decoder',
      retryable: false,
    });
    expect(letters[0]?.error_code).toMatch(/^ORACUL_/);
    expect(letters[0]?.original_value?.toString()).toBe('not avro at all');
  });

  it('token_metrics_daily equals the SQL recomputation exactly', async () => {
    const expected = await expectedTokenMetrics(client, 1, config.prices.stalenessLimitS);
    const streamed = await streamedTokenMetrics(client, 1);
    expect(streamed.length).toBeGreaterThan(10);
    expect(streamed).toEqual(expected);
    // The fixture's edge cases are present: unknown decimals (null USD) and the WBTC price gap (partly unpriced).
    expect(streamed.some((r) => r.volume_usd === 'null')).toBe(true);
    expect(streamed.some((r) => r.volume_usd !== 'null' && r.volume_usd !== '0.000000')).toBe(true);
  });

  it('address_flows_daily equals the SQL recomputation exactly', async () => {
    const expected = await expectedAddressFlows(client, 1);
    const streamed = await streamedAddressFlows(client, 1);
    expect(streamed.length).toBeGreaterThan(1000);
    expect(streamed).toEqual(expected);
  });

  it('marks every closed day final and keeps one row per key (latest version wins)', async () => {
    const result = await client.query({
      query: `SELECT toString(date) AS date, countIf(is_final) AS finals, count() AS n FROM token_metrics_daily FINAL GROUP BY date ORDER BY date`,
      format: 'JSONEachRow',
    });
    const byDay = await result.json<{ date: string; finals: string; n: string }>();
    // Days before the last one have closed (stream time passed their end + grace).
    for (const day of byDay.slice(0, -1)) expect(Number(day.finals)).toBe(Number(day.n));
  });
});
