/**
 * Public API of the chain-facing block source: RPC client, capability detection,
 * block fetcher, normalised records, reorg detection. Named re-exports only.
 */
export {
  createRpcClient,
  type CreateRpcClientParameters,
  type RpcClient,
  type RpcClientStats,
  type RpcRetryOptions,
} from './rpc/rpc-client.ts';
export type { RpcCall, RpcEndpoint, RpcEndpointOptions, RpcEndpointHealth } from './rpc/endpoint.ts';
export { toViemTransport } from './rpc/to-viem-transport.ts';
export { createAimdRateLimiter, type AimdRateLimiter, type AimdRateLimiterOptions } from './rpc/aimd-rate-limiter.ts';
export {
  RpcConnectionError,
  RpcExecutionRevertedError,
  RpcInvalidParamsError,
  RpcMalformedResponseError,
  RpcMethodUnsupportedError,
  RpcNoEndpointError,
  RpcRateLimitedError,
  RpcRequestFailedError,
  RpcResultLimitError,
  RpcServerError,
  RpcTimeoutError,
  RpcTransientError,
  type RpcErrorType,
} from './rpc/errors.ts';
export {
  detectCapabilities,
  type ChainCapabilities,
  type EndpointCapabilities,
  type DetectCapabilitiesParameters,
} from './capabilities/detect-capabilities.ts';
export {
  createBlockFetcher,
  type BlockFetcher,
  type CreateBlockFetcherParameters,
  type FetchOptions,
} from './fetch/block-fetcher.ts';
export { BlockNotFoundError } from './fetch/errors.ts';
export type { LogStrategy } from './fetch/log-strategy.ts';
export { normalizeBlock, type NormalizedBlock } from './normalize/normalize-block.ts';
export { blockBundleOfRpc, toBlockBundle } from './normalize/block-bundle.ts';
export { normalizeLogs, normalizeReceipts, type NormalizedReceipts } from './normalize/normalize-logs.ts';
export type {
  BlockBundle,
  BlockRecord,
  Hex,
  LogRecord,
  TransactionReceiptFields,
  TransactionRecord,
} from './normalize/records.ts';
export { InvalidRpcDataError } from './normalize/errors.ts';
export { ChainDataMismatchError } from './normalize/mismatch-error.ts';
export { toBlockRef, type BlockRef } from './reorg/block-ref.ts';
export { createMemoryBlockStore, type RecentBlockStore } from './reorg/recent-block-store.ts';
export { applyReorgCheck, detectReorg, type DetectReorgParameters, type ReorgCheck } from './reorg/detect-reorg.ts';
export { retractionsFor, type BlockRetractionRecord } from './reorg/retraction.ts';
export { ChainMovedError, ReorgTooDeepError } from './reorg/errors.ts';
export { runBlockSource, type BlockSourceOptions, type RunRange, type RunSummary } from './loop/block-source.ts';
export { sourceStateDir, type SourceProgress } from './loop/source-run.ts';
export { readCommittedTail, type CommittedTail } from './loop/committed-tail.ts';
export { superviseBlockSource, type SupervisedSourceStats, type SuperviseBlockSourceOptions } from './loop/supervise.ts';
export { SourceStoppedError } from './loop/errors.ts';
export { openSourceState, type SourceCheckpoint, type SourceState } from './checkpoint/source-state.ts';
export { createRecentWindow, type RecentBlock, type RecentWindow } from './checkpoint/recent-window.ts';
export { toBlockRecords, toRetractionRecords, DEFAULT_MAX_PART_BYTES, type BlockRecords } from './publish/to-avro.ts';
export { createBlockPublisher, PublishFailedError, type BlockPublisher, type PublishResult } from './publish/publisher.ts';
