/**
 * The failover client against real local HTTP endpoints (the replay server over
 * synthetic blocks): retry verdicts, failover, method routing, redaction.
 */
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { startReplayServer, type FaultPlan, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { detectCapabilities, RpcUnreachableError } from '../capabilities/detect-capabilities.ts';
import { createBlockFetcher } from '../fetch/block-fetcher.ts';
import { RpcInvalidParamsError, RpcMethodUnsupportedError, RpcServerError } from './errors.ts';
import { createRpcClient } from './rpc-client.ts';

const servers: ReplayServer[] = [];
const chain = createSyntheticChain({ firstBlock: 1_000, count: 100 });
async function server(faults: FaultPlan = {}) {
  const s = await startReplayServer({ chain, faults });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A port with nothing listening: connections are refused. */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const fast = { retries: 6, minDelayMs: 5, maxDelayMs: 50 };

describe('createRpcClient', () => {
  it('does not retry deterministic errors', async () => {
    const s = await server();
    const rpc = createRpcClient({ chain: 'test', endpoints: [s.url], retry: fast });
    await expect(rpc.request('eth_noSuchMethod', [])).rejects.toBeInstanceOf(RpcMethodUnsupportedError);
    await expect(rpc.request('eth_getBlockByNumber', ['not-a-number', false])).rejects.toBeInstanceOf(RpcInvalidParamsError);
    expect(s.stats.callsByMethod).toEqual({ eth_noSuchMethod: 1, eth_getBlockByNumber: 1 });
    expect(rpc.stats.retries).toBe(0);
  });

  it('retries transient errors with backoff, then gives up with a retryable error', async () => {
    const s = await server({ serverErrorEvery: 1 });
    const rpc = createRpcClient({ chain: 'test', endpoints: [s.url], retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20 } });
    const error = await rpc.request('eth_blockNumber', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcServerError);
    expect((error as RpcServerError).retryable).toBe(true);
    expect(s.stats.serverErrors).toBe(4); // first attempt + 3 retries
  });

  it('times out a hung request and succeeds on the retry', async () => {
    const s = await server({ hangEvery: 2 });
    const rpc = createRpcClient({ chain: 'test', endpoints: [s.url], defaults: { timeoutMs: 150 }, retry: fast });
    expect(await rpc.request('eth_chainId', [])).toBe('0x1');
    expect(await rpc.request('eth_chainId', [])).toBe('0x1'); // request #2 hangs, #3 answers
    expect(s.stats.hung).toBe(1);
    expect(rpc.stats.failuresByCode.ORACUL_RPC_TIMEOUT).toBe(1);
  });

  it('fails over from an unreachable endpoint and never logs URL credentials or keys', async () => {
    const s = await server();
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const key = '0123456789abcdef0123456789abcdef';
    const dead = `http://user:hunter2@127.0.0.1:${await deadPort()}/v3/${key}?apikey=${key}`;
    const rpc = createRpcClient({ chain: 'test', endpoints: [dead, `${s.url}v2/${key}`], retry: fast, logger });
    const caps = await detectCapabilities({ rpc, chainId: 1, retries: 1, retryDelayMs: 5, logger });
    expect(caps.endpoints.map((e) => e.reachable)).toEqual([false, true]);
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: caps.strategy, logger });
    const bundles = await fetcher.fetchRange(1_010, 1_012);
    expect(bundles.map((b) => b.block.number)).toEqual([1_010, 1_011, 1_012]);
    expect(rpc.endpoints[0]!.health.failures).toBeGreaterThan(0);
    expect(caps.endpoints[0]!.endpoint).not.toContain(key);
    const log = lines.join('');
    expect(log).toContain('ORACUL_RPC_CONNECTION_FAILED');
    expect(log).not.toContain(key);
    expect(log).not.toContain('hunter2');
  });

  it('reports every endpoint down at startup as a retryable outage, not a configuration error', async () => {
    const rpc = createRpcClient({ chain: 'test', endpoints: [`http://127.0.0.1:${await deadPort()}/`], retry: fast });
    const error = await detectCapabilities({ rpc, chainId: 1, retries: 1, retryDelayMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnreachableError);
    expect(error).toMatchObject({ code: 'ORACUL_RPC_UNREACHABLE', retryable: true });
    expect((error as RpcUnreachableError).message).toContain('ORACUL_RPC_CONNECTION_FAILED');
  });

  it('routes a method to the endpoint that serves it', async () => {
    const lacking = await server({ noBlockReceipts: true });
    const full = await server();
    const rpc = createRpcClient({ chain: 'test', endpoints: [lacking.url, full.url], retry: fast });
    const caps = await detectCapabilities({ rpc, chainId: 1, retryDelayMs: 5 });
    expect(caps.strategy).toBe('block-receipts');
    expect(caps.endpoints.map((e) => e.blockReceipts)).toEqual([false, true]);
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: caps.strategy });
    await fetcher.fetchRange(1_000, 1_004);
    expect(lacking.stats.callsByMethod.eth_getBlockReceipts).toBe(1); // the startup probe only
    expect(full.stats.callsByMethod.eth_getBlockReceipts).toBe(1 + 5);
    expect(lacking.stats.callsByMethod.eth_getBlockByNumber).toBe(5); // the preferred endpoint still serves blocks
  });

  it('fetches mainnet-shaped synthetic blocks: 150 transactions and 400 logs each, parent-linked', async () => {
    const s = await server();
    const rpc = createRpcClient({
      chain: 'test',
      endpoints: [s.url],
      defaults: { rate: { initialRps: 5_000, maxRps: 10_000 } },
      retry: fast,
    });
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'block-receipts' });
    const bundles = await fetcher.fetchRange(1_050, 1_069);
    expect(bundles.map((b) => [b.transactions.length, b.logs.length])).toEqual(Array.from({ length: 20 }, () => [150, 400]));
    for (let i = 1; i < bundles.length; i += 1) expect(bundles[i]!.block.parentHash).toBe(bundles[i - 1]!.block.hash);
    expect(bundles[0]!.logs[0]!.topics[0]).toBe('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef');
  });
});

describe('createRpcClient with a rate-limited endpoint', () => {
  it('sends to the next endpoint while the first is paused by Retry-After', async () => {
    const limited = await server({ rateLimit: { every: 1_000, burst: 1, retryAfterS: 30 } }); // request 1 → 429, Retry-After 30 s
    const healthy = await server();
    const rpc = createRpcClient({ chain: 'test', endpoints: [limited.url, healthy.url], retry: fast });
    const started = performance.now();
    for (let i = 0; i < 5; i += 1) expect(await rpc.request('eth_chainId', [])).toBe('0x1');
    expect(performance.now() - started).toBeLessThan(3_000); // never waited out the 30 s pause
    expect(limited.stats.rateLimited).toBe(1);
    expect(healthy.stats.calls).toBe(5);
    expect(rpc.endpoints[0]!.limiter.state.decreases).toBe(1);
  });
});
