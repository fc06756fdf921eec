/**
 * Startup probe of every endpoint of a chain: the chain id (a wrong network is a
 * configuration error), the head, JSON-RPC batch support, and which of the
 * receipt/log methods it serves. The endpoints' method sets feed the client's
 * routing, and the cheapest strategy some endpoint serves becomes the fetcher's.
 */
import { ConfigError, isRetryable, RetryableError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { withRetry } from '../../../core/retry.ts';
import { LOG_STRATEGIES, STRATEGY_METHOD, type LogStrategy } from '../fetch/log-strategy.ts';
import { toQuantity } from '../normalize/hex.ts';
import type { RpcCall, RpcEndpoint } from '../rpc/endpoint.ts';
import { RpcInvalidParamsError, RpcMalformedResponseError, RpcMethodUnsupportedError, type RpcErrorType } from '../rpc/errors.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';

export interface EndpointCapabilities {
  /** Redacted URL. */
  endpoint: string;
  reachable: boolean;
  clientVersion: string | null;
  head: number | null;
  batch: boolean;
  /** true/false once probed; null when the probe failed transiently (left to run time). */
  blockReceipts: boolean | null;
  getLogs: boolean | null;
  /** Code of the error that made the endpoint unreachable. */
  error: string | null;
  /** Whether that error was transient (down, timeout, 5xx, 429) rather than a deterministic refusal. */
  errorRetryable: boolean;
}

/** Every endpoint of a chain failed the startup probe with a transient error: retry later. */
export class RpcUnreachableError extends RetryableError {
  override readonly name = 'RpcUnreachableError';
  constructor(message: string, details: Record<string, unknown>) {
    super('ORACUL_RPC_UNREACHABLE', message, { details });
  }
}

export interface ChainCapabilities {
  chain: string;
  chainId: number;
  /** Highest head among reachable endpoints. */
  head: number;
  strategy: LogStrategy;
  endpoints: EndpointCapabilities[];
}

export interface DetectCapabilitiesParameters {
  rpc: RpcClient;
  chainId: number;
  /** Block to probe receipts/logs with. Default: the endpoint's head minus 16 (present on lagging nodes too). */
  probeBlock?: number;
  /** Per-probe retries of transient failures. Default 3. */
  retries?: number;
  /** First retry delay. Default 200 ms. */
  retryDelayMs?: number;
  logger?: Logger;
}

/**
 * @throws ConfigError when an endpoint serves another chain id, or every endpoint refuses the probe
 * @throws RpcUnreachableError (retryable) when every endpoint is down, timing out or rate-limiting
 * @example
 * const caps = await detectCapabilities({ rpc, chainId: 1, logger });
 * const fetcher = createBlockFetcher({ rpc, chainId: 1, strategy: caps.strategy });
 */
export async function detectCapabilities(params: DetectCapabilitiesParameters): Promise<ChainCapabilities> {
  const { rpc, chainId } = params;
  const endpoints = await Promise.all(rpc.endpoints.map((e) => probeEndpoint(e, params)));
  const reachable = endpoints.filter((e) => e.reachable);
  if (reachable.length === 0) throw noUsableEndpoint(rpc.chain, endpoints);
  const strategy: LogStrategy = LOG_STRATEGIES.find((s) => rpc.supports(STRATEGY_METHOD[s])) ?? 'transaction-receipts';
  const caps: ChainCapabilities = {
    chain: rpc.chain,
    chainId,
    head: Math.max(...reachable.map((e) => e.head ?? 0)),
    strategy,
    endpoints,
  };
  params.logger?.info({
    msg: 'rpc capabilities detected',
    chain: rpc.chain,
    chain_id: chainId,
    head: caps.head,
    strategy,
    endpoints: endpoints.map((e) => ({
      endpoint: e.endpoint,
      reachable: e.reachable,
      batch: e.batch,
      block_receipts: e.blockReceipts,
      get_logs: e.getLogs,
      client: e.clientVersion,
    })),
  });
  return caps;
}

/**
 * Down, timing out or rate-limiting right now is an outage to wait out (supervisors retry it), not a bad
 * configuration; an endpoint that answered eth_chainId with a deterministic error is one.
 */
function noUsableEndpoint(chain: string, endpoints: readonly EndpointCapabilities[]): Error {
  const details = { endpoints: endpoints.map((e) => ({ endpoint: e.endpoint, error: e.error })) };
  if (endpoints.every((e) => e.errorRetryable)) {
    return new RpcUnreachableError(
      `chain ${chain}: no RPC endpoint reachable (${endpoints.map((e) => e.error).join(', ')})`,
      details,
    );
  }
  return new ConfigError(`chain ${chain}: no RPC endpoint usable`, { details });
}

type ProbeOutcome = { ok: true; result: unknown } | { ok: false; error: RpcErrorType };

/** Chain id, client version, head, batching, then the receipt and log methods of one endpoint. */
async function probeEndpoint(endpoint: RpcEndpoint, p: DetectCapabilitiesParameters): Promise<EndpointCapabilities> {
  const caps: EndpointCapabilities = {
    endpoint: endpoint.label,
    reachable: false,
    clientVersion: null,
    head: null,
    batch: false,
    blockReceipts: null,
    getLogs: null,
    error: null,
    errorRetryable: false,
  };
  const id = await probeCall(endpoint, p, { method: 'eth_chainId', params: [] });
  if (!id.ok) {
    caps.error = id.error.code;
    caps.errorRetryable = isRetryable(id.error);
    p.logger?.warn({
      msg: 'rpc endpoint unreachable at startup',
      chain: p.rpc.chain,
      endpoint: endpoint.label,
      code: id.error.code,
      err_message: id.error.message,
    });
    return caps;
  }
  checkChainId(endpoint, p, id.result);
  caps.reachable = true;
  const version = await probeCall(endpoint, p, { method: 'web3_clientVersion', params: [] });
  caps.clientVersion = version.ok && typeof version.result === 'string' ? version.result : null;
  const head = await probeCall(endpoint, p, { method: 'eth_blockNumber', params: [] });
  caps.head = head.ok && typeof head.result === 'string' ? Number.parseInt(head.result, 16) : null;
  caps.batch = await probeBatch(endpoint, p);
  if (!caps.batch) endpoint.setBatchSize(1);

  const probe = toQuantity(p.probeBlock ?? Math.max(0, (caps.head ?? 0) - 16));
  caps.blockReceipts = verdict(
    await probeCall(endpoint, p, { method: 'eth_getBlockReceipts', params: [probe] }),
    endpoint,
    'eth_getBlockReceipts',
  );
  caps.getLogs = verdict(
    await probeCall(endpoint, p, { method: 'eth_getLogs', params: [{ fromBlock: probe, toBlock: probe }] }),
    endpoint,
    'eth_getLogs',
  );
  return caps;
}

/** A wrong network is a configuration error. */
function checkChainId(endpoint: RpcEndpoint, p: DetectCapabilitiesParameters, result: unknown): void {
  const served = typeof result === 'string' ? Number.parseInt(result, 16) : Number.NaN;
  if (served === p.chainId) return;
  throw new ConfigError(
    `chain ${p.rpc.chain}: endpoint ${endpoint.label} serves chain id ${String(result)}, expected ${p.chainId}`,
    {
      details: { endpoint: endpoint.label, expected: p.chainId, served: result },
    },
  );
}

/** The probes' retries of transient failures: `retries` (default 3) from `retryDelayMs` (default 200 ms), uncapped. */
const probeRetry = (p: DetectCapabilitiesParameters) => ({
  retries: p.retries ?? 3,
  initialDelayMs: p.retryDelayMs ?? 200,
  maxDelayMs: Number.POSITIVE_INFINITY,
});

/** One call to this endpoint, transient failures retried; an RPC error is returned as an outcome, not thrown. */
async function probeCall(endpoint: RpcEndpoint, p: DetectCapabilitiesParameters, call: RpcCall): Promise<ProbeOutcome> {
  try {
    return await withRetry(
      async () => {
        const [outcome] = await endpoint.send([call]);
        if (!outcome!.ok && isRetryable(outcome!.error)) throw outcome!.error;
        return outcome!;
      },
      { ...probeRetry(p), shouldRetry: (e) => isRetryable(e) },
    );
  } catch (error) {
    if (error instanceof Error && 'retryable' in error) return { ok: false, error: error as RpcErrorType };
    throw error;
  }
}

/**
 * Batch: two calls in one request must come back as two answers. Transient failures are
 * retried; a refusal or an answer that is not two responses means no batching.
 */
async function probeBatch(endpoint: RpcEndpoint, p: DetectCapabilitiesParameters): Promise<boolean> {
  try {
    const outcomes = await withRetry(
      () =>
        endpoint.send([
          { method: 'eth_chainId', params: [] },
          { method: 'eth_blockNumber', params: [] },
        ]),
      { ...probeRetry(p), shouldRetry: (e) => isRetryable(e) && !(e instanceof RpcMalformedResponseError) },
    );
    return outcomes.every((o) => o.ok);
  } catch (error) {
    if (!(error instanceof Error && 'retryable' in error)) throw error;
    return false;
  }
}

/** Supported when it answered a list; unsupported (and routed around) on "method not found" or a rejected parameter form. */
function verdict(outcome: ProbeOutcome, endpoint: RpcEndpoint, method: string): boolean | null {
  if (outcome.ok) {
    if (Array.isArray(outcome.result)) return true;
    if (outcome.result === null) return null; // the probe block is unknown to this endpoint: no verdict
    endpoint.markUnsupported(method); // null or an object: not the method we need
    return false;
  }
  if (outcome.error instanceof RpcMethodUnsupportedError || outcome.error instanceof RpcInvalidParamsError) {
    endpoint.markUnsupported(method);
    return false;
  }
  return null;
}
