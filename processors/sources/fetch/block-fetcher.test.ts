import { afterEach, describe, expect, it } from 'vitest';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { startReplayServer, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { createRpcClient } from '../rpc/rpc-client.ts';
import { createBlockFetcher } from './block-fetcher.ts';
import { BlockNotFoundError } from './errors.ts';

const chain = createSyntheticChain({ firstBlock: 500, count: 20, txsPerBlock: 10, logsPerBlock: 30 });
let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createBlockFetcher', () => {
  it('downgrades its strategy at run time when the endpoints stop serving eth_getBlockReceipts', async () => {
    server = await startReplayServer({ chain, faults: { noBlockReceipts: true } });
    const rpc = createRpcClient({ chain: 'test', endpoints: [server.url], retry: { minDelayMs: 5 } });
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'block-receipts' });
    const bundles = await fetcher.fetchRange(500, 509);
    expect(fetcher.strategy).toBe('logs');
    expect(bundles.map((b) => b.logs.length)).toEqual(Array.from({ length: 10 }, () => 30));
    expect(server.stats.callsByMethod.eth_getBlockReceipts).toBe(10); // one refused batch, then never again
  });

  it('serves every strategy with identical logs', async () => {
    server = await startReplayServer({ chain });
    const rpc = createRpcClient({
      chain: 'test',
      endpoints: [server.url],
      defaults: { rate: { initialRps: 1_000, maxRps: 5_000 } },
      retry: { minDelayMs: 5 },
    });
    const fetch = (strategy: 'block-receipts' | 'logs' | 'transaction-receipts') =>
      createBlockFetcher({ rpc, chainId: 1, strategy, maxLogsRange: 3 }).fetchRange(505, 514);
    const [a, b, c] = await Promise.all([fetch('block-receipts'), fetch('logs'), fetch('transaction-receipts')]);
    expect(b.map((x) => x.logs)).toEqual(a.map((x) => x.logs));
    expect(c).toEqual(a);
    expect(b[0]!.transactions[0]!.receipt).toBeNull();
    expect(a[0]!.transactions[0]!.receipt?.status).toBe(1);
  });

  it('reports a block the endpoint does not have as BlockNotFoundError (retryable)', async () => {
    server = await startReplayServer({ chain });
    const rpc = createRpcClient({ chain: 'test', endpoints: [server.url], retry: { minDelayMs: 5 } });
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'logs', mismatchRetries: 1 });
    const error = await fetcher.fetchBundles([519, 520]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlockNotFoundError);
    expect((error as BlockNotFoundError).blockNumber).toBe(520);
  });
});
