import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, type OraculConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import {
  createSchemaRegistrySerdes,
  encodeCheckpoint,
  topicKeys,
  type BlockRecord,
  type DeadLetter,
  type Serdes,
  type TransactionBatch,
} from '../../schemas/index.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createClickHouseSink, runSinkUntilCaughtUp } from './clickhouse-sink.ts';
import { RAW_BLOCKS_COLUMNS } from './raw-columns.ts';
import { blockRows } from './raw-rows.ts';
import { createRawChainSinks } from './raw-sinks.ts';

const database = `oracul_sink_it_${randomBytes(4).toString('hex')}`;
const config: OraculConfig = testConfig({ clickhouse: { database } });
const logger = createLogger({ level: process.env.ORACUL_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn', pretty: false });
const common: Common = { config, logger, shutdown: createShutdown(logger) };

let admin: ClickHouseClient;
let clickhouse: ClickHouseClient;
let kafka: Kafka;
let serdes: Serdes;
let txProducer: Producer;
let plainProducer: Producer;

function blockRecord(chainId: number, n: number, version = 1): BlockRecord {
  const ts = 1_700_000_000_000 + n * 12_000;
  return {
    kind: 'block',
    chain_id: chainId,
    block_number: n,
    block_hash: `0x${n.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`,
    block_timestamp: ts,
    checkpoint: encodeCheckpoint({ timestampMs: ts, chainId, blockNumber: n, txIndex: 0, logIndex: 0 }),
    version,
    observed_at: Date.now(),
    header: {
      parent_hash: `0x${'cd'.repeat(32)}`,
      miner: `0x${'11'.repeat(20)}`,
      gas_limit: 30_000_000,
      gas_used: 12_345_678,
      base_fee_per_gas: (10n ** 30n + BigInt(n)).toString(),
      size_bytes: 1000 + n,
      transaction_count: n % 7,
      log_count: n % 11,
      blob_gas_used: null,
      excess_blob_gas: null,
    },
  };
}

async function publishBlocks(chainId: number, numbers: number[], outcome: 'commit' | 'abort'): Promise<void> {
  const serde = serdes.forTopic('eth.blocks.raw');
  const messages = await Promise.all(
    numbers.map(async (n) => ({ key: topicKeys.block(chainId, n), value: await serde.serialize(blockRecord(chainId, n)) })),
  );
  const tx = await txProducer.transaction();
  await tx.send({ topic: 'eth.blocks.raw', messages });
  if (outcome === 'commit') await tx.commit();
  else await tx.abort();
}

function transactionBatch(chainId: number, n: number, values: string[], kind: 'block' | 'reorg' = 'block'): TransactionBatch {
  const block = blockRecord(chainId, n, kind === 'reorg' ? 2 : 1);
  const { header: _header, kind: _kind, ...envelope } = block;
  return {
    ...envelope,
    kind,
    part: 0,
    parts: 1,
    transactions: values.map((value, i) => ({
      tx_hash: `0x${n.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}${'ee'.repeat(24)}`,
      tx_index: i,
      from_address: `0x${'11'.repeat(20)}`,
      to_address: i === 0 ? null : `0x${'22'.repeat(20)}`,
      value,
      nonce: i,
      gas: 21_000,
      gas_price: null,
      max_fee_per_gas: (2n ** 200n).toString(),
      max_priority_fee_per_gas: '1',
      tx_type: 2,
      input: '0x',
      status: 1,
      gas_used: 21_000,
      effective_gas_price: '7',
      contract_address: null,
    })),
  };
}

async function queryNumbers(sql: string, params: Record<string, unknown>): Promise<number[]> {
  const rs = await clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return (await rs.json<{ v: string | number }>()).map((r) => Number(r.v));
}

/**
 * Commits `groupId`'s offsets at the topic's current end, so its consumer reads only what is published next (the
 * raw topics are shared with other test files). Returns the committed offsets.
 */
async function startGroupAtEnd(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const ends = await kafkaAdmin.fetchTopicOffsets(topic);
    const partitions = ends.map((p) => ({ partition: p.partition, offset: p.high }));
    await kafkaAdmin.setOffsets({ groupId, topic, partitions });
    return partitions;
  } finally {
    await kafkaAdmin.disconnect();
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

beforeAll(async () => {
  admin = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: admin, database, logger });
  clickhouse = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  kafka = createKafka({ config, logger, clientSuffix: 'sink-it' });
  txProducer = kafka.producer({
    transactionalId: `sink-it-${randomBytes(4).toString('hex')}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  plainProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([txProducer.connect(), plainProducer.connect()]);
});

afterAll(async () => {
  await Promise.all([txProducer?.disconnect(), plainProducer?.disconnect()]);
  await admin?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await Promise.all([admin?.close(), clickhouse?.close()]);
});

describe('createClickHouseSink against Kafka, the registry and the warehouse', () => {
  it('inserts committed records in batches, never aborted ones, and dead-letters undecodable records', async () => {
    const chainId = randomInt(1_000_000, 2_000_000);
    await startGroupAtEnd(`sink-it-a-${chainId}`, 'eth.blocks.raw');
    await publishBlocks(chainId, range(0, 25), 'commit');
    await publishBlocks(chainId, range(100, 110), 'abort');
    const [garbage] = await plainProducer.send({
      topic: 'eth.blocks.raw',
      messages: [{ key: topicKeys.block(chainId, 999), value: Buffer.from('not avro at all'), headers: { origin: 'test' } }],
    });
    await publishBlocks(chainId, range(25, 40), 'commit');

    const sink = createClickHouseSink(common, {
      serdes,
      topic: 'eth.blocks.raw',
      table: 'raw_blocks',
      groupId: `sink-it-a-${chainId}`,
      toRows: blockRows,
      rowBinary: { columns: RAW_BLOCKS_COLUMNS },
      batch: { maxRows: 16, maxWaitMs: 200 },
    });
    const stats = await runSinkUntilCaughtUp(sink, { timeoutMs: 60_000 });
    // 40 committed blocks (the 10 aborted ones never reach the sink) in batches of at most 16 rows, 1 dead letter.
    expect(stats).toMatchObject({ records: 40, rows: 40, deadLettered: 1, insertFailures: 0 });
    expect(stats.batches).toBeGreaterThanOrEqual(3);

    const numbers = await queryNumbers(
      'SELECT block_number AS v FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} ORDER BY block_number',
      { c: chainId },
    );
    expect(numbers).toEqual(range(0, 40));
    const [baseFee] = await queryNumbers(
      "SELECT toString(base_fee_per_gas) = '1000000000000000000000000000007' AS v FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} AND block_number = 7",
      { c: chainId },
    );
    expect(baseFee).toBe(1);

    // The dead letter: original bytes, source coordinates, error code.
    const consumer = kafka.consumer({ groupId: `sink-it-dlq-${chainId}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'eth.blocks.raw.dlq', fromBeginning: true });
    const dlqSerde = serdes.forTopic('eth.blocks.raw.dlq');
    const found = await new Promise<DeadLetter>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no dead letter for the garbage record')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const letter = await dlqSerde.deserialize(message.value!);
          if (letter.source_partition === garbage!.partition && String(letter.source_offset) === garbage!.baseOffset) {
            clearTimeout(timer);
            resolve(letter);
          }
        },
      });
    });
    await consumer.disconnect();
    expect(found).toMatchObject({
      source_topic: 'eth.blocks.raw',
      stage: 'sink:raw_blocks',
      error_code: 'ORACUL_DESERIALIZE_FAILED',
      retryable: false,
    });
    expect(found.original_value?.toString()).toBe('not avro at all');
    expect(found.original_key?.toString()).toBe(topicKeys.block(chainId, 999));
    expect(found.original_headers).toEqual([{ key: 'origin', value: Buffer.from('test') }]);
  });

  it('kill -9 after the insert and before the commit: the replay changes nothing visible with FINAL', async () => {
    const chainId = randomInt(2_000_000, 3_000_000);
    const groupId = `sink-it-crash-${chainId}`;
    const startOffsets = await startGroupAtEnd(groupId, 'eth.blocks.raw');
    await publishBlocks(chainId, range(0, 30), 'commit');
    const env = { ...process.env, ORACUL_CLICKHOUSE_DATABASE: database, ORACUL_TEST_SINK_GROUP: groupId };
    const script = join(REPO_ROOT, 'processors/sinks/testing/raw-blocks-sink-child.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...env, ORACUL_TEST_SINK_CRASH_AFTER_INSERT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal, output).toBe('SIGKILL');
    expect(output).toContain('crashing before the commit');

    // The rows landed, the offsets did not.
    const landed = await queryNumbers('SELECT count() AS v FROM raw_blocks WHERE chain_id = {c:UInt64}', { c: chainId });
    expect(landed[0]).toBe(30);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const offsets = await kafkaAdmin.fetchOffsets({ groupId, topics: ['eth.blocks.raw'] });
    await kafkaAdmin.disconnect();
    const byPartition = (a: { partition: number }, b: { partition: number }): number => a.partition - b.partition;
    const committedAfterCrash = offsets[0]!.partitions.map(({ partition, offset }) => ({ partition, offset }));
    expect(committedAfterCrash.sort(byPartition)).toEqual([...startOffsets].sort(byPartition));

    // Restart: everything is read and inserted again.
    const sink = createClickHouseSink(common, {
      serdes,
      topic: 'eth.blocks.raw',
      table: 'raw_blocks',
      groupId,
      toRows: blockRows,
      rowBinary: { columns: RAW_BLOCKS_COLUMNS },
    });
    const stats = await runSinkUntilCaughtUp(sink, { timeoutMs: 60_000 });
    expect(stats.records).toBe(30);

    const physical = await queryNumbers('SELECT count() AS v FROM raw_blocks WHERE chain_id = {c:UInt64}', { c: chainId });
    expect([30, 60]).toContain(physical[0]); // 60 until a merge collapses the copies
    const visible = await queryNumbers(
      'SELECT block_number AS v FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} ORDER BY block_number',
      { c: chainId },
    );
    expect(visible).toEqual(range(0, 30));
    const perKey = await queryNumbers(
      'SELECT max(c) AS v FROM (SELECT count() AS c FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} GROUP BY block_number, block_hash)',
      { c: chainId },
    );
    expect(perKey[0]).toBe(1);
  });

  it('ClickHouse unreachable: pauses and retries, commits nothing, then lands every record once', async () => {
    const chainId = randomInt(3_000_000, 4_000_000);
    await publishBlocks(chainId, range(0, 20), 'commit');

    // A TCP gate in front of the warehouse, closed at first.
    const target = new URL(config.clickhouse.url);
    const sockets = new Set<Socket>();
    const closeGate = () =>
      new Promise<void>((resolve) => {
        gate.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    const gate: Server = createServer((client) => {
      const upstream = new Socket();
      sockets.add(client).add(upstream);
      upstream.connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const gatePort = (gate.address() as { port: number }).port;
    await closeGate();

    const gated = createWarehouseClient({
      config: { clickhouse: { ...config.clickhouse, url: `http://127.0.0.1:${gatePort}`, requestTimeoutMs: 2_000 } },
    });
    const groupId = `sink-it-down-${chainId}`;
    const sink = createClickHouseSink(common, {
      serdes,
      topic: 'eth.blocks.raw',
      table: 'raw_blocks',
      groupId,
      toRows: blockRows,
      rowBinary: { columns: RAW_BLOCKS_COLUMNS },
      clickhouse: gated,
      ownsClickHouse: true,
      batch: { maxRows: 10_000, maxWaitMs: 100 },
      retry: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    await sink.start();
    try {
      await vi.waitFor(() => expect(sink.stats().insertFailures).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 100 });
      expect(sink.stats().committedOffsets).toEqual({});
      expect(await queryNumbers('SELECT count() AS v FROM raw_blocks WHERE chain_id = {c:UInt64}', { c: chainId })).toEqual([0]);

      await new Promise<void>((resolve) => gate.listen(gatePort, '127.0.0.1', resolve));
      await sink.waitUntilCaughtUp({ timeoutMs: 60_000 });
    } finally {
      await sink.stop();
      await closeGate();
    }
    const visible = await queryNumbers(
      'SELECT block_number AS v FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} ORDER BY block_number',
      { c: chainId },
    );
    expect(visible).toEqual(range(0, 20));
  });

  it('RowBinary: a value its column cannot hold dead-letters only its record; a retraction hides the block', async () => {
    const chainId = randomInt(4_000_000, 5_000_000);
    const big = (2n ** 255n + 1n).toString();
    const tooBig = (2n ** 256n).toString(); // UInt256 overflow: rejected by the encoder, never wrapped
    const serde = serdes.forTopic('eth.transactions.raw');
    // Other test files publish to the shared topic (malformed records among them): the sink starts at today's end.
    const groupPrefix = `sink-it-rb-${chainId}`;
    await startGroupAtEnd(`${groupPrefix}-raw_transactions`, 'eth.transactions.raw');
    const records = [
      transactionBatch(chainId, 1, [big, '0', '12']),
      transactionBatch(chainId, 2, ['5', tooBig]),
      transactionBatch(chainId, 3, ['1000000000000000000']),
      transactionBatch(chainId, 3, [], 'reorg'),
    ];
    const tx = await txProducer.transaction();
    await tx.send({
      topic: 'eth.transactions.raw',
      messages: await Promise.all(
        records.map(async (r) => ({ key: topicKeys.block(chainId, r.block_number), value: await serde.serialize(r) })),
      ),
    });
    await tx.commit();

    const sinks = createRawChainSinks(common, { serdes, groupPrefix, clickhouse, batch: { maxRows: 1_000, maxWaitMs: 200 } });
    const sink = sinks.find((s) => s.table === 'raw_transactions')!;
    const stats = await runSinkUntilCaughtUp(sink, { timeoutMs: 60_000 });
    expect(stats.deadLettered).toBe(1);

    const rs = await clickhouse.query({
      query: `SELECT block_number, tx_index, toString(value) AS value, to_address, toString(max_fee_per_gas) AS fee, is_orphaned
              FROM raw_transactions FINAL WHERE chain_id = {c:UInt64} ORDER BY block_number, tx_index`,
      query_params: { c: chainId },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{
      block_number: string;
      tx_index: number;
      value: string;
      to_address: string | null;
      fee: string;
    }>();
    // Block 2's record was dead-lettered whole; block 3 was retracted, so FINAL drops its rows.
    expect(rows.map((r) => [r.block_number, r.tx_index, r.value, r.to_address])).toEqual([
      ['1', 0, big, null],
      ['1', 1, '0', `0x${'22'.repeat(20)}`],
      ['1', 2, '12', `0x${'22'.repeat(20)}`],
    ]);
    expect(rows[0]!.fee).toBe((2n ** 200n).toString());
    const orphaned = await queryNumbers(
      'SELECT is_orphaned AS v FROM raw_transactions WHERE chain_id = {c:UInt64} AND block_number = 3 ORDER BY version',
      { c: chainId },
    );
    expect(orphaned).toEqual([0, 1]);
  });

  it('a background insert that fails commits nothing after it: the consumer restarts and every record lands', async () => {
    const chainId = randomInt(5_000_000, 6_000_000);
    await startGroupAtEnd(`sink-it-bg-${chainId}`, 'eth.blocks.raw');
    await publishBlocks(chainId, range(0, 40), 'commit');
    let calls = 0;
    const committedAtFailure: Record<number, string>[] = [];
    const sink = createClickHouseSink(common, {
      serdes,
      topic: 'eth.blocks.raw',
      table: 'raw_blocks',
      groupId: `sink-it-bg-${chainId}`,
      toRows: blockRows,
      rowBinary: { columns: RAW_BLOCKS_COLUMNS },
      batch: { maxRows: 5, maxWaitMs: 100 },
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      afterInsert: () => {
        calls += 1;
        if (calls === 2) {
          committedAtFailure.push(sink.stats().committedOffsets);
          throw new Error('injected failure after the insert, before the commit');
        }
      },
    });
    const stats = await runSinkUntilCaughtUp(sink, { timeoutMs: 90_000 });
    expect(calls).toBeGreaterThan(2);
    // The failed batch and what was read after it are read again; each record is counted once, when committed.
    expect(stats.records).toBe(40);
    expect(stats.committedOffsets).not.toEqual(committedAtFailure[0]);
    const visible = await queryNumbers(
      'SELECT block_number AS v FROM raw_blocks FINAL WHERE chain_id = {c:UInt64} ORDER BY block_number',
      { c: chainId },
    );
    expect(visible).toEqual(range(0, 40));
  });
});
