import type { ErrorCode } from '../../../core/errors.ts';
import type { LogStrategy } from '../fetch/log-strategy.ts';
import type { PackedBatch } from './packed-batch.ts';

/** What a prepare worker needs to build its own RPC client, fetcher and encoders. */
export interface PrepareWorkerInit {
  chain: string;
  chainId: number;
  endpoints: string[];
  rpc: {
    timeoutMs: number;
    maxBatchSize: number;
    maxConcurrency: number;
    rate: { initialRps: number; maxRps: number; minRps: number };
  };
  strategy: LogStrategy;
  maxLogsRange: number;
  /** Registered by the parent: a worker never talks to the schema registry. */
  schemaIds: { blocks: number; transactions: number; logs: number };
  logLevel: string;
}

export interface PrepareRequest {
  type: 'prepare';
  id: number;
  from: number;
  to: number;
  versionBase: number;
}

/** RPC client counters since the worker's previous reply. */
export interface RpcStatsDelta {
  calls: number;
  httpRequests: number;
  retries: number;
}

export interface SerializedError {
  name: string;
  message: string;
  code: ErrorCode | 'ORACUL_UNKNOWN';
  retryable: boolean;
  details: Record<string, unknown>;
}

export type PrepareReply =
  | { type: 'prepared'; id: number; batch: PackedBatch; rpc: RpcStatsDelta }
  | { type: 'failed'; id: number; error: SerializedError; rpc: RpcStatsDelta }
  /** A pino line of the worker's logger, re-emitted by the parent's. */
  | { type: 'log'; line: string };
