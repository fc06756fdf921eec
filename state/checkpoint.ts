import {
  decodeStateValue,
  encodeEntries,
  encodeStateValue,
  formatRecordKey,
  type CheckpointRecordKey,
  type StoreDelta,
} from './checkpoint-format.ts';
import type { Plain } from './types.ts';

/**
 * Where a store's changelog stands (ADR 0019): its generation (the last snapshot's), the next delta number, and
 * the bytes written since that snapshot. The task keeps it in LMDB beside the data; a restore rebuilds it from the
 * records it reads, with the same {@link afterRecord} the writer uses, so both always agree.
 */
export interface StoreCheckpoint {
  readonly generation: number;
  /** Number of the next delta record of this generation (= deltas written so far). */
  readonly nextSeq: number;
  readonly snapshotParts: number;
  readonly snapshotBytes: number;
  readonly deltaBytes: number;
  /** Changelog offset of the current snapshot's part 0 (-1: generation 0, no snapshot yet): where a restore starts. */
  readonly snapshotOffset: number;
}

export const EMPTY_CHECKPOINT: StoreCheckpoint = Object.freeze({
  generation: 0,
  nextSeq: 0,
  snapshotParts: 0,
  snapshotBytes: 0,
  deltaBytes: 0,
  snapshotOffset: -1,
});

/** When a store's deltas are replaced by a new snapshot. */
export interface SnapshotPolicy {
  /** Snapshot once the deltas since the last snapshot outweigh it and this many bytes. */
  readonly minDeltaBytes: number;
  /** ... or once this many delta records were written (bounds the tombstones and the records a restore reads). */
  readonly maxDeltaRecords: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = Object.freeze({ minDeltaBytes: 4 * 1024 * 1024, maxDeltaRecords: 2_000 });

/**
 * A snapshot replaces the deltas when they outweigh it: a restore then reads at most about twice the store's size,
 * and the snapshots cost, amortised, no more bytes than the deltas they replace.
 */
export function snapshotDue(checkpoint: StoreCheckpoint, policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY): boolean {
  if (checkpoint.nextSeq === 0) return false;
  return (
    checkpoint.deltaBytes >= Math.max(policy.minDeltaBytes, checkpoint.snapshotBytes) ||
    checkpoint.nextSeq >= policy.maxDeltaRecords
  );
}

/** A store's checkpoint after one of its records, written at `offset` (writer and restore both go through here). */
export function afterRecord(
  checkpoint: StoreCheckpoint,
  key: CheckpointRecordKey,
  bytes: number,
  offset: number,
): StoreCheckpoint {
  if (key.kind === 'delta') {
    return { ...checkpoint, generation: key.generation, nextSeq: key.seq + 1, deltaBytes: checkpoint.deltaBytes + bytes };
  }
  if (key.seq === 0) {
    return {
      generation: key.generation,
      nextSeq: 0,
      snapshotParts: 1,
      snapshotBytes: bytes,
      deltaBytes: 0,
      snapshotOffset: offset,
    };
  }
  return { ...checkpoint, snapshotParts: key.seq + 1, snapshotBytes: checkpoint.snapshotBytes + bytes };
}

export interface ChangelogRecord {
  readonly key: string;
  /** null = tombstone (compaction drops the key). */
  readonly value: Buffer | null;
}

export interface StoreRecords {
  readonly records: ChangelogRecord[];
  readonly checkpoint: StoreCheckpoint;
}

/**
 * One store's changelog records of a commit: when a snapshot is due, tombstones for every record of the current
 * generation and the snapshot of the store as committed so far (`committed`, read from LMDB), as the next
 * generation; then the commit's delta. Nothing when there is neither. `firstOffset` is the changelog offset the
 * first record will get (the task is the partition's only writer, so it knows).
 */
export function storeRecords(
  store: string,
  checkpoint: StoreCheckpoint,
  delta: StoreDelta | undefined,
  committed: (() => Iterable<readonly [string, Buffer]>) | undefined,
  firstOffset = 0,
): StoreRecords {
  const records: ChangelogRecord[] = [];
  let next = checkpoint;
  if (committed !== undefined) {
    records.push(...tombstonesOf(store, checkpoint));
    const first = { store, kind: 'snapshot', generation: checkpoint.generation + 1, seq: 0 } as const;
    next = appendRecords(records, next, first, committed(), firstOffset);
  }
  if (delta !== undefined && delta.size > 0) {
    const first = { store, kind: 'delta', generation: next.generation, seq: next.nextSeq } as const;
    next = appendRecords(records, next, first, delta, firstOffset);
  }
  return { records, checkpoint: next };
}

/** Packs entries into records numbered from `first.seq`; returns the checkpoint after them. */
function appendRecords(
  records: ChangelogRecord[],
  checkpoint: StoreCheckpoint,
  first: CheckpointRecordKey,
  entries: Iterable<readonly [string, Buffer | undefined]>,
  firstOffset: number,
): StoreCheckpoint {
  let next = checkpoint;
  let seq = first.seq;
  for (const value of encodeEntries(entries)) {
    const key = { ...first, seq: seq++ };
    next = afterRecord(next, key, value.length, firstOffset + records.length);
    records.push({ key: formatRecordKey(key), value });
  }
  return next;
}

/**
 * The last record of every transaction that writes the changelog: where each store's current snapshot starts. A
 * restore onto an empty disk reads it from the partition's tail and starts there, so it reads about the stores'
 * size (at most a snapshot and the deltas after it) however long the uncompacted history is.
 */
export const INDEX_RECORD_KEY = '__index';

/** Store → offset of its snapshot's part 0 (-1: none, read from the log start). */
export type ChangelogIndex = ReadonlyMap<string, number>;

export function indexRecord(checkpoints: ReadonlyMap<string, StoreCheckpoint>): ChangelogRecord {
  const stores: Record<string, number> = {};
  for (const [store, checkpoint] of checkpoints) stores[store] = checkpoint.snapshotOffset;
  return { key: INDEX_RECORD_KEY, value: encodeStateValue({ stores }) };
}

export function decodeIndex(value: Buffer): ChangelogIndex {
  const plain = decodeStateValue(value) as { stores?: Record<string, unknown> } | null;
  const index = new Map<string, number>();
  for (const [store, offset] of Object.entries(plain?.stores ?? {})) if (typeof offset === 'number') index.set(store, offset);
  return index;
}

/** Tombstones for every record key of the checkpoint's generation. */
function tombstonesOf(store: string, checkpoint: StoreCheckpoint): ChangelogRecord[] {
  const { generation } = checkpoint;
  const tombstones: ChangelogRecord[] = [];
  for (let seq = 0; seq < checkpoint.snapshotParts; seq++)
    tombstones.push({ key: formatRecordKey({ store, kind: 'snapshot', generation, seq }), value: null });
  for (let seq = 0; seq < checkpoint.nextSeq; seq++)
    tombstones.push({ key: formatRecordKey({ store, kind: 'delta', generation, seq }), value: null });
  return tombstones;
}

/** A checkpoint as LMDB's meta database keeps it. */
export function checkpointToPlain(checkpoint: StoreCheckpoint): Plain {
  return { ...checkpoint };
}

export function checkpointOfPlain(plain: Plain | undefined): StoreCheckpoint {
  if (plain === undefined || plain === null || typeof plain !== 'object' || Array.isArray(plain)) return EMPTY_CHECKPOINT;
  const p = plain as Record<string, Plain>;
  const n = (field: keyof StoreCheckpoint): number => (typeof p[field] === 'number' ? (p[field] as number) : 0);
  return {
    generation: n('generation'),
    nextSeq: n('nextSeq'),
    snapshotParts: n('snapshotParts'),
    snapshotBytes: n('snapshotBytes'),
    deltaBytes: n('deltaBytes'),
    snapshotOffset: typeof p.snapshotOffset === 'number' ? p.snapshotOffset : -1,
  };
}

/** One store's part in a commit: where its changelog stands, its net delta, its committed content if a snapshot is due. */
export interface StoreCommit {
  readonly store: string;
  readonly checkpoint: StoreCheckpoint;
  readonly delta?: StoreDelta;
  readonly committed?: () => Iterable<readonly [string, Buffer]>;
}

/**
 * The changelog records of one commit, from `firstOffset` on: each store's (see {@link storeRecords}), then the
 * index record, which lists every store given, changed or not. Nothing when no store has a record. Returns the
 * checkpoints of the stores that wrote records.
 */
export function commitRecords(
  stores: readonly StoreCommit[],
  firstOffset: number,
): { records: ChangelogRecord[]; checkpoints: Map<string, StoreCheckpoint> } {
  const records: ChangelogRecord[] = [];
  const checkpoints = new Map<string, StoreCheckpoint>();
  const all = new Map<string, StoreCheckpoint>();
  for (const { store, checkpoint, delta, committed } of stores) {
    const written = storeRecords(store, checkpoint, delta, committed, firstOffset + records.length);
    records.push(...written.records);
    if (written.records.length > 0) checkpoints.set(store, written.checkpoint);
    all.set(store, written.checkpoint);
  }
  if (records.length > 0) records.push(indexRecord(all));
  return { records, checkpoints };
}
