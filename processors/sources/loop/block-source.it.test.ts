import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, type OraculConfig } from '../../../config/index.ts';
import type { Common } from '../../../core/common.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown } from '../../../core/shutdown.ts';
import { createWarehouseClient } from '../../../dwh/client.ts';
import { migrate } from '../../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../../schemas/index.ts';
import type { ChainData, RpcJson } from '../../../scripts/test/chain-data.ts';
import { startReplayServer, type FaultPlan, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { testConfig } from '../../../scripts/test/test-config.ts';
import { createRawChainSinks, runSinkUntilCaughtUp } from '../../sinks/index.ts';
import { runBlockSource } from './block-source.ts';

const database = `oracul_source_it_${randomBytes(4).toString('hex')}`;
const logger = createLogger({
  level: (process.env.ORACUL_TEST_LOG_LEVEL as 'debug' | 'info' | undefined) ?? 'warn',
  pretty: false,
});
const stateRoot = mkdtempSync(join(tmpdir(), 'oracul-source-it-'));
const FIRST = 5_000_000;
const TXS = 12;
const LOGS = 30;

let clickhouse: ClickHouseClient;
let adminClient: ClickHouseClient;
let serdes: Serdes;
let kafka: Kafka;
const servers: ReplayServer[] = [];

function chainConfig(chainId: number, overrides: Record<string, unknown> = {}): OraculConfig {
  return testConfig({
    clickhouse: { database },
    chains: [{ name: `test${chainId}`, chainId, confirmations: 0, rpcUrls: [] }],
    ingest: { progressIntervalS: 1, pollIntervalMs: 100, rpcTimeoutMs: 1_000, ...overrides },
  });
}
const commonFor = (config: OraculConfig): Common => ({ config, logger, shutdown: createShutdown(logger) });

async function serve(chain: ChainData, chainId: number, faults: FaultPlan = {}): Promise<ReplayServer> {
  const server = await startReplayServer({ chain, chainId, faults });
  servers.push(server);
  return server;
}

/** Runs the raw sinks (their own groups) until they have consumed everything. */
async function sinkAll(config: OraculConfig): Promise<void> {
  const sinks = createRawChainSinks(commonFor(config), {
    serdes,
    groupPrefix: `source-it-${randomBytes(3).toString('hex')}`,
    batch: { maxRows: 20_000, maxWaitMs: 200 },
  });
  for (const sink of sinks) await runSinkUntilCaughtUp(sink, { timeoutMs: 90_000 });
}

async function rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** What the chain says, per block: hash, transaction count, log count. */
function expected(chain: ChainData, from: number, to: number): { n: number; hash: string; txs: number; logs: number }[] {
  const out = [];
  for (let n = from; n <= to; n += 1) {
    const block = chain.blockByNumber(n)!;
    const receipts = chain.receiptsOf(n)!;
    out.push({
      n,
      hash: block.hash as string,
      txs: (block.transactions as unknown[]).length,
      logs: receipts.reduce((k, r) => k + (r.logs as unknown[]).length, 0),
    });
  }
  return out;
}

/** Per block as ClickHouse shows it with FINAL: hash, transaction count, log count. */
async function landed(chainId: number): Promise<{ n: number; hash: string; txs: number; logs: number }[]> {
  const result = await rows<{ n: string; hash: string; txs: string; logs: string }>(
    `SELECT b.block_number AS n, b.block_hash AS hash,
            (SELECT count() FROM raw_transactions FINAL t WHERE t.chain_id = {c:UInt64} AND t.block_hash = b.block_hash) AS txs,
            (SELECT count() FROM raw_logs FINAL l WHERE l.chain_id = {c:UInt64} AND l.block_hash = b.block_hash) AS logs
     FROM raw_blocks FINAL b WHERE b.chain_id = {c:UInt64} ORDER BY n`,
    { c: chainId },
  ).catch(async () => {
    // Correlated subqueries are not supported everywhere: join per-block counts instead.
    return rows<{ n: string; hash: string; txs: string; logs: string }>(
      `SELECT b.block_number AS n, b.block_hash AS hash, ifNull(t.c, 0) AS txs, ifNull(l.c, 0) AS logs
       FROM (SELECT block_number, block_hash FROM raw_blocks FINAL WHERE chain_id = {c:UInt64}) b
       LEFT JOIN (SELECT block_hash, count() AS c FROM raw_transactions FINAL WHERE chain_id = {c:UInt64} GROUP BY block_hash) t USING block_hash
       LEFT JOIN (SELECT block_hash, count() AS c FROM raw_logs FINAL WHERE chain_id = {c:UInt64} GROUP BY block_hash) l USING block_hash
       ORDER BY n`,
      { c: chainId },
    );
  });
  return result.map((r) => ({ n: Number(r.n), hash: r.hash, txs: Number(r.txs), logs: Number(r.logs) }));
}

/** Counts eth.blocks.raw kind=block records of a chain per block number (duplicates in Kafka show as > 1). */
async function kafkaBlockCounts(chainId: number): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets('eth.blocks.raw');
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  const counts = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: `source-it-count-${randomBytes(4).toString('hex')}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: 'eth.blocks.raw', fromBeginning: true });
  const serde = serdes.forTopic('eth.blocks.raw');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('eth.blocks.raw not read to the end')), 60_000);
    const reached = (partition: number, next: bigint) => {
      const end = remaining.get(partition);
      if (end !== undefined && next >= end) remaining.delete(partition);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => reached(payload.partition, BigInt(payload.lastOffset) + 1n));
    if (remaining.size === 0) resolve();
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const v = await serde.deserialize(m.value!).catch(() => undefined);
          if (v?.chain_id === chainId && v.kind === 'block') counts.set(v.block_number, (counts.get(v.block_number) ?? 0) + 1);
        }
      },
    });
  });
  await consumer.disconnect();
  return counts;
}

const stateDirFor = (name: string) => join(stateRoot, name);

beforeAll(async () => {
  const config = chainConfig(1);
  adminClient = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: adminClient, database, logger });
  clickhouse = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  kafka = createKafka({ config, logger, clientSuffix: 'source-it' });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await adminClient?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await Promise.all([adminClient?.close(), clickhouse?.close()]);
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('block source → Kafka → raw sinks → ClickHouse', () => {
  const chain = createSyntheticChain({ firstBlock: FIRST, count: 400, txsPerBlock: TXS, logsPerBlock: LOGS, seed: 7 });

  it(
    'backfills a range: ClickHouse holds exactly what the chain returns; under faults the result is identical',
    { timeout: 240_000 },
    async () => {
      const clean = randomInt(10_000, 1_000_000);
      const faulty = clean + 1;
      const from = FIRST + 10;
      const to = FIRST + 129;

      const cleanServer = await serve(chain, clean);
      const cleanConfig = chainConfig(clean);
      const summary = await runBlockSource(
        commonFor(cleanConfig),
        { serdes, rpcUrls: [cleanServer.url], stateDir: stateDirFor('clean'), ingest: { batchSize: 10, concurrency: 3 } },
        { from, to },
      );
      expect(summary).toMatchObject({ blocks: 120, logs: 120 * LOGS, transactions: 120 * TXS, strategy: 'block-receipts' });

      const faults: FaultPlan = {
        rateLimit: { every: 9, burst: 2, retryAfterS: 0.02 },
        serverErrorEvery: 7,
        hangEvery: 17,
        dropEvery: 13,
        noBlockReceipts: true,
      };
      const faultyServer = await serve(chain, faulty, faults);
      const faultySummary = await runBlockSource(
        commonFor(chainConfig(faulty)),
        {
          serdes,
          rpcUrls: [faultyServer.url],
          stateDir: stateDirFor('faulty'),
          ingest: {
            batchSize: 10,
            concurrency: 3,
            rpcTimeoutMs: 400,
            rpcInitialRps: 2_000,
            rpcMinRps: 500,
            rpcMaxRps: 5_000,
            rpcBatchSize: 8,
          },
        },
        { from, to },
      );
      expect(faultySummary.strategy).toBe('logs');
      expect(faultyServer.stats.rateLimited).toBeGreaterThan(0);
      expect(faultyServer.stats.serverErrors).toBeGreaterThan(0);
      expect(faultyServer.stats.hung).toBeGreaterThan(0);
      expect(faultyServer.stats.dropped).toBeGreaterThan(0);

      await sinkAll(cleanConfig);
      expect(await landed(clean)).toEqual(expected(chain, from, to));
      expect(await landed(faulty)).toEqual(expected(chain, from, to));

      // Identical rows (receipt-only columns aside: the logs strategy has no receipts).
      for (const [table, columns] of [
        [
          'raw_blocks',
          'block_number, block_hash, parent_hash, block_timestamp, miner, gas_limit, gas_used, base_fee_per_gas, transaction_count, log_count',
        ],
        [
          'raw_transactions',
          'block_number, block_hash, tx_index, tx_hash, from_address, to_address, value, nonce, gas, gas_price, max_fee_per_gas, tx_type, input',
        ],
        ['raw_logs', 'block_number, block_hash, tx_index, tx_hash, log_index, address, topics, data'],
      ] as const) {
        const diff = await rows<{ c: string }>(
          `SELECT count() AS c FROM (
           (SELECT ${columns} FROM ${table} FINAL WHERE chain_id = {a:UInt64} EXCEPT SELECT ${columns} FROM ${table} FINAL WHERE chain_id = {b:UInt64})
           UNION ALL
           (SELECT ${columns} FROM ${table} FINAL WHERE chain_id = {b:UInt64} EXCEPT SELECT ${columns} FROM ${table} FINAL WHERE chain_id = {a:UInt64}))`,
          { a: clean, b: faulty },
        );
        expect(Number(diff[0]!.c), table).toBe(0);
      }
      const receipts = await rows<{ s: string }>(
        'SELECT countIf(status IS NULL) AS s FROM raw_transactions FINAL WHERE chain_id = {c:UInt64}',
        { c: faulty },
      );
      expect(Number(receipts[0]!.s)).toBe(120 * TXS);
    },
  );

  it('live mode across a reorg: retractions hide the orphaned rows, the canonical branch is present', async () => {
    const chainId = randomInt(1_000_000, 2_000_000);
    const a = createSyntheticChain({ firstBlock: FIRST, count: 200, txsPerBlock: TXS, logsPerBlock: LOGS, seed: 11 });
    const b = createSyntheticChain({ firstBlock: FIRST, count: 200, txsPerBlock: TXS, logsPerBlock: LOGS, seed: 12 });
    const forkAt = FIRST + 25;
    let head = FIRST + 30;
    let forked = false;
    const pick = (n: number) => (forked && n >= forkAt ? b : a);
    const patch = (json: RpcJson | undefined): RpcJson | undefined =>
      json && forked && Number(BigInt(json.number as string)) === forkAt
        ? { ...json, parentHash: a.blockByNumber(forkAt - 1)!.hash }
        : json;
    const view: ChainData = {
      head: () => head,
      blockNumbers: () => a.blockNumbers().filter((n) => n <= head),
      blockByNumber: (n) => (n <= head ? patch(pick(n).blockByNumber(n)) : undefined),
      blockByHash: (h) => patch((forked ? b.blockByHash(h) : undefined) ?? a.blockByHash(h)),
      receiptsOf: (n) => (n <= head ? pick(n).receiptsOf(n) : undefined),
      receipt: (h) => (forked ? b.receipt(h) : undefined) ?? a.receipt(h),
    };
    const server = await serve(view, chainId);
    const config = chainConfig(chainId);
    const controller = new AbortController();
    let checkpoint = 0;
    const checkpointed = (block: number) =>
      vi.waitFor(() => expect(checkpoint).toBeGreaterThanOrEqual(block), { timeout: 60_000, interval: 50 });
    const run = runBlockSource(
      commonFor(config),
      {
        serdes,
        rpcUrls: [server.url],
        stateDir: stateDirFor('live'),
        ingest: { batchSize: 5, concurrency: 2 },
        afterCommit: (c) => {
          checkpoint = c.blockNumber;
        },
      },
      { from: FIRST, signal: controller.signal },
    );
    await checkpointed(FIRST + 30);
    forked = true;
    head = FIRST + 40;
    await checkpointed(FIRST + 40);
    controller.abort();
    const summary = await run;
    expect(summary.mode).toBe('live');
    expect(summary.retracted).toBe(6);

    await sinkAll(config);
    const visible = await landed(chainId);
    const canonical = [...expected(a, FIRST, forkAt - 1), ...expected(b, forkAt, FIRST + 40)];
    expect(visible).toEqual(canonical);
    // The orphaned rows are still there, marked.
    const orphaned = await rows<{ n: string; logs: string }>(
      `SELECT block_number AS n, count() AS logs FROM raw_logs FINAL WHERE chain_id = {c:UInt64} AND is_orphaned = 1 GROUP BY n ORDER BY n`,
      { c: chainId },
    );
    expect(orphaned).toEqual([]); // FINAL drops them
    const marked = await rows<{ c: string }>(
      `SELECT count() AS c FROM raw_logs WHERE chain_id = {c:UInt64} AND is_orphaned = 1 AND block_number BETWEEN {f:UInt64} AND {t:UInt64}`,
      { c: chainId, f: forkAt, t: FIRST + 30 },
    );
    expect(Number(marked[0]!.c)).toBe(6 * LOGS); // the 6 retracted blocks' logs, once each
  });

  it('kill -9 mid-backfill (also between the Kafka commit and the checkpoint): no gap, no duplicate', async () => {
    const chainId = randomInt(2_000_000, 3_000_000);
    const server = await serve(chain, chainId, { latencyMs: 15 });
    const from = FIRST;
    const to = FIRST + 199;
    const overrides = {
      clickhouse: { database },
      chains: [{ name: `test${chainId}`, chainId, confirmations: 0, rpcUrls: [server.url] }],
      ingest: { stateDir: stateDirFor('kill'), batchSize: 10, concurrency: 2, progressIntervalS: 1 },
    };
    const runChild = (env: Record<string, string>, killAtCheckpoint?: number) =>
      new Promise<{ signal: NodeJS.Signals | null; code: number | null; output: string; last: number }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(REPO_ROOT, 'processors/sources/testing/backfill-child.ts')],
          {
            env: {
              ...process.env,
              ...env,
              ORACUL_TEST_CONFIG_OVERRIDES: JSON.stringify(overrides),
              ORACUL_TEST_FROM: String(from),
              ORACUL_TEST_TO: String(to),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        let last = 0;
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          for (const m of d.toString().matchAll(/\{"checkpoint":(\d+)\}/g)) last = Number(m[1]);
          if (killAtCheckpoint !== undefined && last >= killAtCheckpoint) child.kill('SIGKILL');
        });
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('exit', (code, signal) => resolve({ signal, code, output, last }));
      });

    // 1. Killed from outside, wherever it happens to be.
    const first = await runChild({}, FIRST + 60);
    expect(first.signal, first.output).toBe('SIGKILL');
    // 2. Killed by itself right after a Kafka commit, before the LMDB checkpoint.
    const second = await runChild({ ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH: '3' });
    expect(second.signal, second.output).toBe('SIGKILL');
    // 3. Runs to the end.
    const third = await runChild({});
    expect(third.code, third.output).toBe(0);
    expect(third.output).toContain('adopted blocks committed in Kafka after the last checkpoint');

    const counts = await kafkaBlockCounts(chainId);
    const numbers = [...counts.keys()].sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => from + i));
    // The external kill may land between commit and checkpoint too; the self-kill always does and
    // must not produce a duplicate.
    const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
    expect(duplicated).toEqual([]);

    await sinkAll(chainConfig(chainId));
    expect(await landed(chainId)).toEqual(expected(chain, from, to));
  });
});
