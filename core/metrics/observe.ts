import { boundedLabel, endpointHost } from './labels.ts';
import * as m from './registry.ts';

/**
 * Small recording helpers for the places where pipeline events happen, so each instrumentation point is one call.
 * They read record fields defensively (`unknown` in, no domain imports): core stays below processors/.
 */

/** Topics whose records are daily window versions with an `is_final` flag. */
const WINDOW_TOPICS = new Set(['token.metrics.daily', 'address.flows.daily']);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * One stage transaction's tally: outputs are noted as they are serialised and counted only when the transaction
 * commits (an aborted, retried batch is not counted twice).
 */
export interface StageTally {
  /** An output record (Avro value) of the transaction. */
  output(topic: string, value: unknown): void;
  /** The transaction committed: records in, dead letters, and the wall time since the tally started. */
  committed(records: number, deadLetters: number): void;
}

export function stageTally(stage: string, inputTopic: string): StageTally {
  const started = performance.now();
  const outputs = new Map<string, number>();
  let late = 0;
  const finals = new Map<string, number>();
  const rejectReasons = new Map<string, number>();
  const anomalies = new Map<string, { severity: string; status: string; n: number }>();
  return {
    output(topic, value) {
      outputs.set(topic, (outputs.get(topic) ?? 0) + 1);
      if (topic === 'erc20.transfers.late') late++;
      else if (topic === 'erc20.rejects') {
        const reason = boundedLabel('reason', String(field(value, 'reason') ?? 'unknown'));
        rejectReasons.set(reason, (rejectReasons.get(reason) ?? 0) + 1);
      } else if (topic === 'anomalies') {
        const severity = boundedLabel('severity', String(field(value, 'severity') ?? 'unknown'));
        const status = boundedLabel('status', String(field(value, 'status') ?? 'unknown'));
        const key = `${severity}\u0000${status}`;
        const entry = anomalies.get(key);
        if (entry === undefined) anomalies.set(key, { severity, status, n: 1 });
        else entry.n++;
      } else if (WINDOW_TOPICS.has(topic) && field(value, 'is_final') === true) {
        finals.set(topic, (finals.get(topic) ?? 0) + 1);
      }
    },
    committed(records, dead) {
      m.stageBatchDuration.observe({ stage }, (performance.now() - started) / 1000);
      if (records > 0) m.stageRecordsIn.inc({ stage }, records);
      if (dead > 0) m.deadLetters.inc({ stage, topic: inputTopic }, dead);
      for (const [topic, n] of outputs) {
        // Dead letters are produced by the runtime, not the processor: counted above, not as outputs.
        if (!topic.endsWith('.dlq')) m.stageRecordsOut.inc({ stage, topic }, n);
      }
      if (late > 0) m.lateEvents.inc({ stage }, late);
      for (const [topic, n] of finals) m.windowFinals.inc({ stage, topic }, n);
      for (const [reason, n] of rejectReasons) m.rejects.inc({ stage, reason }, n);
      for (const { severity, status, n } of anomalies.values()) m.anomalies.inc({ stage, severity, status }, n);
    },
  };
}

/** Consumer lag of one partition after a batch (kafkajs `batch.offsetLag()`: high watermark − 1 − last offset). */
export function observeConsumerLag(stage: string, topic: string, partition: number, lag: number): void {
  m.consumerLag.set({ stage, topic, partition: String(partition) }, Math.max(0, lag));
}

/** A partition left this process (rebalance, stop): its lag series goes away rather than freezing. */
export function forgetPartition(stage: string, topic: string, partition: number): void {
  m.consumerLag.remove({ stage, topic, partition: String(partition) });
}

export interface RestoreProgressLike {
  readonly store: string;
  readonly partition: number;
  readonly restoredRecords: number;
  readonly remainingOffsets: number;
}

/** Progress of a running changelog restore (state/changelog.ts `onProgress`). */
export function observeRestoreProgress(stage: string, progress: readonly RestoreProgressLike[]): void {
  for (const p of progress) {
    const labels = { stage, store: p.store, partition: String(p.partition) };
    m.restoreRemaining.set(labels, p.remainingOffsets);
    m.restoreRecords.set(labels, p.restoredRecords);
  }
}

/** A task opened: how long fencing + restore took and how many changelog records it applied. */
export function observeTaskOpened(stage: string, restore: { restoredRecords: number; durationMs: number } | null): void {
  m.stageTasks.inc({ stage });
  if (restore === null) return;
  m.restoreDuration.observe({ stage }, restore.durationMs / 1000);
  if (restore.restoredRecords > 0) m.restoredRecordsTotal.inc({ stage }, restore.restoredRecords);
}

export function observeTaskClosed(stage: string, topic: string, partition: number): void {
  m.stageTasks.dec({ stage });
  forgetPartition(stage, topic, partition);
}

const hostOf = new Map<string, string>();

function errorCodeOf(error: unknown): string {
  const code = field(error, 'code');
  return boundedLabel('code', typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown');
}

/**
 * One HTTP JSON-RPC request: its latency per endpoint host and method ("mixed" for a batch of several methods),
 * its calls, and its failures. `outcomes` are the per-call outcomes (`{ ok, error }`, one per call) or, when the
 * whole request failed, the one error.
 */
export function observeRpcRequest(
  url: string,
  calls: readonly { readonly method: string }[],
  durationMs: number,
  outcomes: readonly unknown[],
): void {
  let endpoint = hostOf.get(url);
  if (endpoint === undefined) hostOf.set(url, (endpoint = boundedLabel('endpoint', endpointHost(url))));
  const methods = new Set(calls.map((c) => c.method));
  const method = methods.size === 1 ? boundedLabel('method', [...methods][0]) : 'mixed';
  const perCall = outcomes.length === calls.length && outcomes.every((o) => typeof field(o, 'ok') === 'boolean');
  const failed = perCall ? outcomes.some((o) => field(o, 'ok') === false) : true;
  m.rpcRequestDuration.observe({ endpoint, method, outcome: failed ? 'error' : 'ok' }, durationMs / 1000);
  for (const call of calls) m.rpcCalls.inc({ endpoint, method: boundedLabel('method', call.method) });
  if (!perCall) {
    for (const error of outcomes) m.rpcErrors.inc({ endpoint, method, code: errorCodeOf(error) });
    return;
  }
  outcomes.forEach((o, i) => {
    if (field(o, 'ok') !== false) return;
    const callMethod = boundedLabel('method', (calls[i] as { method: string }).method);
    m.rpcErrors.inc({ endpoint, method: callMethod, code: errorCodeOf(field(o, 'error')) });
  });
}

/** The block source polled the chain head. */
export function observeSourceHead(chain: string, head: number, lastBlock: number): void {
  m.sourceHeadBlock.set({ chain }, head);
  m.sourceLagBlocks.set({ chain }, Math.max(0, head - lastBlock));
}

/** The block source committed a batch (Kafka transaction and checkpoint). */
export function observeSourceBatch(
  chain: string,
  batch: {
    head: number;
    lastBlock: number;
    tipTimestampMs: number | undefined;
    blocks: number;
    logs: number;
    transactions: number;
    retracted: number;
  },
): void {
  m.sourceLastBlock.set({ chain }, batch.lastBlock);
  observeSourceHead(chain, batch.head, batch.lastBlock);
  if (batch.tipTimestampMs !== undefined) m.sourceLastBlockTimestampMs.set(chain, batch.tipTimestampMs);
  m.sourceBlocks.inc({ chain }, batch.blocks);
  m.sourceLogs.inc({ chain }, batch.logs);
  m.sourceTransactions.inc({ chain }, batch.transactions);
  if (batch.retracted > 0) m.sourceRetractedBlocks.inc({ chain }, batch.retracted);
}
