import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { OraculError, type ErrorCode, type OraculErrorOptions } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { unpackBatch } from './packed-batch.ts';
import type { PreparedBatch } from './prepare-range.ts';
import type { PrepareReply, PrepareRequest, PrepareWorkerInit, RpcStatsDelta } from './worker-protocol.ts';

/** A failure inside a prepare worker, rebuilt in the parent with the original code and retryability. */
export class PrepareWorkerError extends OraculError {
  override readonly name = 'PrepareWorkerError';
  constructor(
    readonly code: ErrorCode,
    readonly retryable: boolean,
    message: string,
    options?: OraculErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PreparePool {
  /** Fetches, normalises and encodes [from, to] in the least busy worker. */
  prepare(from: number, to: number, versionBase: number): Promise<PreparedBatch>;
  /** RPC counters summed over the workers. */
  readonly rpcStats: Readonly<RpcStatsDelta>;
  readonly size: number;
  close(): Promise<void>;
}

interface Pending {
  resolve(batch: PreparedBatch): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

const ENTRY = new URL('./prepare-worker-entry.mjs', import.meta.url);

/**
 * `size` worker threads that each run the block fetcher with their own RPC client (the
 * endpoint's rate and in-flight limits are split between them). A worker that dies fails
 * its batches with a retryable error and is replaced.
 */
export function createPreparePool(params: { size: number; init: PrepareWorkerInit; logger: Logger }): PreparePool {
  const { size, logger } = params;
  const share = (n: number) => n / size;
  const init: PrepareWorkerInit = {
    ...params.init,
    rpc: {
      ...params.init.rpc,
      maxConcurrency: Math.max(1, Math.ceil(params.init.rpc.maxConcurrency / size)),
      rate: {
        initialRps: share(params.init.rpc.rate.initialRps),
        maxRps: share(params.init.rpc.rate.maxRps),
        minRps: share(params.init.rpc.rate.minRps),
      },
    },
  };
  const rpcStats: RpcStatsDelta = { calls: 0, httpRequests: 0, retries: 0 };
  let nextId = 0;
  let closing = false;

  const relog = (line: string) => {
    const { level, msg, time: _time, ...fields } = JSON.parse(line) as { level: number; msg?: string; time?: unknown };
    const label = (pino.levels.labels[level] ?? 'info') as 'info';
    logger[label]({ ...fields, msg });
  };

  const spawn = (): PoolWorker => {
    const worker = new Worker(ENTRY, { workerData: init });
    const entry: PoolWorker = { worker, pending: new Map() };
    const failAll = (error: Error) => {
      for (const p of entry.pending.values()) p.reject(error);
      entry.pending.clear();
    };
    worker.on('message', (reply: PrepareReply) => {
      if (reply.type === 'log') return relog(reply.line);
      rpcStats.calls += reply.rpc.calls;
      rpcStats.httpRequests += reply.rpc.httpRequests;
      rpcStats.retries += reply.rpc.retries;
      const pending = entry.pending.get(reply.id);
      entry.pending.delete(reply.id);
      if (!pending) return;
      if (reply.type === 'prepared') return pending.resolve(unpackBatch(reply.batch));
      const { code, retryable, message, name, details } = reply.error;
      const errorCode: ErrorCode = code === 'ORACUL_UNKNOWN' ? 'ORACUL_SOURCE_PREPARE_FAILED' : code;
      pending.reject(new PrepareWorkerError(errorCode, retryable, message, { details: { ...details, worker_error: name } }));
    });
    worker.on('error', (error) => {
      logger.error({ msg: 'block source worker failed', err: error });
      failAll(new PrepareWorkerError('ORACUL_SOURCE_WORKER_DIED', true, `block source worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      failAll(new PrepareWorkerError('ORACUL_SOURCE_WORKER_DIED', true, `block source worker exited with code ${code}`));
      const i = workers.indexOf(entry);
      if (!closing && i >= 0) workers[i] = spawn();
    });
    return entry;
  };
  const workers: PoolWorker[] = Array.from({ length: size }, spawn);

  return {
    size,
    rpcStats,
    prepare(from, to, versionBase) {
      if (closing) return Promise.reject(new Error('prepare pool is closed'));
      const target = workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<PreparedBatch>((resolve, reject) => {
        target.pending.set(id, { resolve, reject });
        const request: PrepareRequest = { type: 'prepare', id, from, to, versionBase };
        target.worker.postMessage(request);
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
