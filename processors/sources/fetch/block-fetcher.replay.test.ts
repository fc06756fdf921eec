/**
 * The block fetcher against recorded real mainnet JSON-RPC responses, served by the
 * local replay server (scripts/test/rpc-replay-server.ts), with and without faults.
 * The recordings are committed (scripts/test/fixtures.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETHEREUM_ETL_DIR } from '../../../scripts/test/fixtures.ts';
import { loadRecordedChain, type RecordedChain } from '../../../scripts/test/recorded-chain.ts';
import {
  startReplayServer,
  type FaultPlan,
  type ReplayServer,
  type ReplayStats,
} from '../../../scripts/test/rpc-replay-server.ts';
import type { RpcJson } from '../../../scripts/test/chain-data.ts';
import { detectCapabilities } from '../capabilities/detect-capabilities.ts';
import type { BlockBundle } from '../normalize/records.ts';
import { createRpcClient } from '../rpc/rpc-client.ts';
import { createBlockFetcher } from './block-fetcher.ts';

async function ingest(server: ReplayServer, numbers: number[], options: { timeoutMs?: number } = {}) {
  const rpc = createRpcClient({
    chain: 'mainnet',
    endpoints: [server.url],
    defaults: { timeoutMs: options.timeoutMs ?? 2_000, maxBatchSize: 8, rate: { initialRps: 2_000, minRps: 500, maxRps: 5_000 } },
    retry: { retries: 10, minDelayMs: 5, maxDelayMs: 100 },
  });
  const caps = await detectCapabilities({ rpc, chainId: 1, probeBlock: 18_500_000, retries: 10, retryDelayMs: 5 });
  const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: caps.strategy, maxLogsRange: 4 });
  const bundles = await fetcher.fetchBundles(numbers);
  return { bundles, caps, rpc, fetcher };
}

/** The records a logs-only strategy produces: the same, without receipt fields. */
const withoutReceipts = (bundles: BlockBundle[]): BlockBundle[] =>
  bundles.map((b) => ({ ...b, transactions: b.transactions.map((t) => ({ ...t, receipt: null })) }));

/** ethereum-etl writes integers above 2^53 as bare JSON numbers: quote them before parsing. */
function readJsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l.replace(/:\s*(\d{16,})/g, ': "$1"')) as Record<string, unknown>);
}

function readCsv(file: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = header!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [keys[i]!, v])));
}

describe('block fetcher on recorded mainnet data (replay server)', () => {
  let chain: RecordedChain;
  let complete: number[];
  let server: ReplayServer;
  let baseline: BlockBundle[];

  beforeAll(async () => {
    chain = loadRecordedChain();
    complete = chain.info.filter((i) => i.complete).map((i) => i.number);
    server = await startReplayServer({ chain });
    baseline = (await ingest(server, complete)).bundles;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ingests every recorded block with receipts: block, transaction and log counts and hashes match the recordings', () => {
    expect(complete).toEqual([
      0, 200_000, 483_920, 1_000_000, 1_755_634, 1_755_635, 2_463_000, 4_369_999, 18_000_000, 18_500_000,
    ]);
    expect(baseline.map((b) => b.block.number)).toEqual(complete);
    for (const bundle of baseline) {
      const block = chain.blockByNumber(bundle.block.number)!;
      const txs = block.transactions as RpcJson[];
      const receipts = chain.receiptsOf(bundle.block.number)!;
      const logs = receipts.flatMap((r) => r.logs as RpcJson[]);
      expect(bundle.block.hash).toBe(String(block.hash).toLowerCase());
      expect(bundle.block.parentHash).toBe(String(block.parentHash).toLowerCase());
      expect(bundle.block.transactionCount).toBe(txs.length);
      expect(bundle.transactions.map((t) => t.hash)).toEqual(txs.map((t) => String(t.hash).toLowerCase()));
      expect(bundle.block.logCount).toBe(logs.length);
      expect(bundle.logs.map((l) => [l.transactionHash, l.logIndex, l.address, l.topics, l.data])).toEqual(
        logs.map((l) => [
          String(l.transactionHash).toLowerCase(),
          Number.parseInt(String(l.logIndex), 16),
          String(l.address).toLowerCase(),
          (l.topics as string[]).map((t) => t.toLowerCase()),
          String(l.data).toLowerCase(),
        ]),
      );
    }
    const totals = baseline.reduce((s, b) => ({ txs: s.txs + b.transactions.length, logs: s.logs + b.logs.length }), {
      txs: 0,
      logs: 0,
    });
    expect(totals).toEqual({ txs: 281, logs: 875 });
    // Subsquid's fixtures, whose receipts roots and blooms were verified upstream.
    const logsOf = (n: number) => baseline.find((b) => b.block.number === n)!.logs.length;
    expect([1_000_000, 4_369_999, 18_000_000, 18_500_000].map(logsOf)).toEqual([1, 171, 291, 408]);
  });

  it('matches the expected outputs of ethereum-etl for blocks 483 920 and 1 755 634-5 (exact values)', () => {
    const byNumber = new Map(baseline.map((b) => [b.block.number, b]));
    const etl = ETHEREUM_ETL_DIR;
    const expectedBlocks = [
      ...readCsv(join(etl, 'test_export_blocks_job/block_with_logs/expected_blocks.csv')),
      ...readJsonLines(join(etl, 'test_stream/blocks_1755634_1755635/expected_blocks.json')),
    ];
    for (const e of expectedBlocks) {
      const b = byNumber.get(Number(e.number))!.block;
      expect([
        b.hash,
        b.parentHash,
        b.miner,
        b.timestampMs,
        b.transactionCount,
        b.gasUsed,
        b.gasLimit,
        b.difficulty,
        b.totalDifficulty,
        b.size,
      ]).toEqual([
        e.hash,
        e.parent_hash,
        e.miner,
        Number(e.timestamp) * 1000,
        Number(e.transaction_count),
        BigInt(String(e.gas_used)),
        BigInt(String(e.gas_limit)),
        BigInt(String(e.difficulty)),
        BigInt(String(e.total_difficulty)),
        Number(e.size),
      ]);
    }
    const expectedTxs = [
      ...readCsv(join(etl, 'test_export_blocks_job/block_with_logs/expected_transactions.csv')),
      ...readJsonLines(join(etl, 'test_stream/blocks_1755634_1755635/expected_transactions.json')),
    ];
    expect(expectedTxs).toHaveLength(6);
    for (const e of expectedTxs) {
      const t = byNumber.get(Number(e.block_number))!.transactions[Number(e.transaction_index)]!;
      expect([t.hash, t.from, t.to, t.value, t.gas, t.gasPrice, t.nonce, t.input, t.type]).toEqual([
        e.hash,
        e.from_address,
        e.to_address,
        BigInt(String(e.value)),
        BigInt(String(e.gas)),
        BigInt(String(e.gas_price)),
        BigInt(String(e.nonce)),
        e.input,
        Number(e.transaction_type),
      ]);
    }
    const expectedReceipts = [
      ...readJsonLines(join(etl, 'test_export_receipts_job/receipts_with_logs/expected_receipts.json')),
      ...readJsonLines(join(etl, 'test_stream/blocks_1755634_1755635/expected_transactions.json')).map((t) => ({
        transaction_hash: t.hash,
        block_number: t.block_number,
        transaction_index: t.transaction_index,
        gas_used: t.receipt_gas_used,
        cumulative_gas_used: t.receipt_cumulative_gas_used,
        status: t.receipt_status,
        effective_gas_price: t.receipt_effective_gas_price,
        contract_address: t.receipt_contract_address,
      })),
    ];
    expect(expectedReceipts).toHaveLength(6);
    for (const e of expectedReceipts) {
      const t = byNumber.get(Number(e.block_number))!.transactions[Number(e.transaction_index)]!;
      expect([t.hash, t.receipt]).toEqual([
        e.transaction_hash,
        {
          status: e.status, // null: pre-Byzantium receipts carry a state root instead
          gasUsed: BigInt(String(e.gas_used)),
          cumulativeGasUsed: BigInt(String(e.cumulative_gas_used)),
          effectiveGasPrice: BigInt(String(e.effective_gas_price)),
          contractAddress: e.contract_address,
        },
      ]);
    }
    // Failed transactions per subsquid's SOURCES.md: 2 in block 18 000 000, 1 in 18 500 000.
    const failed = (n: number) => byNumber.get(n)!.transactions.filter((t) => t.receipt?.status === 0).length;
    expect([failed(18_000_000), failed(18_500_000)]).toEqual([2, 1]);

    const expectedLogs = [
      ...readJsonLines(join(etl, 'test_export_receipts_job/receipts_with_logs/expected_logs.json')),
      ...readJsonLines(join(etl, 'test_stream/blocks_1755634_1755635/expected_logs.json')),
    ];
    expect(expectedLogs).toHaveLength(4);
    for (const e of expectedLogs) {
      const l = byNumber.get(Number(e.block_number))!.logs[Number(e.log_index)]!;
      expect([l.transactionHash, l.transactionIndex, l.address, l.data, l.topics, l.blockHash]).toEqual([
        e.transaction_hash,
        e.transaction_index,
        e.address,
        e.data,
        e.topics,
        e.block_hash,
      ]);
    }
  });

  it('fetches the recorded blocks without receipts (nimbus): 11 consecutive parent-linked blocks, 17 fork blocks', async () => {
    const rpc = createRpcClient({ chain: 'mainnet', endpoints: [server.url], retry: { minDelayMs: 5 } });
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'block-receipts' });
    const numbers = chain.info.filter((i) => i.source === 'nimbus').map((i) => i.number);
    const blocks = await fetcher.fetchBlocks(numbers);
    expect(blocks).toHaveLength(28);
    for (const { block, transactions } of blocks) {
      const json = chain.blockByNumber(block.number)!;
      expect(block.hash).toBe(json.hash);
      expect(transactions.map((t) => t.hash)).toEqual((json.transactions as RpcJson[]).map((t) => t.hash));
    }
    const consecutive = blocks.filter((b) => b.block.number >= 22_431_080);
    expect(consecutive).toHaveLength(11);
    for (let i = 1; i < consecutive.length; i += 1) expect(consecutive[i]!.block.parentHash).toBe(consecutive[i - 1]!.block.hash);
    // Every transaction type of the Prague era decodes (legacy, 2930, 1559, blob, 7702).
    expect(new Set(consecutive.flatMap((b) => b.transactions.map((t) => t.type)))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(consecutive.find((b) => b.block.number === 22_431_084)!.block.requestsHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  const modes: [string, FaultPlan, keyof ReplayStats | undefined, string][] = [
    ['429 bursts with Retry-After', { rateLimit: { every: 3, burst: 2, retryAfterS: 0.05 } }, 'rateLimited', 'block-receipts'],
    ['HTTP 500s', { serverErrorEvery: 2 }, 'serverErrors', 'block-receipts'],
    ['hung requests (timeouts)', { hangEvery: 3 }, 'hung', 'block-receipts'],
    ['dropped connections', { dropEvery: 2 }, 'dropped', 'block-receipts'],
    ['no eth_getBlockReceipts (method not found)', { noBlockReceipts: true }, 'methodNotFound', 'logs'],
    ['no JSON-RPC batches', { noBatch: true }, 'batchesRefused', 'block-receipts'],
    ['eth_getLogs capped at 150 results', { noBlockReceipts: true, maxLogsPerResponse: 150 }, 'logLimitErrors', 'logs'],
    ['25 ms latency per call', { latencyMs: 25 }, undefined, 'block-receipts'],
    [
      'everything at once',
      {
        rateLimit: { every: 7, burst: 1, retryAfterS: 0.02 },
        serverErrorEvery: 5,
        hangEvery: 11,
        dropEvery: 13,
        noBlockReceipts: true,
        maxLogsPerResponse: 200,
        latencyMs: 5,
      },
      'rateLimited',
      'logs',
    ],
  ];

  it.each(modes)('with %s, results are identical', { timeout: 30_000 }, async (_name, faults, counter, strategy) => {
    const faulty = await startReplayServer({ chain, faults });
    try {
      const { bundles, caps, rpc } = await ingest(faulty, complete, { timeoutMs: 400 });
      expect(caps.strategy).toBe(strategy);
      // Identical records; a logs-only strategy has no receipt fields to offer.
      expect(bundles).toEqual(strategy === 'logs' ? withoutReceipts(baseline) : baseline);
      if (counter !== undefined) expect(faulty.stats[counter]).toBeGreaterThan(0);
      // 429s cut the endpoint's adaptive rate.
      if (faults.rateLimit) expect(rpc.endpoints[0]!.limiter.state.decreases).toBeGreaterThan(0);
    } finally {
      await faulty.close();
    }
  });

  it('halves the eth_getLogs range on "too many results" and serves a block over the cap from its receipts', async () => {
    const capped = await startReplayServer({ chain, faults: { noBlockReceipts: true, maxLogsPerResponse: 300 } });
    try {
      const { bundles, fetcher, rpc } = await ingest(capped, [18_000_000, 18_500_000]);
      expect(bundles).toEqual(withoutReceipts(baseline.filter((b) => b.block.number >= 18_000_000)));
      expect(capped.stats.logLimitErrors).toBeGreaterThan(0);
      // Block 18 500 000 alone has 408 logs > 300: fetched by eth_getTransactionReceipt (157 calls).
      expect(capped.stats.callsByMethod.eth_getTransactionReceipt).toBe(157);
      expect(fetcher.logsRange.rangeSize).toBeGreaterThanOrEqual(1);
      expect(rpc.stats.failuresByCode.ORACUL_RPC_RESULT_LIMIT).toBeGreaterThan(0);
    } finally {
      await capped.close();
    }
  });
});
