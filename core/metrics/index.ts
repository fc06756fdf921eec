export { metricsRegistry } from './registry.ts';
export * as metrics from './registry.ts';
export { boundedLabel, endpointHost } from './labels.ts';
export {
  forgetPartition,
  observeConsumerLag,
  observeRestoreProgress,
  observeRpcRequest,
  observeSourceBatch,
  observeSourceHead,
  observeTaskClosed,
  observeTaskOpened,
  stageTally,
  type StageTally,
} from './observe.ts';
export { startMetricsServer, startProcessMetrics, type MetricsServer } from './server.ts';
