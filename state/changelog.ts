import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Batch, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { INDEX_RECORD_KEY, afterRecord, decodeIndex, type ChangelogIndex, type StoreCheckpoint } from './checkpoint.ts';
import { parseRecordKey } from './checkpoint-format.ts';
import { StateRestoreError } from './errors.ts';
import type { LmdbTaskState, RestoredRecord } from './lmdbTaskState.ts';

/**
 * The changelog of a stage: one compacted topic, one partition per input partition, holding the snapshot and delta
 * records of every store of the task (state/checkpoint-format.ts, ADR 0019). A task writes its records in the same
 * Kafka transaction as its outputs and input offset, so the committed changelog is exactly the committed state; any
 * worker can rebuild a task's stores from it.
 */

export function changelogTopicName(appId: string, stage: string): string {
  return `${appId}-${stage}-changelog`;
}

export interface RestoreProgress {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  /** Changelog records of this store applied so far. */
  readonly restoredRecords: number;
  /** Offsets of the task's changelog partition still to read (approximate: compaction leaves holes). */
  readonly remainingOffsets: number;
}

export interface RestoreParameters {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly state: LmdbTaskState;
  readonly partition: number;
  /** The stage's changelog topic. */
  readonly topic: string;
  /** Called at most every `progressIntervalMs` and once at the end (metrics, `oracul status`). */
  readonly onProgress?: (progress: readonly RestoreProgress[]) => void;
  readonly progressIntervalMs?: number;
  /** Gives up (retryable error) when no record arrives for this long before the end offset. Default 30 s. */
  readonly stallTimeoutMs?: number;
}

export interface RestoreResult {
  /** Changelog records applied (each holds many entries). */
  readonly restoredRecords: number;
  /** Store entries written (puts and deletes). */
  readonly restoredEntries: number;
  readonly durationMs: number;
  /** The disk was already at the end of the changelog: nothing was read. */
  readonly upToDate: boolean;
}

/** The restore's position and what it applied so far, per store. */
interface Pending {
  readonly topic: string;
  next: number;
  readonly end: number;
  records: number;
  entries: number;
  readonly perStore: Map<string, number>;
  readonly checkpoints: Map<string, StoreCheckpoint>;
  /** Store → first offset to apply: its records before its current snapshot are superseded (index, empty disk). */
  readonly applyFrom: Map<string, number>;
}

/** How far back from the end an empty-disk restore looks for the last committed index record. */
const INDEX_TAIL_OFFSETS = 1_024;

/**
 * Brings a task's LMDB stores up to the end of the changelog, starting at the position recorded in LMDB. An empty
 * disk starts at the oldest current snapshot named by the last index record (the log start without one). A disk
 * already at the end reads nothing. Runs before the task processes its first record.
 *
 * The end is the high watermark at the start. The caller fences the task's transactional id first, so no
 * transaction is open on the changelog partition and the restore reads up to that end (markers included).
 */
export async function restoreTaskState(params: RestoreParameters): Promise<RestoreResult> {
  const { logger, partition, topic } = params;
  const started = performance.now();
  const pending = await planRestore(params);
  if (pending.next >= pending.end) {
    // Record the end: the task's first records land there (an empty changelog, or one already applied).
    params.state.applyRestored([], { offset: pending.end, checkpoints: pending.checkpoints });
    logger.info({ msg: 'state up to date, nothing to restore', partition, topic });
    return { restoredRecords: 0, restoredEntries: 0, durationMs: performance.now() - started, upToDate: true };
  }
  logger.info({ msg: 'restoring state from changelog', partition, topic, from: pending.next, to: pending.end });
  const report = (): void => reportProgress(params, pending);
  await replayChangelog(params, pending, report);
  const durationMs = performance.now() - started;
  report();
  logger.info({
    msg: 'state restored',
    partition,
    restored_records: pending.records,
    restored_entries: pending.entries,
    duration_ms: Math.round(durationMs),
  });
  return { restoredRecords: pending.records, restoredEntries: pending.entries, durationMs, upToDate: false };
}

/** The range to read: from the recorded position (an empty disk: from the index, or the log start) to the end. */
async function planRestore(params: RestoreParameters): Promise<Pending> {
  const { logger, state, partition, topic } = params;
  const { low, end } = await offsetsOf(params);
  let recorded = state.changelogOffset();
  if (recorded !== undefined && recorded > end) {
    // The changelog is shorter than what this disk applied: it was recreated. The disk is not trustworthy.
    logger.warn({ msg: 'changelog behind local state: wiping the stores and restoring', topic, partition, recorded, end });
    state.resetAll();
    recorded = undefined;
  }
  const checkpoints = new Map(state.storeNames.map((store) => [store, state.checkpointOf(store)]));
  const pending = { topic, next: Math.max(recorded ?? low, low), end, records: 0, entries: 0, perStore: new Map(), checkpoints };
  if (recorded !== undefined || end <= low) return { ...pending, applyFrom: new Map() };
  const index = await lastIndex(params, Math.max(low, end - INDEX_TAIL_OFFSETS), end);
  const applyFrom = new Map(state.storeNames.map((store) => [store, Math.max(low, index?.get(store) ?? low)]));
  const next = Math.min(...applyFrom.values(), end);
  logger.info({
    msg: 'empty disk: restoring from the current snapshots',
    partition,
    topic,
    index: index !== undefined,
    from: next,
  });
  return { ...pending, next, applyFrom };
}

async function offsetsOf(params: RestoreParameters): Promise<{ low: number; end: number }> {
  const { partition, topic } = params;
  const admin = params.kafka.admin();
  await admin.connect();
  try {
    const own = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition);
    if (own === undefined) throw new StateRestoreError(`changelog ${topic} has no partition ${partition}`, { topic, partition });
    return { low: Number(own.low), end: Number(own.high) };
  } finally {
    await admin.disconnect();
  }
}

/** The last committed index record in [from, end), if any (state/checkpoint.ts). */
async function lastIndex(params: RestoreParameters, from: number, end: number): Promise<ChangelogIndex | undefined> {
  let index: ChangelogIndex | undefined;
  await readRange(params, { from, end }, (batch) => {
    for (const message of batch.messages) {
      if (message.value !== null && message.key?.toString('utf8') === INDEX_RECORD_KEY) index = decodeIndex(message.value);
    }
    return batch.messages.length;
  });
  return index;
}

function reportProgress(params: RestoreParameters, pending: Pending): void {
  const progress = params.state.storeNames.map((store) => ({
    store,
    topic: pending.topic,
    partition: params.partition,
    restoredRecords: pending.perStore.get(store) ?? 0,
    remainingOffsets: Math.max(0, pending.end - pending.next),
  }));
  params.onProgress?.(progress);
  params.logger.info({
    msg: 'restore progress',
    partition: params.partition,
    restored_records: pending.records,
    remaining_offsets: Math.max(0, pending.end - pending.next),
  });
}

/** Reads the pending range into LMDB, then records the end so an unchanged changelog restores nothing next time. */
async function replayChangelog(params: RestoreParameters, pending: Pending, report: () => void): Promise<void> {
  const progressIntervalMs = params.progressIntervalMs ?? 2_000;
  let lastProgressAt = performance.now();
  const range = { from: pending.next, end: pending.end };
  await readRange(params, range, (batch) => {
    const applied = applyBatch(params.state, pending, batch);
    if (applied > 0 && performance.now() - lastProgressAt >= progressIntervalMs) {
      lastProgressAt = performance.now();
      report();
    }
    return applied;
  });
  pending.next = pending.end;
  params.state.applyRestored([], { offset: pending.end, checkpoints: pending.checkpoints });
}

/** A restore's throwaway consumer (read_committed, large fetches); the restore bench's fetch baseline reads the same way. */
export function restoreConsumerConfig(): ConsumerConfig {
  return {
    groupId: `oracul-restore-${randomUUID()}`,
    readUncommitted: false,
    maxBytes: 64 * 1024 * 1024,
    maxBytesPerPartition: 32 * 1024 * 1024,
    sessionTimeout: 30_000,
    // Everything to read is already there: a long poll would only delay the disconnect at the end (kafkajs waits for
    // the fetch in flight), which cost every restore the default 5 s.
    maxWaitTimeInMs: 50,
    allowAutoTopicCreation: false,
  };
}

/** Where a range read stands: its position, when it last moved, and the first failure of its batch handler. */
interface RangeRead {
  next: number;
  lastRecordAt: number;
  failure?: unknown;
}

/**
 * Reads the task's changelog partition from `from` until the position reaches `end`, with a throwaway consumer
 * (read_committed), handing each fetched batch to `onBatch` (which returns how many records it used).
 */
async function readRange(
  params: RestoreParameters,
  range: { readonly from: number; readonly end: number },
  onBatch: (batch: Batch) => number,
): Promise<void> {
  const { partition, topic } = params;
  const read: RangeRead = { next: range.from, lastRecordAt: performance.now() };
  const consumer = params.kafka.consumer(restoreConsumerConfig());
  // kafkajs reports every fetched batch here, including batches of only transaction markers or aborted records
  // (never passed to eachBatch): their last offset moves the position past the changelog's final marker.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    if (event.payload.topic !== topic || event.payload.partition !== partition) return;
    read.next = Math.max(read.next, Number(event.payload.lastOffset) + 1);
    read.lastRecordAt = performance.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // Resolving advances the fetch position (nothing is committed: the group is throwaway).
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (batch.topic !== topic || batch.partition !== partition || read.failure !== undefined) return;
        try {
          if (onBatch(batch) > 0) read.lastRecordAt = performance.now();
        } catch (error) {
          read.failure = error;
        }
      },
    });
    consumer.seek({ topic, partition, offset: String(range.from) });
    read.lastRecordAt = performance.now();
    await waitUntilRead(params, read, range.end);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Applies a fetched batch's records at or past the position, in offset order; returns how many it applied. */
function applyBatch(state: LmdbTaskState, p: Pending, batch: Batch): number {
  const records: RestoredRecord[] = [];
  let last = p.next - 1;
  for (const message of batch.messages) {
    const offset = Number(message.offset);
    if (offset < p.next || message.key === null) continue;
    last = offset;
    const text = message.key.toString('utf8');
    // Tombstones remove records an older snapshot replaced; the index only steers an empty-disk restore.
    if (message.value === null || text === INDEX_RECORD_KEY) continue;
    const key = parseRecordKey(text);
    // A store the stage no longer declares (removed by an upgrade, e.g. the per-task price tables, ADR 0024).
    if (!p.checkpoints.has(key.store)) continue;
    if (offset < (p.applyFrom.get(key.store) ?? 0)) continue; // superseded by the store's current snapshot
    records.push({ key, value: message.value });
    const checkpoint = p.checkpoints.get(key.store);
    if (checkpoint !== undefined) p.checkpoints.set(key.store, afterRecord(checkpoint, key, message.value.length, offset));
    p.perStore.set(key.store, (p.perStore.get(key.store) ?? 0) + 1);
  }
  if (last < p.next) return 0;
  // batch.lastOffset() includes a trailing commit marker, which eachBatch never sees.
  const next = Math.max(last + 1, Number(batch.lastOffset()) + 1);
  p.entries += state.applyRestored(records, { offset: next, checkpoints: p.checkpoints });
  p.next = next;
  p.records += records.length;
  return Math.max(1, records.length);
}

/**
 * Done when the position reached the end offset. The task's producer was fenced before the restore, so no
 * transaction is open on the partition: the last stable offset is the end. Throws the batch handler's failure, or
 * a retryable StateRestoreError when nothing arrived for `stallTimeoutMs`.
 */
async function waitUntilRead(params: RestoreParameters, read: RangeRead, end: number): Promise<void> {
  const stallTimeoutMs = params.stallTimeoutMs ?? 30_000;
  for (;;) {
    if (read.failure !== undefined) throw read.failure;
    if (read.next >= end) return;
    if (performance.now() - read.lastRecordAt > stallTimeoutMs) {
      throw new StateRestoreError('changelog restore stalled', {
        partition: params.partition,
        topic: params.topic,
        next: read.next,
        end,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
