import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Batch, Kafka } from 'kafkajs';
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';
import { StateRestoreError } from './errors.ts';
import type { LmdbTaskState } from './lmdbTaskState.ts';
import type { Plain } from './types.ts';

/**
 * Changelog topics: one compacted topic per (application, processor, store), one partition per input partition.
 * Record key = the store key (UTF-8), value = the store's Plain value as msgpack, or null (tombstone) for a delete.
 * A task writes its changelog records in the same Kafka transaction as its outputs and input offsets, so the
 * committed changelog is exactly the committed state; any worker can rebuild a task's store from it.
 */

// Plain values only: records are structures-free so any reader (and a future version) decodes them alone.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function changelogTopicName(appId: string, processor: string, store: string): string {
  return `${appId}-${processor}-${store}-changelog`;
}

export function encodeChangelogValue(plain: Plain | undefined): Buffer | null {
  return plain === undefined ? null : packr.pack(plain);
}

export function decodeChangelogValue(buffer: Buffer | null): Plain | undefined {
  return buffer === null ? undefined : (packr.unpack(buffer) as Plain);
}

export interface RestoreProgress {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly restoredRecords: number;
  /** Offsets still to read (approximate: compaction leaves holes). */
  readonly remainingOffsets: number;
}

export interface RestoreParameters {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly state: LmdbTaskState;
  readonly partition: number;
  /** Store name → changelog topic. */
  readonly stores: Readonly<Record<string, string>>;
  /** Called at most every `progressIntervalMs` and once at the end (metrics, `oracul status`). */
  readonly onProgress?: (progress: readonly RestoreProgress[]) => void;
  readonly progressIntervalMs?: number;
  /** Gives up (retryable error) when no record arrives for this long before the end offset. Default 30 s. */
  readonly stallTimeoutMs?: number;
}

export interface RestoreResult {
  readonly restoredRecords: number;
  readonly durationMs: number;
  /** Stores that needed no restore (their recorded changelog offset was already at the end). */
  readonly upToDate: readonly string[];
}

interface Pending {
  store: string;
  topic: string;
  next: number;
  end: number;
  restored: number;
}

/**
 * Brings a task's LMDB stores up to the end of their changelogs, starting at the offset recorded in LMDB (0 for
 * an empty disk). A store already at the end reads nothing. Runs before the task processes its first record.
 *
 * The end is the high watermark at the start. The caller fences the task's transactional id first, so no
 * transaction is open on the changelog partitions and the restore reads up to that end (markers included).
 */
export async function restoreTaskState(params: RestoreParameters): Promise<RestoreResult> {
  const { logger, partition } = params;
  const started = performance.now();
  const { pending, upToDate } = await planRestore(params);
  if (pending.length === 0) {
    logger.info({ msg: 'state up to date, nothing to restore', partition, stores: upToDate });
    return { restoredRecords: 0, durationMs: performance.now() - started, upToDate };
  }
  logger.info({
    msg: 'restoring state from changelog',
    partition,
    stores: pending.map((p) => ({ store: p.store, topic: p.topic, from: p.next, to: p.end })),
  });
  const report = (): void => reportProgress(params, pending);
  await replayChangelogs(params, pending, report);
  const restoredRecords = pending.reduce((n, p) => n + p.restored, 0);
  const durationMs = performance.now() - started;
  report();
  logger.info({ msg: 'state restored', partition, restored_records: restoredRecords, duration_ms: Math.round(durationMs) });
  return { restoredRecords, durationMs, upToDate };
}

/** Each store's range to read: from its recorded changelog offset (or the log start) to the current end. */
async function planRestore(params: RestoreParameters): Promise<{ pending: Pending[]; upToDate: string[] }> {
  const { logger, state, partition } = params;
  const admin = params.kafka.admin();
  await admin.connect();
  const pending: Pending[] = [];
  const upToDate: string[] = [];
  try {
    for (const [store, topic] of Object.entries(params.stores)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const own = offsets.find((o) => o.partition === partition);
      if (own === undefined)
        throw new StateRestoreError(`changelog ${topic} has no partition ${partition}`, { topic, partition });
      const end = Number(own.high);
      const low = Number(own.low);
      let next = state.changelogOffset(store) ?? 0;
      if (next > end) {
        // The changelog is shorter than what this disk applied: it was recreated. The disk is not trustworthy.
        logger.warn({ msg: 'changelog behind local state: wiping the store and restoring', store, topic, partition, next, end });
        state.resetStore(store);
        next = 0;
      }
      if (next < low) next = low;
      if (next >= end) upToDate.push(store);
      else pending.push({ store, topic, next, end, restored: 0 });
    }
  } finally {
    await admin.disconnect();
  }
  return { pending, upToDate };
}

function reportProgress(params: RestoreParameters, pending: readonly Pending[]): void {
  const progress = pending.map((p) => ({
    store: p.store,
    topic: p.topic,
    partition: params.partition,
    restoredRecords: p.restored,
    remainingOffsets: Math.max(0, p.end - p.next),
  }));
  params.onProgress?.(progress);
  params.logger.info({ msg: 'restore progress', partition: params.partition, progress });
}

/** When the replay last moved and last reported, and the first failure of its batch handler. */
interface ReplayClock {
  lastProgressAt: number;
  lastRecordAt: number;
  failure?: unknown;
}

/** Reads the pending ranges with a throwaway consumer into LMDB, until every store reached its end offset. */
async function replayChangelogs(params: RestoreParameters, pending: readonly Pending[], report: () => void): Promise<void> {
  const { partition } = params;
  const byTopic = new Map(pending.map((p) => [p.topic, p]));
  const progressIntervalMs = params.progressIntervalMs ?? 2_000;
  const clock: ReplayClock = { lastProgressAt: performance.now(), lastRecordAt: performance.now() };
  const consumer = params.kafka.consumer({
    groupId: `oracul-restore-${randomUUID()}`,
    readUncommitted: false,
    maxBytes: 64 * 1024 * 1024,
    maxBytesPerPartition: 32 * 1024 * 1024,
    sessionTimeout: 30_000,
    allowAutoTopicCreation: false,
  });
  // kafkajs reports every fetched batch here, including batches of only transaction markers or aborted records
  // (never passed to eachBatch): their last offset moves the position past the changelog's final marker.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const p = byTopic.get(event.payload.topic);
    if (p === undefined || event.payload.partition !== partition) return;
    p.next = Math.max(p.next, Number(event.payload.lastOffset) + 1);
    clock.lastRecordAt = performance.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: pending.map((p) => p.topic), fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // Resolving advances the fetch position (nothing is committed: the group is throwaway).
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const p = byTopic.get(batch.topic);
        if (p === undefined || batch.partition !== partition) return;
        try {
          if (applyBatch(params.state, p, batch) === 0) return;
          clock.lastRecordAt = performance.now();
          if (performance.now() - clock.lastProgressAt >= progressIntervalMs) {
            clock.lastProgressAt = performance.now();
            report();
          }
        } catch (error) {
          clock.failure = error;
        }
      },
    });
    for (const p of pending) consumer.seek({ topic: p.topic, partition, offset: String(p.next) });
    clock.lastRecordAt = performance.now();
    await waitUntilRestored(params, pending, clock);
    // Record the end so an unchanged changelog restores nothing next time.
    for (const p of pending) if (p.next < p.end) params.state.applyRestored(p.store, [], p.end);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Applies a fetched batch's records at or past the store's position; returns how many it applied. */
function applyBatch(state: LmdbTaskState, p: Pending, batch: Batch): number {
  const records: [string, Plain | undefined][] = [];
  let last = p.next - 1;
  for (const message of batch.messages) {
    const offset = Number(message.offset);
    if (offset < p.next) continue;
    if (message.key === null) continue;
    records.push([message.key.toString('utf8'), decodeChangelogValue(message.value)]);
    last = offset;
  }
  if (records.length === 0) return 0;
  // batch.lastOffset() includes a trailing commit marker, which eachBatch never sees.
  const next = Math.max(last + 1, Number(batch.lastOffset()) + 1);
  state.applyRestored(p.store, records, next);
  p.next = next;
  p.restored += records.length;
  return records.length;
}

/**
 * Done when every store's position reached the end offset. The task's producer was fenced before the restore, so
 * no transaction is open on these partitions: the last stable offset is the end. Throws the batch handler's
 * failure, or a retryable StateRestoreError when nothing arrived for `stallTimeoutMs`.
 */
async function waitUntilRestored(params: RestoreParameters, pending: readonly Pending[], clock: ReplayClock): Promise<void> {
  const stallTimeoutMs = params.stallTimeoutMs ?? 30_000;
  for (;;) {
    if (clock.failure !== undefined) throw clock.failure;
    if (pending.every((p) => p.next >= p.end)) return;
    if (performance.now() - clock.lastRecordAt > stallTimeoutMs) {
      throw new StateRestoreError('changelog restore stalled', {
        partition: params.partition,
        stores: pending.map((p) => ({ store: p.store, next: p.next, end: p.end })),
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
