import type { OraculConfig } from '../../../config/schema.ts';
import type { RpcEndpointOptions } from './endpoint.ts';

/** The per-endpoint RPC settings of the `ingest` config section, as every chain-facing source applies them. */
export function ingestRpcDefaults(ingest: OraculConfig['ingest']): Omit<RpcEndpointOptions, 'url'> & {
  timeoutMs: number;
  maxBatchSize: number;
  maxConcurrency: number;
  rate: { initialRps: number; maxRps: number; minRps: number };
} {
  return {
    timeoutMs: ingest.rpcTimeoutMs,
    maxBatchSize: ingest.rpcBatchSize,
    maxConcurrency: ingest.rpcMaxInFlight,
    rate: {
      initialRps: ingest.rpcInitialRps,
      maxRps: ingest.rpcMaxRps,
      // The floor never above the start: a low initial rate is the operator's word.
      minRps: Math.min(ingest.rpcMinRps, ingest.rpcInitialRps),
    },
  };
}
