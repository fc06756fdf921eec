import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus registry and every Oracul metric, declared once. One registry per process: the
 * components of a process (stream tasks, sinks, the block source, the alerter) record into it from wherever the
 * event happens, and the process's `/metrics` server (./server.ts) exposes it. Names follow the Prometheus
 * conventions: `oracul_` prefix, the unit in the name (`_seconds`, `_messages`, `_blocks`), `_total` for
 * counters. Labels are bounded (see ./labels.ts); docs/observability.md lists every metric.
 */
export const metricsRegistry = new Registry();

/** Node.js process metrics (CPU, memory, event loop lag, GC) under `oracul_process_*` / `oracul_nodejs_*`. */
collectDefaultMetrics({ register: metricsRegistry, prefix: 'oracul_' });

const registers = [metricsRegistry];
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// ---- stream stages (processors/runtime) ---------------------------------------------------------------------

export const stageRecordsIn = new Counter({
  name: 'oracul_stage_records_in_total',
  help: 'Input records processed by a stream stage (counted when their Kafka transaction committed)',
  labelNames: ['stage'] as const,
  registers,
});
export const stageRecordsOut = new Counter({
  name: 'oracul_stage_records_out_total',
  help: 'Output records produced by a stream stage, per output topic (committed transactions; dead letters excluded)',
  labelNames: ['stage', 'topic'] as const,
  registers,
});
export const stageBatchDuration = new Histogram({
  name: 'oracul_stage_batch_duration_seconds',
  help: 'Wall time of one stage transaction: process, produce, send offsets, commit, apply state',
  labelNames: ['stage'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});
export const stageBatchFailures = new Counter({
  name: 'oracul_stage_batch_failures_total',
  help: 'Stage batches that failed (transaction aborted or fate unknown); the task is reopened and the batch retried',
  labelNames: ['stage'] as const,
  registers,
});
export const stageTasks = new Gauge({
  name: 'oracul_stage_tasks',
  help: 'Stream tasks (input partitions) this process runs per stage',
  labelNames: ['stage'] as const,
  registers,
});
export const deadLetters = new Counter({
  name: 'oracul_dead_letters_total',
  help: 'Records sent to a dead-letter topic, per stage (stream stage or sink:<table>) and source topic',
  labelNames: ['stage', 'topic'] as const,
  registers,
});
export const lateEvents = new Counter({
  name: 'oracul_late_events_total',
  help: 'Events that arrived after their window closed (routed to erc20.transfers.late)',
  labelNames: ['stage'] as const,
  registers,
});
export const windowFinals = new Counter({
  name: 'oracul_window_finals_total',
  help: 'Final versions of daily windows emitted (a window closed; a retraction after the close emits a new final)',
  labelNames: ['stage', 'topic'] as const,
  registers,
});
export const rejects = new Counter({
  name: 'oracul_rejects_total',
  help: 'Transfer-signature logs rejected as not ERC-20 transfers, by reason',
  labelNames: ['stage', 'reason'] as const,
  registers,
});
export const anomalies = new Counter({
  name: 'oracul_anomalies_total',
  help: 'Anomaly versions emitted, by severity and status (open, final, withdrawn)',
  labelNames: ['stage', 'severity', 'status'] as const,
  registers,
});
export const consumerLag = new Gauge({
  name: 'oracul_consumer_lag_messages',
  help: 'Offsets between the last processed record and the partition high watermark (stage or sink:<table>)',
  labelNames: ['stage', 'topic', 'partition'] as const,
  registers,
});
export const restoreRemaining = new Gauge({
  name: 'oracul_state_restore_remaining_offsets',
  help: 'Changelog offsets a running state restore still has to read (0 when done)',
  labelNames: ['stage', 'store', 'partition'] as const,
  registers,
});
export const restoreRecords = new Gauge({
  name: 'oracul_state_restore_records',
  help: 'Changelog records applied by the current or last state restore of a task',
  labelNames: ['stage', 'store', 'partition'] as const,
  registers,
});
export const restoredRecordsTotal = new Counter({
  name: 'oracul_state_restored_records_total',
  help: 'Changelog records applied by finished state restores',
  labelNames: ['stage'] as const,
  registers,
});
export const restoreDuration = new Histogram({
  name: 'oracul_state_restore_duration_seconds',
  help: 'Time to open a task: fence, restore from the changelog (0 records when the disk was up to date)',
  labelNames: ['stage'] as const,
  buckets: [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers,
});

// ---- block source and RPC (processors/sources) -------------------------------------------------------------

export const sourceHeadBlock = new Gauge({
  name: 'oracul_source_head_block',
  help: 'Latest chain head block number seen from RPC',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceLastBlock = new Gauge({
  name: 'oracul_source_last_block',
  help: 'Last block published to Kafka and checkpointed',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceLagBlocks = new Gauge({
  name: 'oracul_source_lag_blocks',
  help: 'Chain head minus the last published block (includes the confirmation depth)',
  labelNames: ['chain'] as const,
  registers,
});
/** Timestamp (epoch ms) of each chain's last published block; the lag gauge is computed from it at scrape time. */
export const sourceLastBlockTimestampMs = new Map<string, number>();
export const sourceLagSeconds = new Gauge({
  name: 'oracul_source_lag_seconds',
  help: 'Wall clock (at scrape time) minus the timestamp of the last published block',
  labelNames: ['chain'] as const,
  registers,
  collect() {
    for (const [chain, ms] of sourceLastBlockTimestampMs) this.set({ chain }, Math.max(0, (Date.now() - ms) / 1000));
  },
});
export const sourceBlocks = new Counter({
  name: 'oracul_source_blocks_total',
  help: 'Blocks published to the raw topics',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceLogs = new Counter({
  name: 'oracul_source_logs_total',
  help: 'Logs published to eth.logs.raw',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceTransactions = new Counter({
  name: 'oracul_source_transactions_total',
  help: 'Transactions published to eth.transactions.raw',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceRetractedBlocks = new Counter({
  name: 'oracul_source_retracted_blocks_total',
  help: 'Blocks retracted by reorgs',
  labelNames: ['chain'] as const,
  registers,
});
export const sourceErrors = new Counter({
  name: 'oracul_source_errors_total',
  help: 'Block source failures (fetch or publish retries, a fatal error)',
  labelNames: ['chain'] as const,
  registers,
});
export const rpcRequestDuration = new Histogram({
  name: 'oracul_rpc_request_duration_seconds',
  help: 'One HTTP JSON-RPC request (one call or one batch): endpoint host, method (or "mixed"), outcome ok|error',
  labelNames: ['endpoint', 'method', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});
export const rpcCalls = new Counter({
  name: 'oracul_rpc_calls_total',
  help: 'JSON-RPC calls sent (a batch counts each of its calls)',
  labelNames: ['endpoint', 'method'] as const,
  registers,
});
export const rpcErrors = new Counter({
  name: 'oracul_rpc_errors_total',
  help: 'Failed JSON-RPC calls or requests, by endpoint host, method and Oracul error code',
  labelNames: ['endpoint', 'method', 'code'] as const,
  registers,
});

// ---- ClickHouse sinks (processors/sinks) ---------------------------------------------------------------------

export const clickhouseInsertDuration = new Histogram({
  name: 'oracul_clickhouse_insert_duration_seconds',
  help: 'One ClickHouse INSERT of a sink batch (outcome ok|error)',
  labelNames: ['table', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});
export const clickhouseInsertedRows = new Counter({
  name: 'oracul_clickhouse_inserted_rows_total',
  help: 'Rows inserted into ClickHouse (replays of a batch count again; the tables deduplicate)',
  labelNames: ['table'] as const,
  registers,
});
export const sinkRecords = new Counter({
  name: 'oracul_sink_records_total',
  help: 'Kafka records a sink flushed (inserted rows and committed offsets for)',
  labelNames: ['table'] as const,
  registers,
});

// ---- alerts (processors/alerts) ----------------------------------------------------------------------------

export const alertsRaised = new Counter({
  name: 'oracul_alerts_raised_total',
  help: 'Alerts queued for the next digest, by kind (anomaly, dq, pipeline) and severity',
  labelNames: ['kind', 'severity'] as const,
  registers,
});
export const alertDeliveries = new Counter({
  name: 'oracul_alert_deliveries_total',
  help: 'Digest delivery attempts by channel and outcome (delivered, failed)',
  labelNames: ['channel', 'outcome'] as const,
  registers,
});
export const alertOutbox = new Gauge({
  name: 'oracul_alert_outbox_digests',
  help: 'Digests waiting in the alert outbox (undelivered)',
  registers,
});
