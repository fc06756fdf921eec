/**
 * The block source's prepare workers against the in-process path: worker threads must publish exactly
 * what the source's own thread would (same records, same versions), through RPC faults, and report
 * failures with their original code and retryability.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { startReplayServer, type ReplayServer } from '../../../scripts/test/rpc-replay-server.ts';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { createInMemorySerdes } from '../../../schemas/index.ts';
import { createBlockFetcher } from '../fetch/block-fetcher.ts';
import { rawTopicEncoders, type EncodedBlockRecords, type RawTopicEncoders } from '../publish/encoded-block.ts';
import { createRpcClient } from '../rpc/rpc-client.ts';
import { packBatch, unpackBatch } from './packed-batch.ts';
import { createPreparePool, PrepareWorkerError } from './prepare-pool.ts';
import { prepareRange, type PreparedBatch } from './prepare-range.ts';
import type { PrepareWorkerInit } from './worker-protocol.ts';

const FIRST = 7_000_000;
const serdes = createInMemorySerdes();
let encoders: RawTopicEncoders;
let server: ReplayServer;

const rpcDefaults = {
  timeoutMs: 5_000,
  maxBatchSize: 10,
  maxConcurrency: 4,
  rate: { initialRps: 5_000, maxRps: 10_000, minRps: 1_000 },
};
const initFor = (url: string): PrepareWorkerInit => ({
  chain: 'test',
  chainId: 1,
  endpoints: [url],
  rpc: rpcDefaults,
  strategy: 'block-receipts',
  maxLogsRange: 50,
  schemaIds: { blocks: encoders.blocks.schemaId, transactions: encoders.transactions.schemaId, logs: encoders.logs.schemaId },
  logLevel: 'warn',
});

/** The decoded records of a batch, with observed_at (the wall clock at encoding) set aside. */
async function decoded(batch: PreparedBatch) {
  const read = async (topic: 'eth.blocks.raw' | 'eth.transactions.raw' | 'eth.logs.raw', value: Buffer) => {
    const record = (await serdes.forTopic(topic).deserialize(value)) as { observed_at?: number };
    delete record.observed_at;
    return record;
  };
  const one = async (e: EncodedBlockRecords) => ({
    key: e.key,
    block: await read('eth.blocks.raw', e.block),
    transactions: await Promise.all(e.transactions.map((t) => read('eth.transactions.raw', t))),
    logs: await Promise.all(e.logs.map((l) => read('eth.logs.raw', l))),
  });
  return {
    from: batch.from,
    to: batch.to,
    blocks: await Promise.all(batch.blocks.map(async (b) => ({ ...b, encoded: await one(b.encoded) }))),
  };
}

beforeAll(async () => {
  encoders = await rawTopicEncoders(serdes);
  server = await startReplayServer({
    chain: createSyntheticChain({ firstBlock: FIRST, count: 200, txsPerBlock: 12, logsPerBlock: 30 }),
    // 429s and dropped connections: the workers' RPC clients retry them as the source's own does.
    faults: { rateLimit: { every: 9, burst: 1, retryAfterS: 0 }, dropEvery: 13 },
  });
});
afterAll(async () => {
  await server.close();
});

describe('prepare workers', () => {
  it('pack and unpack keep every value and count', async () => {
    const rpc = createRpcClient({ chain: 'test', endpoints: [server.url], defaults: rpcDefaults });
    const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'block-receipts' });
    const batch = await prepareRange({ fetcher, encoders, from: FIRST, to: FIRST + 4, versionBase: 100 });
    const packed = packBatch(batch);
    expect(packed.bytes.byteLength).toBe(
      batch.blocks.reduce(
        (n, b) => n + [b.encoded.block, ...b.encoded.transactions, ...b.encoded.logs].reduce((m, v) => m + v.length, 0),
        0,
      ),
    );
    expect(unpackBatch(packed)).toEqual(batch);
  });

  it('publish the same records and versions as the source thread, through 429s and dropped connections', async () => {
    const pool = createPreparePool({ size: 2, init: initFor(server.url), logger: createLogger({ level: 'warn' }) });
    try {
      const rpc = createRpcClient({ chain: 'test', endpoints: [server.url], defaults: rpcDefaults });
      const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: 'block-receipts' });
      const ranges = [0, 1, 2, 3].map((k) => ({ from: FIRST + 20 * k, to: FIRST + 20 * k + 19, versionBase: 1_000 * (k + 1) }));
      const inWorkers = await Promise.all(ranges.map((r) => pool.prepare(r.from, r.to, r.versionBase)));
      const inThread = [];
      for (const r of ranges) inThread.push(await prepareRange({ fetcher, encoders, ...r }));
      expect(inWorkers.map((b) => b.blocks.length)).toEqual([20, 20, 20, 20]);
      expect(await Promise.all(inWorkers.map(decoded))).toEqual(await Promise.all(inThread.map(decoded)));
      // Block k of a batch carries versionBase + k.
      const second = await decoded(inWorkers[1]!);
      expect(second.blocks.map((b) => (b.encoded.block as { version: number }).version)).toEqual(
        Array.from({ length: 20 }, (_, k) => 2_000 + k),
      );
      expect(pool.rpcStats.calls).toBeGreaterThanOrEqual(160);
    } finally {
      await pool.close();
    }
  });

  it('report a worker-side failure with its code and retryability', async () => {
    // An endpoint whose blocks are malformed: the worker's normaliser refuses them (deterministic, not retried).
    const bad: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const calls = [JSON.parse(body)].flat() as { id: number; method: string }[];
        const answer = calls.map((c) => ({
          jsonrpc: '2.0',
          id: c.id,
          result: c.method === 'eth_getBlockByNumber' ? { number: 'zz' } : [],
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(Array.isArray(JSON.parse(body)) ? answer : answer[0]));
      });
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}/`;
    const pool = createPreparePool({ size: 1, init: initFor(url), logger: createLogger({ level: 'silent' }) });
    try {
      const failure = await pool.prepare(1, 2, 1).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PrepareWorkerError);
      expect(failure).toMatchObject({ code: 'ORACUL_RPC_INVALID_DATA', retryable: false });
      expect((failure as PrepareWorkerError).details.worker_error).toBe('InvalidRpcDataError');
    } finally {
      await pool.close();
      await new Promise<void>((resolve) => bad.close(() => resolve()));
    }
  });
});
