/**
 * Transfers-only backfill against a full-block backfill of the same synthetic range (Approval logs mixed in,
 * crossing a UTC midnight), through the real Kafka, registry and ClickHouse engine of the test stack:
 * - eth.logs.raw holds exactly the full run's Transfer logs, eth.blocks.raw the same headers (log_count null),
 *   eth.transactions.raw nothing, every block once although the run crashed between a Kafka commit and its
 *   LMDB checkpoint and was restarted;
 * - the decoded transfers and the daily marts (the stream's own processors, in memory) equal the full run's;
 * - after the raw sinks, raw_blocks.transfers_only marks exactly those blocks, the data-quality checks pass for
 *   both chains (no false "missing transactions" or log-index holes) and `oracul status` lists the range.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type OraculConfig } from '../../../config/index.ts';
import type { Common } from '../../../core/common.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown } from '../../../core/shutdown.ts';
import { DAY_MS } from '../../../core/time.ts';
import { createWarehouseClient } from '../../../dwh/client.ts';
import { migrate } from '../../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../../schemas/index.ts';
import type { AddressFlowsDaily, BlockRecord, LogBatch, TokenMetricsDaily, Transfer } from '../../../schemas/generated/types.ts';
import type { TopicName } from '../../../schemas/topics.ts';
import { startReplayServer, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { testConfig } from '../../../scripts/test/test-config.ts';
import { addressLegsOf } from '../../aggregates/repartition.ts';
import { DEFAULT_WINDOWING, type WindowingConfig } from '../../aggregates/windowing.ts';
import { createTestDriver } from '../../engine/testDriver.ts';
import type { Erc20Transfer } from '../../erc20/transfer.ts';
import { runDqChecks } from '../../dq/checks.ts';
import { collectTransfersOnly } from '../../engine/status/transfers-only.ts';
import { addressFlowsStage } from '../../aggregates/address-flows-stage.ts';
import { erc20DecoderStage } from '../../erc20/erc20-decoder-stage.ts';
import { toDomainTransfer } from '../../aggregates/window-stage.ts';
import { tokenMetricsStage } from '../../aggregates/token-metrics-stage.ts';
import { createRawChainSinks, runSinkUntilCaughtUp } from '../../sinks/index.ts';
import { runBlockSource } from '../loop/block-source.ts';
import { TRANSFER_TOPIC0 } from './normalize-transfers.ts';
import { runTransfersBackfill } from './transfers-source.ts';

const database = `oracul_transfers_it_${randomBytes(4).toString('hex')}`;
const logger = createLogger({ level: (process.env.ORACUL_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'warn', pretty: false });
const stateRoot = mkdtempSync(join(tmpdir(), 'oracul-transfers-it-'));
// 60 blocks 12 s apart around a UTC midnight (the synthetic chain's timestamps: 1 700 000 000 + 12 n).
const MIDNIGHT_S = 20_600 * 86_400;
const FIRST = Math.ceil((MIDNIGHT_S - 1_700_000_000) / 12) - 30;
const COUNT = 60;
const TO = FIRST + COUNT - 1;
const FULL = randomInt(10_000, 1_000_000);
const TRANSFERS_ONLY = FULL + 1;

let kafka: Kafka;
let serdes: Serdes;
let adminClient: ClickHouseClient;
let clickhouse: ClickHouseClient;
const servers: ReplayServer[] = [];

const configFor = (chainIds: number[]): OraculConfig =>
  testConfig({
    clickhouse: { database },
    chains: chainIds.map((chainId) => ({ name: `test${chainId}`, chainId, confirmations: 0, rpcUrls: [] })),
    ingest: { progressIntervalS: 1, pollIntervalMs: 100, rpcTimeoutMs: 2_000 },
  });
const commonFor = (config: OraculConfig): Common => ({ config, logger, shutdown: createShutdown(logger) });

/** Every committed record of `topic` whose chain_id is one of `chainIds` (read_committed, to the end). */
async function readTopic<T extends { chain_id: number }>(topic: TopicName, chainIds: number[]): Promise<T[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  const out: T[] = [];
  const consumer = kafka.consumer({ groupId: `transfers-it-${randomBytes(4).toString('hex')}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const serde = serdes.forTopic(topic);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${topic} not read to the end`)), 60_000);
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
          if (m.value === null) continue;
          const v = (await serde.deserialize(m.value).catch(() => undefined)) as T | undefined;
          if (v !== undefined && chainIds.includes(v.chain_id)) out.push(v);
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** The stream's processors in memory: decoder, then both daily aggregates closed at the end. */
function runProcessors(batches: readonly LogBatch[]): {
  transfers: Transfer[];
  tokens: TokenMetricsDaily[];
  flows: AddressFlowsDaily[];
} {
  const decoderStage = erc20DecoderStage();
  const decoder = createTestDriver(decoderStage.processor, { verifySerde: false });
  const ordered = [...batches].sort((a, b) => a.block_number - b.block_number || a.part - b.part);
  for (const batch of ordered) decoder.pipe({ kind: 'logs', batch });
  const transfers = decoder.outputs('erc20.transfers').map((o) => o.value as Transfer);

  const windowing: Partial<WindowingConfig> = { updates: 'on_punctuate', retentionMs: 0 };
  const tokenStage = tokenMetricsStage({ windowing });
  const addressStage = addressFlowsStage({ windowing });
  const tokens: TokenMetricsDaily[] = [];
  const flows: AddressFlowsDaily[] = [];
  type Driver = ReturnType<typeof createTestDriver<Record<string, unknown>, unknown, unknown>>;
  const driver = (processor: unknown, onOutput: (o: { topic: string; key: string | null; value: unknown }) => void): Driver =>
    createTestDriver(processor as Parameters<typeof createTestDriver>[0], { verifySerde: false, onOutput }) as Driver;
  const tokenDriver = driver(tokenStage.processor, (o) => {
    if (o.topic === 'token.metrics.daily') tokens.push(tokenStage.toAvro(o as never).value as TokenMetricsDaily);
  });
  const addressDriver = driver(addressStage.processor, (o) => {
    if (o.topic === 'address.flows.daily') flows.push(addressStage.toAvro(o as never).value as AddressFlowsDaily);
  });
  for (const t of transfers) {
    const domain = toDomainTransfer(t);
    tokenDriver.pipe(domain);
    for (const leg of addressLegsOf(domain as Erc20Transfer)) addressDriver.pipe(leg);
  }
  const lastDay = Math.floor(Math.max(...transfers.map((t) => t.block_timestamp)) / DAY_MS) * DAY_MS;
  const wall = lastDay + DAY_MS + DEFAULT_WINDOWING.graceMs + DEFAULT_WINDOWING.idleTimeoutMs;
  for (const d of [tokenDriver, addressDriver]) {
    d.advanceWallClock(wall - d.wallClockMs);
    d.punctuate({ caughtUp: true });
  }
  return { transfers, tokens: tokens.filter((t) => t.is_final), flows: flows.filter((f) => f.is_final) };
}

/** What must be equal between the runs: everything except the chain id and the observation version/time. */
const comparable = <T extends { chain_id: number }>(rows: readonly T[], drop: readonly string[]): string[] =>
  rows
    .map((r) => {
      const copy: Record<string, unknown> = { ...r, chain_id: 0 };
      for (const k of drop) delete copy[k];
      return JSON.stringify(copy);
    })
    .sort();

beforeAll(async () => {
  const config = configFor([FULL, TRANSFERS_ONLY]);
  adminClient = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: adminClient, database, logger });
  clickhouse = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  kafka = createKafka({ config, logger, clientSuffix: 'transfers-it' });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await adminClient?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await Promise.all([adminClient?.close(), clickhouse?.close()]);
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('transfers-only backfill vs a full-block backfill of the same range', () => {
  const chain = createSyntheticChain({
    firstBlock: FIRST,
    count: COUNT,
    txsPerBlock: 12,
    logsPerBlock: 30,
    approvalEvery: 4,
    seed: 11,
  });

  it(
    'publishes the same Transfer logs, decodes to the same transfers and marts, resumes after a crash, and passes DQ',
    { timeout: 300_000 },
    async () => {
      const fullServer = await startReplayServer({ chain, chainId: FULL });
      const transfersServer = await startReplayServer({ chain, chainId: TRANSFERS_ONLY });
      servers.push(fullServer, transfersServer);

      const full = await runBlockSource(
        commonFor(configFor([FULL])),
        { serdes, rpcUrls: [fullServer.url], stateDir: join(stateRoot, 'full'), ingest: { batchSize: 10, concurrency: 3 } },
        { from: FIRST, to: TO },
      );
      expect(full.blocks).toBe(COUNT);

      // Crash once between a range's Kafka commit and its LMDB checkpoint, then run the same command again.
      const options = {
        serdes,
        rpcUrls: [transfersServer.url],
        stateDir: join(stateRoot, 'transfers'),
        ingest: { concurrency: 3 },
        range: { initial: 4, max: 16, targetLogs: 200 },
      };
      let ranges = 0;
      let checkpointed = 0;
      let committedTo = 0;
      const crash = runTransfersBackfill(
        commonFor(configFor([TRANSFERS_ONLY])),
        {
          ...options,
          afterPublish: (lastBlock) => {
            ranges += 1;
            committedTo = lastBlock;
            if (ranges === 3) throw new Error('simulated crash after the Kafka commit');
          },
          afterCommit: (checkpoint) => {
            checkpointed = checkpoint.blockNumber;
          },
        },
        { from: FIRST, to: TO },
      );
      await expect(crash).rejects.toThrow('simulated crash');
      const summary = await runTransfersBackfill(commonFor(configFor([TRANSFERS_ONLY])), options, { from: FIRST, to: TO });
      // Exactly the third transaction's blocks: committed in Kafka, not checkpointed.
      expect(summary.adopted).toBe(committedTo - checkpointed);
      expect(summary.resumedFrom).toBe(committedTo + 1);
      expect(summary.lastBlock).toBe(TO);
      expect(summary.rangeSize).toBeGreaterThan(4); // grown: ~23 Transfer logs a block, target 200
      // One capability probe per run, never a receipt fetch.
      expect(transfersServer.stats.callsByMethod.eth_getBlockReceipts ?? 0).toBe(2);
      expect(transfersServer.stats.callsByMethod.eth_getTransactionReceipt ?? 0).toBe(0);

      // ---- Kafka: the same Transfer logs and headers; no transactions; every block once -----------------------------
      const blocks = await readTopic<BlockRecord>('eth.blocks.raw', [FULL, TRANSFERS_ONLY]);
      const logBatches = await readTopic<LogBatch>('eth.logs.raw', [FULL, TRANSFERS_ONLY]);
      const txBatches = await readTopic<{ chain_id: number }>('eth.transactions.raw', [TRANSFERS_ONLY]);
      const mine = blocks.filter((b) => b.chain_id === TRANSFERS_ONLY && b.kind === 'block');
      const theirs = blocks.filter((b) => b.chain_id === FULL && b.kind === 'block');
      expect(mine.map((b) => b.block_number).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => FIRST + i));
      expect(txBatches).toEqual([]);
      // checkpoint encodes the chain id, which differs between the two runs.
      const header = (b: BlockRecord) => ({ hash: b.block_hash, ts: b.block_timestamp, ...b.header, log_count: 0 });
      expect(mine.map(header).sort((a, b) => a.hash.localeCompare(b.hash))).toEqual(
        theirs.map(header).sort((a, b) => a.hash.localeCompare(b.hash)),
      );
      expect(mine.every((b) => b.header?.log_count === null && b.header.transaction_count === 12)).toBe(true);
      const logsOf = (chainId: number, transfersOnly: boolean) =>
        logBatches
          .filter((b) => b.chain_id === chainId && b.kind === 'block')
          .flatMap((b) => b.logs.map((l) => ({ block: b.block_hash, ts: b.block_timestamp, ...l })))
          .filter((l) => !transfersOnly || l.topics[0] === TRANSFER_TOPIC0)
          .map((l) => JSON.stringify(l))
          .sort();
      const transferLogs = logsOf(TRANSFERS_ONLY, false);
      expect(transferLogs).toEqual(logsOf(FULL, true));
      // Every Transfer log the chain holds in the range (its receipts are the oracle).
      const chainTransfers = Array.from({ length: COUNT }, (_, i) => chain.receiptsOf(FIRST + i)!)
        .flat()
        .flatMap((r) => (r.logs as { topics: string[] }[]).filter((l) => l.topics[0] === TRANSFER_TOPIC0));
      expect(transferLogs).toHaveLength(chainTransfers.length);
      expect(chainTransfers.length).toBeGreaterThan(COUNT * 20);

      // ---- decoded transfers and marts: equal to the full run's ----------------------------------------------------
      const a = runProcessors(logBatches.filter((b) => b.chain_id === FULL));
      const b = runProcessors(logBatches.filter((b) => b.chain_id === TRANSFERS_ONLY));
      expect(a.transfers).toHaveLength(transferLogs.length);
      expect(comparable(b.transfers, ['version', 'checkpoint'])).toEqual(comparable(a.transfers, ['version', 'checkpoint']));
      expect(new Set(a.tokens.map((t) => t.date)).size).toBe(2); // both sides of midnight
      expect(a.tokens.length).toBeGreaterThan(0);
      expect(comparable(b.tokens, ['version', 'emitted_at'])).toEqual(comparable(a.tokens, ['version', 'emitted_at']));
      expect(a.flows.length).toBeGreaterThan(100);
      expect(comparable(b.flows, ['version', 'emitted_at'])).toEqual(comparable(a.flows, ['version', 'emitted_at']));

      // ---- warehouse: the marker, DQ and status ----------------------------------------------------------------------
      const config = configFor([FULL, TRANSFERS_ONLY]);
      const sinks = createRawChainSinks(commonFor(config), {
        serdes,
        groupPrefix: `transfers-it-${randomBytes(3).toString('hex')}`,
        batch: { maxRows: 20_000, maxWaitMs: 200 },
      });
      for (const sink of sinks) await runSinkUntilCaughtUp(sink, { timeoutMs: 90_000 });
      const marked = await (
        await clickhouse.query({
          query: `SELECT toString(chain_id) AS chain, toString(sum(transfers_only)) AS marked, toString(count()) AS blocks
                FROM raw_blocks FINAL WHERE chain_id IN ({a:UInt64}, {b:UInt64}) GROUP BY chain_id ORDER BY chain_id`,
          query_params: { a: FULL, b: TRANSFERS_ONLY },
          format: 'JSONEachRow',
        })
      ).json<{ chain: string; marked: string; blocks: string }>();
      expect(marked).toEqual([
        { chain: String(FULL), marked: '0', blocks: String(COUNT) },
        { chain: String(TRANSFERS_ONLY), marked: String(COUNT), blocks: String(COUNT) },
      ]);
      const checks = await runDqChecks({ client: clickhouse, config, nowMs: Date.now(), head: () => Promise.resolve(null) }, [
        'block_gaps',
        'duplicate_tx_hash',
        'log_index_contiguity',
        'block_tx_count',
      ]);
      expect(checks.map((c) => [c.chain_id, c.check_name, c.status])).toEqual(
        [FULL, TRANSFERS_ONLY].flatMap((id) =>
          ['block_gaps', 'duplicate_tx_hash', 'log_index_contiguity', 'block_tx_count'].map((name) => [id, name, 'pass']),
        ),
      );
      const txCheck = checks.find((c) => c.chain_id === TRANSFERS_ONLY && c.check_name === 'block_tx_count')!;
      expect(JSON.parse(txCheck.details)).toMatchObject({ transfers_only_blocks_skipped: COUNT });
      const status = await collectTransfersOnly(clickhouse);
      expect(status.error).toBeNull();
      expect(status.ranges.filter((r) => r.chain_id === TRANSFERS_ONLY)).toEqual([
        { chain_id: TRANSFERS_ONLY, from_block: FIRST, to_block: TO, blocks: COUNT },
      ]);
      expect(status.ranges.some((r) => r.chain_id === FULL)).toBe(false);
    },
  );

  it(
    'kill -9 mid-run (also between a Kafka commit and its checkpoint): every block once, no gap',
    { timeout: 240_000 },
    async () => {
      const chainId = TRANSFERS_ONLY + 1;
      const server = await startReplayServer({ chain, chainId, faults: { latencyMs: 15 } });
      servers.push(server);
      const overrides = {
        clickhouse: { database },
        chains: [{ name: `test${chainId}`, chainId, confirmations: 0, rpcUrls: [server.url] }],
        ingest: { stateDir: join(stateRoot, 'kill'), concurrency: 2, progressIntervalS: 1 },
      };
      const runChild = (env: Record<string, string>, killAtCheckpoint?: number) =>
        new Promise<{ signal: NodeJS.Signals | null; code: number | null; output: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', join(REPO_ROOT, 'processors/sources/transfers/testing/transfers-child.ts')],
            {
              env: {
                ...process.env,
                ...env,
                ORACUL_TEST_CONFIG_OVERRIDES: JSON.stringify(overrides),
                ORACUL_TEST_FROM: String(FIRST),
                ORACUL_TEST_TO: String(TO),
              },
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
          let output = '';
          child.stdout.on('data', (d: Buffer) => {
            output += d.toString();
            const last = Math.max(0, ...[...output.matchAll(/\{"checkpoint":(\d+)\}/g)].map((m) => Number(m[1])));
            if (killAtCheckpoint !== undefined && last >= killAtCheckpoint) child.kill('SIGKILL');
          });
          child.stderr.on('data', (d: Buffer) => (output += d.toString()));
          child.on('exit', (code, signal) => resolve({ signal, code, output }));
        });

      // 1. Killed from outside, wherever it happens to be; 2. killed by itself right after a Kafka commit; 3. to the end.
      const first = await runChild({}, FIRST + 12);
      expect(first.signal, first.output).toBe('SIGKILL');
      const second = await runChild({ ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH: '2' });
      expect(second.signal, second.output).toBe('SIGKILL');
      const third = await runChild({});
      expect(third.code, third.output).toBe(0);
      expect(third.output).toContain('adopted blocks committed in Kafka after the last checkpoint');

      const blocks = await readTopic<BlockRecord>('eth.blocks.raw', [chainId]);
      const numbers = blocks.filter((b) => b.kind === 'block').map((b) => b.block_number);
      expect([...new Set(numbers)].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => FIRST + i));
      expect(numbers).toHaveLength(COUNT); // no duplicate
      const logs = await readTopic<LogBatch>('eth.logs.raw', [chainId]);
      expect(logs.reduce((n, b) => n + b.logs.length, 0)).toBe(
        chain.blockNumbers().reduce(
          (n, k) =>
            n +
            chain
              .receiptsOf(k)!
              .flatMap((r) => r.logs as { topics: string[] }[])
              .filter((l) => l.topics[0] === TRANSFER_TOPIC0).length,
          0,
        ),
      );
    },
  );
});
