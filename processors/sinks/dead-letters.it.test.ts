import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, type OraculConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { metrics } from '../../core/metrics/index.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import {
  createSchemaRegistrySerdes,
  encodeCheckpoint,
  topicKeys,
  type BlockRecord,
  type DeadLetter,
  type LogBatch,
  type Serdes,
  type TopicName,
  type TransactionBatch,
} from '../../schemas/index.ts';
import { testConfig, testStackEnv } from '../../scripts/test/test-config.ts';
import { formatStatus, type StatusReport } from '../engine/status/index.ts';
import { startStreamWorker, type StreamWorker } from '../engine/streamWorker.ts';
import { tokenAnomaliesStage } from '../anomalies/anomaly-stages.ts';
import { runSinkUntilCaughtUp } from './clickhouse-sink.ts';
import { createDeadLettersSink, DEAD_LETTER_TOPICS } from './dead-letters-sink.ts';
import { createRawChainSinks } from './raw-sinks.ts';

/**
 * Issue 15, finding 5: raw sinks refuse schema-valid garbage (dead-lettered with field, value prefix and rule, the
 * good records of the batch land), every `<topic>.dlq` reaches ClickHouse `dead_letters` exactly once (also after
 * a restart and a full replay), and `oracul status` counts them — against the real broker, registry and warehouse.
 */

const database = `oracul_dlq_it_${randomBytes(4).toString('hex')}`;
const config: OraculConfig = testConfig({ clickhouse: { database } });
const logger = createLogger({ level: process.env.ORACUL_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn', pretty: false });
const common: Common = { config, logger, shutdown: createShutdown(logger) };
const chainId = randomInt(10_000_000, 20_000_000);
const sinkGroupPrefix = `dlq-it-raw-${chainId}`;
const deadLettersGroup = `dlq-it-dead_letters-${chainId}`;

let admin: ClickHouseClient;
let clickhouse: ClickHouseClient;
let kafka: Kafka;
let serdes: Serdes;
let txProducer: Producer;
let plainProducer: Producer;
let stateDir: string;
let worker: StreamWorker | undefined;

type Hex = `0x${string}`;
/** The schema types say `0x…`; a foreign producer can still send anything schema-valid. */
const raw = (v: string): Hex => v as Hex;
const hash = (n: number, tag = 'ab'): Hex => raw(`0x${n.toString(16).padStart(8, '0')}${tag.repeat(28)}`);
const ADDRESS = raw(`0x${'11'.repeat(20)}`);
const TOPIC0 = raw(`0x${'dd'.repeat(32)}`);

function envelope(n: number) {
  const ts = 1_700_000_000_000 + n * 12_000;
  return {
    chain_id: chainId,
    block_number: n,
    block_hash: hash(n),
    block_timestamp: ts,
    checkpoint: encodeCheckpoint({ timestampMs: ts, chainId, blockNumber: n, txIndex: 0, logIndex: 0 }),
    version: 1,
    observed_at: Date.now(),
  };
}

function block(
  n: number,
  bad: Partial<Omit<BlockRecord, 'header'>> & { header?: Partial<NonNullable<BlockRecord['header']>> } = {},
): BlockRecord {
  const { header, ...rest } = bad;
  return {
    ...envelope(n),
    kind: 'block',
    header: {
      parent_hash: hash(n - 1),
      miner: ADDRESS,
      gas_limit: 30_000_000,
      gas_used: 1_000,
      base_fee_per_gas: '7',
      size_bytes: 1_000,
      transaction_count: 1,
      log_count: 2,
      blob_gas_used: null,
      excess_blob_gas: null,
      ...header,
    },
    ...rest,
  };
}

type Tx = TransactionBatch['transactions'][number];
function transactions(n: number, bad: Partial<Tx> = {}, badEnvelope: Partial<TransactionBatch> = {}): TransactionBatch {
  const tx = (i: number): Tx => ({
    tx_hash: hash(n * 10 + i, 'ee'),
    tx_index: i,
    from_address: ADDRESS,
    to_address: raw(`0x${'22'.repeat(20)}`),
    value: '1',
    nonce: i,
    gas: 21_000,
    gas_price: null,
    max_fee_per_gas: '2',
    max_priority_fee_per_gas: '1',
    tx_type: 2,
    input: raw('0xa9059cbb'),
    status: 1,
    gas_used: 21_000,
    effective_gas_price: '2',
    contract_address: null,
  });
  // The malformed field sits in the second transaction: the whole record (the block's transactions) is refused.
  return { ...envelope(n), kind: 'block', part: 0, parts: 1, transactions: [tx(0), { ...tx(1), ...bad }], ...badEnvelope };
}

type Log = LogBatch['logs'][number];
function logs(n: number, bad: Partial<Log> = {}, badEnvelope: Partial<LogBatch> = {}): LogBatch {
  const log = (i: number): Log => ({
    tx_hash: hash(n * 10, 'ee'),
    tx_index: 0,
    log_index: i,
    address: ADDRESS,
    topics: [TOPIC0, hash(1, '00')],
    data: raw(`0x${'00'.repeat(31)}01`),
  });
  return { ...envelope(n), kind: 'block', part: 0, parts: 1, logs: [log(0), { ...log(1), ...bad }], ...badEnvelope };
}

/** What each malformed record must be dead-lettered for. */
interface Expected {
  topic: 'eth.blocks.raw' | 'eth.transactions.raw' | 'eth.logs.raw';
  n: number;
  field: string;
  value_prefix: string;
  rule: string;
}

const GOOD = [1, 2, 3];
const BAD_BLOCKS: [BlockRecord, Expected][] = [
  [
    block(4, { block_hash: raw('not-a-hash') }),
    { topic: 'eth.blocks.raw', n: 4, field: 'block_hash', value_prefix: 'not-a-hash', rule: 'hash32' },
  ],
  [
    block(5, { header: { parent_hash: raw(`0x${'AB'.repeat(32)}`) } }),
    { topic: 'eth.blocks.raw', n: 5, field: 'header.parent_hash', value_prefix: `0x${'AB'.repeat(11)}…`, rule: 'hash32' },
  ],
  [
    block(6, { header: { miner: raw('NOT_AN_ADDRESS') } }),
    { topic: 'eth.blocks.raw', n: 6, field: 'header.miner', value_prefix: 'NOT_AN_ADDRESS', rule: 'address20' },
  ],
];
const BAD_TXS: [TransactionBatch, Expected][] = [
  [
    transactions(4, { tx_hash: raw('0x1234') }),
    { topic: 'eth.transactions.raw', n: 4, field: 'transactions[1].tx_hash', value_prefix: '0x1234', rule: 'hash32' },
  ],
  [
    transactions(5, { from_address: raw('NOT_AN_ADDRESS') }),
    {
      topic: 'eth.transactions.raw',
      n: 5,
      field: 'transactions[1].from_address',
      value_prefix: 'NOT_AN_ADDRESS',
      rule: 'address20',
    },
  ],
  [
    transactions(6, { input: raw('0xabc') }),
    { topic: 'eth.transactions.raw', n: 6, field: 'transactions[1].input', value_prefix: '0xabc', rule: 'hex-data' },
  ],
  [
    transactions(7, { to_address: raw(`0x${'22'.repeat(19)}`) }),
    {
      topic: 'eth.transactions.raw',
      n: 7,
      field: 'transactions[1].to_address',
      value_prefix: `0x${'22'.repeat(11)}…`,
      rule: 'address20',
    },
  ],
];
const BAD_LOGS: [LogBatch, Expected][] = [
  [
    logs(4, { address: raw('NOT_AN_ADDRESS') }),
    { topic: 'eth.logs.raw', n: 4, field: 'logs[1].address', value_prefix: 'NOT_AN_ADDRESS', rule: 'address20' },
  ],
  [logs(5, { data: raw('zz') }), { topic: 'eth.logs.raw', n: 5, field: 'logs[1].data', value_prefix: 'zz', rule: 'hex-data' }],
  [logs(6, { data: raw('0x0') }), { topic: 'eth.logs.raw', n: 6, field: 'logs[1].data', value_prefix: '0x0', rule: 'hex-data' }],
  [
    logs(7, { topics: [TOPIC0, raw('0xZZ')] }),
    { topic: 'eth.logs.raw', n: 7, field: 'logs[1].topics[1]', value_prefix: '0xZZ', rule: 'hash32' },
  ],
  [
    logs(8, { topics: [TOPIC0, TOPIC0, TOPIC0, TOPIC0, TOPIC0] }),
    { topic: 'eth.logs.raw', n: 8, field: 'logs[1].topics', value_prefix: `["${TOPIC0.slice(0, 22)}…`, rule: 'max-4-topics' },
  ],
  [
    logs(9, {}, { block_hash: raw('not-a-hash') }),
    { topic: 'eth.logs.raw', n: 9, field: 'block_hash', value_prefix: 'not-a-hash', rule: 'hash32' },
  ],
];
const EXPECTED: Expected[] = [...BAD_BLOCKS, ...BAD_TXS, ...BAD_LOGS].map(([, e]) => e);
const stageOf = (topic: Expected['topic']): string =>
  ({ 'eth.blocks.raw': 'sink:raw_blocks', 'eth.transactions.raw': 'sink:raw_transactions', 'eth.logs.raw': 'sink:raw_logs' })[
    topic
  ];

/** Good and malformed records interleaved, one committed transaction per topic: one batch for each sink. */
async function publishRaw(): Promise<void> {
  const tx = await txProducer.transaction();
  const send = async <T>(topic: TopicName, records: T[]): Promise<void> => {
    const serde = serdes.forTopic(topic as 'eth.blocks.raw');
    const messages = await Promise.all(
      records.map(async (r) => {
        const n = (r as { block_number: number }).block_number;
        return { key: topicKeys.block(chainId, n), value: await serde.serialize(r as never), headers: { origin: 'dlq-it' } };
      }),
    );
    await tx.send({ topic, messages });
  };
  const interleave = <T>(good: T[], bad: [T, Expected][]): T[] => [good[0]!, ...bad.map(([r]) => r), ...good.slice(1)];
  await send(
    'eth.blocks.raw',
    interleave(
      GOOD.map((n) => block(n)),
      BAD_BLOCKS,
    ),
  );
  await send(
    'eth.transactions.raw',
    interleave(
      GOOD.map((n) => transactions(n)),
      BAD_TXS,
    ),
  );
  await send(
    'eth.logs.raw',
    interleave(
      GOOD.map((n) => logs(n)),
      BAD_LOGS,
    ),
  );
  await tx.commit();
}

/** Reads `topics` from the beginning until `count` dead letters passed `keep` (fails after 60 s). */
async function readDeadLetters(topics: TopicName[], keep: (l: DeadLetter) => boolean, count: number): Promise<DeadLetter[]> {
  const consumer = kafka.consumer({ groupId: `dlq-it-reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const found: DeadLetter[] = [];
  const dlqSerde = serdes.forTopic('eth.logs.raw.dlq');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${found.length} of ${count} dead letters after 60 s`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const letter = await dlqSerde.deserialize(message.value!);
          if (!keep(letter)) return;
          found.push(letter);
          if (found.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const deadLetterMetric = async (stage: string, topic: string): Promise<number> =>
  (await metrics.deadLetters.get()).values.find((v) => v.labels.stage === stage && v.labels.topic === topic)?.value ?? 0;

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const myKeys = (): string[] => EXPECTED.map((e) => b64(topicKeys.block(chainId, e.n)));
const garbageKey = `dlq-it-garbage-${chainId}`;
const stageGarbageKey = `dlq-it-stage-${chainId}`;

beforeAll(async () => {
  admin = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: admin, database, logger });
  clickhouse = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  kafka = createKafka({ config, logger, clientSuffix: 'dlq-it' });
  txProducer = kafka.producer({
    transactionalId: `dlq-it-${randomBytes(4).toString('hex')}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  plainProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([txProducer.connect(), plainProducer.connect()]);
  stateDir = mkdtempSync(join(tmpdir(), 'oracul-dlq-it-'));
}, 180_000);

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await Promise.all([txProducer?.disconnect(), plainProducer?.disconnect()]);
  await admin?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await Promise.all([admin?.close(), clickhouse?.close()]);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('dead letters you can see, raw sinks that refuse garbage', () => {
  it('raw sinks: a malformed record is not inserted, is dead-lettered with field, value prefix and rule, and counted; the good ones land', async () => {
    const before = await Promise.all(EXPECTED.map((e) => e.topic).map((t) => deadLetterMetric(stageOf(t), t)));
    await publishRaw();
    const sinks = createRawChainSinks(common, {
      serdes,
      clickhouse,
      groupPrefix: sinkGroupPrefix,
      batch: { maxRows: 10_000, maxWaitMs: 300 },
    });
    for (const sink of sinks) await runSinkUntilCaughtUp(sink, { timeoutMs: 90_000 });

    // Only the good blocks' rows are in the tables, all of them (the malformed records sat in the same batches).
    for (const table of ['raw_blocks', 'raw_transactions', 'raw_logs']) {
      const landed = await rows<{ n: string; c: string }>(
        `SELECT toString(block_number) AS n, toString(count()) AS c FROM ${table} FINAL WHERE chain_id = {c:UInt64} GROUP BY block_number ORDER BY block_number`,
        { c: chainId },
      );
      expect(landed, table).toEqual(GOOD.map((n) => ({ n: String(n), c: table === 'raw_blocks' ? '1' : '2' })));
    }

    const letters = await readDeadLetters(
      ['eth.blocks.raw.dlq', 'eth.transactions.raw.dlq', 'eth.logs.raw.dlq'],
      (l) => l.original_key?.toString().startsWith(`${chainId}:`) === true,
      EXPECTED.length,
    );
    for (const e of EXPECTED) {
      const letter = letters.find(
        (l) => l.source_topic === e.topic && l.original_key?.toString() === topicKeys.block(chainId, e.n),
      );
      expect(letter, `${e.topic} block ${e.n}`).toMatchObject({
        stage: stageOf(e.topic),
        error_code: 'ORACUL_SINK_RECORD_INVALID',
        retryable: false,
        original_headers: [{ key: 'origin', value: Buffer.from('dlq-it') }],
      });
      expect(JSON.parse(letter!.error_details!), `${e.topic} block ${e.n}`).toMatchObject({
        field: e.field,
        value_prefix: e.value_prefix,
        rule: e.rule,
        block_number: e.n,
      });
      expect(letter!.error_message).toContain(`${e.field} ${JSON.stringify(e.value_prefix)} breaks rule ${e.rule}`);
    }
    expect(letters).toHaveLength(EXPECTED.length);

    // oracul_dead_letters_total counts each, per sink stage and source topic.
    const after = await Promise.all(EXPECTED.map((e) => e.topic).map((t) => deadLetterMetric(stageOf(t), t)));
    const delta = (t: Expected['topic']): number => {
      const i = EXPECTED.findIndex((e) => e.topic === t);
      return after[i]! - before[i]!;
    };
    expect(delta('eth.blocks.raw')).toBe(BAD_BLOCKS.length);
    expect(delta('eth.transactions.raw')).toBe(BAD_TXS.length);
    expect(delta('eth.logs.raw')).toBe(BAD_LOGS.length);
  }, 180_000);

  it('every .dlq lands in dead_letters exactly once: sink and stream-stage dead letters, after a restart and a full replay', async () => {
    // A stream stage's dead letter, written by the stage in its Kafka transaction (streamTask.ts).
    worker = await startStreamWorker({
      kafka,
      logger,
      serdes,
      stage: tokenAnomaliesStage(config),
      appId: `dlq-it-${chainId}`,
      stateDir,
      topics: config.kafka.topics,
    });
    await plainProducer.send({
      topic: 'token.metrics.daily',
      messages: [{ key: stageGarbageKey, value: Buffer.from('not a token metric'), headers: { origin: 'dlq-it' } }],
    });
    // A record on a .dlq topic that is not a dead letter at all: it has no .dlq of its own, so it becomes a row.
    await plainProducer.send({ topic: 'eth.logs.raw.dlq', messages: [{ key: garbageKey, value: Buffer.from('not avro') }] });

    const expectedKeys = [...myKeys(), b64(stageGarbageKey), b64(garbageKey)];
    const landed = async (): Promise<number> =>
      Number(
        (
          await rows<{ n: string }>(
            'SELECT toString(count()) AS n FROM dead_letters FINAL WHERE original_key_base64 IN {keys:Array(String)}',
            { keys: expectedKeys },
          )
        )[0]!.n,
      );

    const sink = createDeadLettersSink(common, {
      serdes,
      clickhouse,
      groupId: deadLettersGroup,
      batch: { maxRows: 1_000, maxWaitMs: 200 },
    });
    await sink.start();
    try {
      // The stage commits its dead letter on its own schedule: wait for every expected row, then for the end.
      await vi.waitFor(async () => expect(await landed()).toBe(expectedKeys.length), { timeout: 120_000, interval: 500 });
      await sink.waitUntilCaughtUp({ timeoutMs: 60_000 });
    } finally {
      await sink.stop();
    }
    expect(sink.topics).toEqual(DEAD_LETTER_TOPICS);
    expect(await landed()).toBe(expectedKeys.length);

    // The sink dead letters: coordinates, stage, code, details, base64 bytes as documented.
    const sinkRows = await rows<{
      source_topic: string;
      stage: string;
      error_code: string;
      error_details: string;
      retryable: boolean;
      key: string;
      value_ok: number;
      original_headers: { key: string; value_base64: string | null }[];
    }>(
      `SELECT source_topic, stage, error_code, error_details, retryable, base64Decode(original_key_base64) AS key,
              length(base64Decode(original_value_base64)) > 0 AS value_ok, original_headers
       FROM dead_letters FINAL WHERE original_key_base64 IN {keys:Array(String)} ORDER BY source_topic, key`,
      { keys: myKeys() },
    );
    expect(sinkRows).toHaveLength(EXPECTED.length);
    for (const e of EXPECTED) {
      const row = sinkRows.find((r) => r.source_topic === e.topic && r.key === topicKeys.block(chainId, e.n));
      expect(row, `${e.topic} ${e.n}`).toMatchObject({
        stage: stageOf(e.topic),
        error_code: 'ORACUL_SINK_RECORD_INVALID',
        retryable: false,
        value_ok: 1,
        original_headers: [{ key: 'origin', value_base64: b64('dlq-it') }],
      });
      expect(JSON.parse(row!.error_details)).toMatchObject({ field: e.field, value_prefix: e.value_prefix, rule: e.rule });
    }

    // The stream stage's dead letter and the undecodable .dlq record.
    const other = await rows<{ source_topic: string; stage: string; error_code: string; value: string }>(
      `SELECT source_topic, stage, error_code, base64Decode(original_value_base64) AS value
       FROM dead_letters FINAL WHERE original_key_base64 IN {keys:Array(String)} ORDER BY source_topic`,
      { keys: [b64(stageGarbageKey), b64(garbageKey)] },
    );
    expect(other.map((r) => [r.source_topic, r.stage, r.error_code, r.value])).toEqual([
      ['eth.logs.raw.dlq', 'sink:dead_letters', 'ORACUL_DESERIALIZE_FAILED', 'not avro'],
      ['token.metrics.daily', 'token-anomalies', 'ORACUL_DESERIALIZE_FAILED', 'not a token metric'],
    ]);

    // Restart with the same group: nothing is read again, nothing inserted again.
    const physical = async (): Promise<number> =>
      Number(
        (
          await rows<{ n: string }>(
            'SELECT toString(count()) AS n FROM dead_letters WHERE original_key_base64 IN {keys:Array(String)}',
            {
              keys: expectedKeys,
            },
          )
        )[0]!.n,
      );
    expect(await physical()).toBe(expectedKeys.length);
    const restarted = await runSinkUntilCaughtUp(
      createDeadLettersSink(common, { serdes, clickhouse, groupId: deadLettersGroup }),
      {
        timeoutMs: 60_000,
      },
    );
    expect(restarted.rows).toBe(0);
    expect(await physical()).toBe(expectedKeys.length);

    // A full replay (the group's offsets reset to the beginning): every row inserted again, each still once with FINAL.
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    for (const topic of DEAD_LETTER_TOPICS) await kafkaAdmin.resetOffsets({ groupId: deadLettersGroup, topic, earliest: true });
    await kafkaAdmin.disconnect();
    const replayed = await runSinkUntilCaughtUp(
      createDeadLettersSink(common, { serdes, clickhouse, groupId: deadLettersGroup }),
      {
        timeoutMs: 60_000,
      },
    );
    // (The undecodable .dlq record counts as dead-lettered, not as a record: it was stored through deadLetterRows.)
    expect(replayed.records + replayed.deadLettered).toBeGreaterThanOrEqual(expectedKeys.length);
    expect(replayed.deadLettered).toBeGreaterThanOrEqual(1);
    expect(await landed()).toBe(expectedKeys.length);
    const perKey = await rows<{ c: string }>(
      `SELECT toString(max(c)) AS c FROM (SELECT count() AS c FROM dead_letters FINAL WHERE original_key_base64 IN {keys:Array(String)}
       GROUP BY source_topic, source_partition, source_offset, stage)`,
      { keys: expectedKeys },
    );
    expect(perKey[0]!.c).toBe('1');
  }, 300_000);

  it('oracul status shows dead-letter counts per source topic, stage and error code', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'scripts/oracul.mjs'), 'status', '--app-id', `dlq-it-status-${chainId}`, '--json'],
      {
        env: { ...process.env, ...testStackEnv(), ORACUL_CLICKHOUSE_DATABASE: database },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.dead_letters?.error, stderr).toBeNull();
    const count = (source: string, stage: string, code: string): number | undefined =>
      report.dead_letters?.groups.find((g) => g.source_topic === source && g.stage === stage && g.error_code === code)?.count;
    expect(count('eth.blocks.raw', 'sink:raw_blocks', 'ORACUL_SINK_RECORD_INVALID')).toBe(BAD_BLOCKS.length);
    expect(count('eth.transactions.raw', 'sink:raw_transactions', 'ORACUL_SINK_RECORD_INVALID')).toBe(BAD_TXS.length);
    expect(count('eth.logs.raw', 'sink:raw_logs', 'ORACUL_SINK_RECORD_INVALID')).toBe(BAD_LOGS.length);
    expect(count('token.metrics.daily', 'token-anomalies', 'ORACUL_DESERIALIZE_FAILED')).toBe(1);
    expect(count('eth.logs.raw.dlq', 'sink:dead_letters', 'ORACUL_DESERIALIZE_FAILED')).toBe(1);
    expect(report.dead_letters?.total).toBeGreaterThanOrEqual(EXPECTED.length + 2);

    const text = formatStatus(report);
    expect(text).toContain(`Dead letters (ClickHouse dead_letters, from every <topic>.dlq): ${report.dead_letters?.total} total`);
    expect(text).toMatch(/eth\.logs\.raw\s+sink:raw_logs\s+ORACUL_SINK_RECORD_INVALID\s+6\s+6\s+\d{4}-\d\d-\d\d /);
  }, 120_000);
});
