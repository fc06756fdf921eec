import { afterEach, describe, expect, it } from 'vitest';
import type { ChainData, RpcJson } from '../../../scripts/test/chain-data.ts';
import { loadRecordedChain } from '../../../scripts/test/recorded-chain.ts';
import { startReplayServer, type FaultPlan, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { createBlockFetcher } from '../fetch/block-fetcher.ts';
import { InvalidRpcDataError } from '../normalize/errors.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import type { BlockBundle } from '../normalize/records.ts';
import { createRpcClient } from '../rpc/rpc-client.ts';
import { createTransfersFetcher } from './fetch-transfers.ts';
import {
  bloomMayHaveTransfers,
  normalizeHeader,
  normalizeTransferLogs,
  TRANSFER_TOPIC0,
  type TransferBlock,
} from './normalize-transfers.ts';
import { createRangeSizer } from './range-sizer.ts';
import { toTransferBlockRecords } from './to-records.ts';
import { toBlockRecords } from '../publish/to-avro.ts';

const FIRST = 700;
const COUNT = 40;
// Every 3rd log an Approval: the filter must leave exactly the Transfer logs.
const chain = createSyntheticChain({ firstBlock: FIRST, count: COUNT, txsPerBlock: 12, logsPerBlock: 30, approvalEvery: 3 });

let servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
const serve = async (data: ChainData, faults: FaultPlan = {}) => {
  const server = await startReplayServer({ chain: data, faults });
  servers.push(server);
  return server;
};
const client = (server: ReplayServer, timeoutMs = 2_000) =>
  createRpcClient({
    chain: 'test',
    endpoints: [server.url],
    defaults: { timeoutMs, maxBatchSize: 10, rate: { initialRps: 2_000, minRps: 500, maxRps: 5_000 } },
    retry: { retries: 12, minDelayMs: 5, maxDelayMs: 50 },
  });

/** What a full-block run publishes for these blocks, restricted to Transfer logs. */
const fullRunTransfers = (bundles: BlockBundle[]) =>
  bundles.map((b) => ({
    block: { ...b.block, logCount: 0 },
    logs: b.logs.filter((l) => l.topics[0] === TRANSFER_TOPIC0),
  }));
const comparable = (blocks: TransferBlock[]) => blocks.map((b) => ({ block: { ...b.block, logCount: 0 }, logs: b.logs }));

describe('createRangeSizer', () => {
  it('doubles after a full-size answer well below the target, up to max', () => {
    const s = createRangeSizer({ initial: 10, max: 50, targetLogs: 1_000 });
    s.observe(10, 100);
    expect(s.size).toBe(20);
    s.observe(5, 0); // a short tail range says nothing about the size
    expect(s.size).toBe(20);
    s.observe(20, 400);
    expect(s.size).toBe(40);
    s.observe(40, 0);
    expect(s.size).toBe(50);
    s.observe(50, 0);
    expect(s.size).toBe(50);
    expect(s.grows).toBe(3);
  });

  it('shrinks proportionally when an answer is above the target, and halves on a limit error', () => {
    const s = createRangeSizer({ initial: 100, max: 1_000, targetLogs: 1_000 });
    s.observe(100, 4_000);
    expect(s.size).toBe(25);
    s.observe(25, 800); // between half and the target: stays
    expect(s.size).toBe(25);
    s.limited(25);
    expect(s.size).toBe(12);
    s.limited(1);
    expect(s.size).toBe(1);
    s.observe(1, 5_000);
    expect(s.size).toBe(1);
    expect(s.splits).toBe(2);
  });
});

describe('normalizeHeader / normalizeTransferLogs', () => {
  const block = chain.blockByNumber(FIRST + 1)!;
  const header = { ...block, transactions: (block.transactions as RpcJson[]).map((t) => t.hash) };
  const transferLogs = () =>
    chain
      .receiptsOf(FIRST + 1)!
      .flatMap((r) => r.logs as RpcJson[])
      .filter((l) => (l.topics as string[])[0] === TRANSFER_TOPIC0)
      .map((l) => ({ ...l }));

  it('keeps the header fields and the true transaction count', () => {
    const h = normalizeHeader(header, 1, FIRST + 1);
    expect(h.block.transactionCount).toBe(12);
    expect(h.txHashes).toHaveLength(12);
    expect(h.block.hash).toBe(block.hash);
    expect(normalizeTransferLogs(h, transferLogs()).map((l) => l.logIndex)).toEqual([
      0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22, 24, 25, 27, 28,
    ]);
    expect(() => normalizeHeader(header, 1, FIRST + 2)).toThrow(ChainDataMismatchError);
  });

  it('rejects a log of another block hash, another transaction, a repeated index or a removed log (retryable)', () => {
    const h = normalizeHeader(header, 1, FIRST + 1);
    const otherHash = `0x${'ab'.repeat(32)}`;
    const cases: ((logs: RpcJson[]) => void)[] = [
      (logs) => (logs[3]!.blockHash = otherHash),
      (logs) => (logs[3]!.transactionHash = otherHash),
      (logs) => (logs[4]!.logIndex = logs[3]!.logIndex),
      (logs) => (logs[2]!.removed = true),
      (logs) => (logs[5]!.transactionIndex = '0x0'),
    ];
    for (const mutate of cases) {
      const logs = transferLogs();
      mutate(logs);
      const error = (() => {
        try {
          normalizeTransferLogs(h, logs);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ChainDataMismatchError);
      expect((error as ChainDataMismatchError).code).toBe('ORACUL_CHAIN_DATA_MISMATCH');
      expect((error as ChainDataMismatchError).retryable).toBe(true);
    }
  });

  it('rejects Transfer logs for a bloom that rules them out, and a provider ignoring the topic filter', () => {
    const empty = normalizeHeader({ ...header, logsBloom: `0x${'0'.repeat(512)}` }, 1, FIRST + 1);
    expect(() => normalizeTransferLogs(empty, transferLogs())).toThrow(/logsBloom is empty/);
    expect(normalizeTransferLogs(empty, [])).toEqual([]);
    const h = normalizeHeader(header, 1, FIRST + 1);
    const approval = chain.receiptsOf(FIRST + 1)!.flatMap((r) => r.logs as RpcJson[])[2]!;
    expect(() => normalizeTransferLogs(h, [...transferLogs(), approval])).toThrow(InvalidRpcDataError);
    expect(normalizeTransferLogs(h, [...transferLogs(), approval], true)).toHaveLength(20);
  });

  it('reads the Transfer bits of real mainnet blooms', () => {
    const recorded = loadRecordedChain();
    for (const n of [1_000_000, 4_369_999, 18_000_000, 18_500_000]) {
      const b = recorded.blockByNumber(n)!;
      const transfers = recorded
        .receiptsOf(n)!
        .flatMap((r) => r.logs as RpcJson[])
        .filter((l) => String((l.topics as string[])[0]).toLowerCase() === TRANSFER_TOPIC0);
      // A block with Transfer logs always has the bits; these blocks' logs pass the full check.
      if (transfers.length > 0) expect(bloomMayHaveTransfers(String(b.logsBloom).toLowerCase() as `0x${string}`)).toBe(true);
      const h = normalizeHeader({ ...b, transactions: (b.transactions as RpcJson[]).map((t) => t.hash) }, 1, n);
      expect(normalizeTransferLogs(h, transfers)).toHaveLength(transfers.length);
    }
    // Block 1 000 000 has one log, not a Transfer: its bloom rules Transfer out.
    expect(bloomMayHaveTransfers(String(recorded.blockByNumber(1_000_000)!.logsBloom) as `0x${string}`)).toBe(false);
  });
});

describe('createTransfersFetcher against the replay server', () => {
  const baseline = async () => {
    const server = await serve(chain);
    const bundles = await createBlockFetcher({ rpc: client(server), chainId: 1, strategy: 'block-receipts' }).fetchRange(
      FIRST,
      FIRST + COUNT - 1,
    );
    return fullRunTransfers(bundles);
  };

  it('returns the Transfer logs and headers of a full-block fetch, over adaptive ranges', async () => {
    const expected = await baseline();
    const server = await serve(chain);
    const sizer = createRangeSizer({ initial: 2, max: 16, targetLogs: 200 });
    const fetcher = createTransfersFetcher({ rpc: client(server), chainId: 1, sizer });
    const got: TransferBlock[] = [];
    for (let from = FIRST; from < FIRST + COUNT;) {
      const to = Math.min(FIRST + COUNT - 1, from + sizer.size - 1);
      got.push(...(await fetcher.fetchRange(from, to)));
      from = to + 1;
    }
    expect(comparable(got)).toEqual(expected);
    expect(got.reduce((n, b) => n + b.logs.length, 0)).toBe(COUNT * 20);
    expect(sizer.size).toBe(8); // 20 logs a block: 8 blocks = 160 ≤ 200, 16 would be 320
    expect(server.stats.callsByMethod.eth_getBlockReceipts ?? 0).toBe(0);
    // The same eth.logs.raw records as the full run's, minus the other events; the header without log count.
    const full = toBlockRecords({ block: { ...expected[0]!.block }, transactions: [], logs: expected[0]!.logs }, 7, 9);
    const mine = toTransferBlockRecords(got[0]!, 7, 9);
    expect(mine.logs).toEqual(full.logs);
    expect(mine.transactions).toEqual([]);
    expect(mine.block.header?.log_count).toBeNull();
    expect(mine.block.header?.transaction_count).toBe(12);
  });

  const faults: [string, FaultPlan][] = [
    ['429 bursts with Retry-After', { rateLimit: { every: 4, burst: 2, retryAfterS: 0 } }],
    ['503-style server errors', { serverErrorEvery: 3 }],
    ['dropped connections', { dropEvery: 4 }],
    ['hung requests', { hangEvery: 9 }],
    ['a getLogs cap (splits, then receipts for a block over it)', { maxLogsPerResponse: 15 }],
    ['everything at once', { rateLimit: { every: 7, burst: 1 }, serverErrorEvery: 5, dropEvery: 6, maxLogsPerResponse: 45 }],
  ];
  for (const [name, plan] of faults) {
    it(`gives identical blocks and logs under ${name}`, async () => {
      const expected = await baseline();
      const server = await serve(chain, plan);
      const sizer = createRangeSizer({ initial: 8, max: 8, targetLogs: 10_000 });
      const fetcher = createTransfersFetcher({ rpc: client(server, 300), chainId: 1, sizer });
      const ranges = await Promise.all(
        Array.from({ length: COUNT / 8 }, (_, i) => fetcher.fetchRange(FIRST + 8 * i, FIRST + 8 * i + 7)),
      );
      expect(comparable(ranges.flat())).toEqual(expected);
      if (plan.maxLogsPerResponse === 15) {
        expect(sizer.splits).toBeGreaterThan(0);
        expect(server.stats.callsByMethod.eth_getBlockReceipts).toBeGreaterThan(0); // 20 logs > 15: receipts
      }
    });
  }

  it('refetches a range whose logs come from another branch than its headers (reorg between the calls)', async () => {
    const expected = await baseline();
    const branch = createSyntheticChain({
      firstBlock: FIRST,
      count: COUNT,
      txsPerBlock: 12,
      logsPerBlock: 30,
      approvalEvery: 3,
      seed: 2,
    });
    let stale = 2; // the first two eth_getLogs answers come from the orphaned branch
    const racing: ChainData = {
      ...chain,
      receiptsOf: (n) => (stale > 0 ? branch.receiptsOf(n) : chain.receiptsOf(n)),
    };
    const server = await serve(racing);
    const rpc = client(server);
    const original = rpc.request.bind(rpc);
    rpc.request = async (method, params, options) => {
      const result = await original(method, params, options);
      if (method === 'eth_getLogs') stale -= 1;
      return result;
    };
    const fetcher = createTransfersFetcher({ rpc, chainId: 1, sizer: createRangeSizer({ initial: 40, max: 40 }) });
    const got = await fetcher.fetchRange(FIRST, FIRST + COUNT - 1);
    expect(comparable(got)).toEqual(expected);
    expect(server.stats.callsByMethod.eth_getLogs).toBe(3);
  });

  it('gives up with ChainDataMismatchError when the parts never agree', async () => {
    const branch = createSyntheticChain({ firstBlock: FIRST, count: COUNT, txsPerBlock: 12, logsPerBlock: 30, seed: 3 });
    const server = await serve({ ...chain, receiptsOf: (n) => branch.receiptsOf(n) });
    const fetcher = createTransfersFetcher({ rpc: client(server), chainId: 1, sizer: createRangeSizer(), mismatchRetries: 1 });
    await expect(fetcher.fetchRange(FIRST, FIRST + 3)).rejects.toBeInstanceOf(ChainDataMismatchError);
  });
});
