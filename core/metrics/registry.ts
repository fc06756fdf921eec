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

// One constructor per metric kind, registered in metricsRegistry: the declarations below are then a table of
// name, help text and label names (and buckets where they are not LATENCY_BUCKETS).

function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return new Counter({ name, help, labelNames, registers });
}

function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  collect?: (this: Gauge<L>) => void,
): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers, ...(collect ? { collect } : {}) });
}

function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[] = LATENCY_BUCKETS,
): Histogram<L> {
  return new Histogram({ name, help, labelNames, buckets, registers });
}

// ---- stream stages (processors/engine) ---------------------------------------------------------------------

export const stageRecordsIn = counter(
  'oracul_stage_records_in_total',
  'Input records processed by a stream stage (counted when their Kafka transaction committed)',
  ['stage'],
);
export const stageRecordsOut = counter(
  'oracul_stage_records_out_total',
  'Output records produced by a stream stage, per output topic (committed transactions; dead letters excluded)',
  ['stage', 'topic'],
);
export const stageBatchDuration = histogram(
  'oracul_stage_batch_duration_seconds',
  'Wall time of one stage transaction: process, produce, send offsets, commit, apply state',
  ['stage'],
);
export const stageBatchFailures = counter(
  'oracul_stage_batch_failures_total',
  'Stage batches that failed (transaction aborted or fate unknown); the task is reopened and the batch retried',
  ['stage'],
);
export const stageTasks = gauge('oracul_stage_tasks', 'Stream tasks (input partitions) this process runs per stage', ['stage']);
export const deadLetters = counter(
  'oracul_dead_letters_total',
  'Records sent to a dead-letter topic, per stage (stream stage or sink:<table>) and source topic',
  ['stage', 'topic'],
);
export const lateEvents = counter(
  'oracul_late_events_total',
  'Events that arrived after their window closed (routed to erc20.transfers.late)',
  ['stage'],
);
export const windowFinals = counter(
  'oracul_window_finals_total',
  'Final versions of daily windows emitted (a window closed; a retraction after the close emits a new final)',
  ['stage', 'topic'],
);
export const rejects = counter('oracul_rejects_total', 'Transfer-signature logs rejected as not ERC-20 transfers, by reason', [
  'stage',
  'reason',
]);
export const anomalies = counter(
  'oracul_anomalies_total',
  'Anomaly versions emitted, by severity and status (open, final, withdrawn)',
  ['stage', 'severity', 'status'],
);
export const consumerLag = gauge(
  'oracul_consumer_lag_messages',
  'Offsets between the last processed record and the partition high watermark (stage or sink:<table>)',
  ['stage', 'topic', 'partition'],
);
export const restoreRemaining = gauge(
  'oracul_state_restore_remaining_offsets',
  'Changelog offsets a running state restore still has to read (0 when done)',
  ['stage', 'store', 'partition'],
);
export const restoreRecords = gauge(
  'oracul_state_restore_records',
  'Changelog records applied by the current or last state restore of a task',
  ['stage', 'store', 'partition'],
);
export const restoredRecordsTotal = counter(
  'oracul_state_restored_records_total',
  'Changelog records applied by finished state restores',
  ['stage'],
);
export const restoreDuration = histogram(
  'oracul_state_restore_duration_seconds',
  'Time to open a task: fence, restore from the changelog (0 records when the disk was up to date)',
  ['stage'],
  [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
);

// ---- block source and RPC (processors/sources) -------------------------------------------------------------

export const sourceHeadBlock = gauge('oracul_source_head_block', 'Latest chain head block number seen from RPC', ['chain']);
export const sourceLastBlock = gauge('oracul_source_last_block', 'Last block published to Kafka and checkpointed', ['chain']);
export const sourceLagBlocks = gauge(
  'oracul_source_lag_blocks',
  'Chain head minus the last published block (includes the confirmation depth)',
  ['chain'],
);
/** Timestamp (epoch ms) of each chain's last published block; the lag gauge is computed from it at scrape time. */
export const sourceLastBlockTimestampMs = new Map<string, number>();
export const sourceLagSeconds = gauge(
  'oracul_source_lag_seconds',
  'Wall clock (at scrape time) minus the timestamp of the last published block',
  ['chain'],
  function collect() {
    for (const [chain, ms] of sourceLastBlockTimestampMs) this.set({ chain }, Math.max(0, (Date.now() - ms) / 1000));
  },
);
export const sourceBlocks = counter('oracul_source_blocks_total', 'Blocks published to the raw topics', ['chain']);
export const sourceLogs = counter('oracul_source_logs_total', 'Logs published to eth.logs.raw', ['chain']);
export const sourceTransactions = counter('oracul_source_transactions_total', 'Transactions published to eth.transactions.raw', [
  'chain',
]);
export const sourceRetractedBlocks = counter('oracul_source_retracted_blocks_total', 'Blocks retracted by reorgs', ['chain']);
export const sourceErrors = counter(
  'oracul_source_errors_total',
  'Block source failures (fetch or publish retries, a fatal error)',
  ['chain'],
);
export const rpcRequestDuration = histogram(
  'oracul_rpc_request_duration_seconds',
  'One HTTP JSON-RPC request (one call or one batch): endpoint host, method (or "mixed"), outcome ok|error',
  ['endpoint', 'method', 'outcome'],
);
export const rpcCalls = counter('oracul_rpc_calls_total', 'JSON-RPC calls sent (a batch counts each of its calls)', [
  'endpoint',
  'method',
]);
export const rpcErrors = counter(
  'oracul_rpc_errors_total',
  'Failed JSON-RPC calls or requests, by endpoint host, method and Oracul error code',
  ['endpoint', 'method', 'code'],
);

// ---- ClickHouse sinks (processors/sinks) ---------------------------------------------------------------------

export const clickhouseInsertDuration = histogram(
  'oracul_clickhouse_insert_duration_seconds',
  'One ClickHouse INSERT of a sink batch (outcome ok|error)',
  ['table', 'outcome'],
);
export const clickhouseInsertedRows = counter(
  'oracul_clickhouse_inserted_rows_total',
  'Rows inserted into ClickHouse (replays of a batch count again; the tables deduplicate)',
  ['table'],
);
export const sinkRecords = counter(
  'oracul_sink_records_total',
  'Kafka records a sink flushed (inserted rows and committed offsets for)',
  ['table'],
);

// ---- alerts (processors/alerts) ----------------------------------------------------------------------------

export const alertsRaised = counter(
  'oracul_alerts_raised_total',
  'Alerts queued for the next digest, by kind (anomaly, dq, pipeline) and severity',
  ['kind', 'severity'],
);
export const alertDeliveries = counter(
  'oracul_alert_deliveries_total',
  'Digest delivery attempts by channel and outcome (delivered, failed)',
  ['channel', 'outcome'],
);
export const alertOutbox = gauge('oracul_alert_outbox_digests', 'Digests waiting in the alert outbox (undelivered)', []);
