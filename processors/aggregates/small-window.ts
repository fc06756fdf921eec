import { StateSerdeError } from '../engine/errors.ts';
import { plainObject, type Plain, type StateCodec } from '../engine/state.ts';

/**
 * A daily window's distinct-set members and USD buckets, kept inside its `windows` entry while the window is small
 * (ADR 0023). Most (window, key) rows of a day see one to three records (a mainnet day: ~1 M address windows for
 * ~1.2 M transfers), and the store-per-fact layout wrote each of their facts as an entry of its own: a record of an
 * address window cost ~4 entries (window, tx, counterparty, bucket), each a state write, an LMDB put and a changelog
 * entry with a ~100-byte key. Inside the window they cost one entry between them. A window that grows past
 * {@link SMALL_WINDOW_LIMIT} facts moves them to the `distinct` and `buckets` stores once and stays there, so hot rows
 * (a stablecoin's token window, a router's address window) are not rewritten whole at every commit.
 */
export const SMALL_WINDOW_LIMIT = 16;

export interface SmallParts<Bucket> {
  /** `<set tag><member>` → occurrences (> 0), in first-seen order. */
  readonly members: ReadonlyMap<string, number>;
  /** Event time (ms) → the raw sums of the window's records at that time. */
  readonly buckets: ReadonlyMap<number, Bucket>;
}

/** What the `windows` store holds per (window, key). */
export interface StoredWindow<Agg, Bucket> {
  readonly agg: Agg;
  /**
   * The window's members and buckets while it is small; absent once they live in the `distinct` and `buckets`
   * stores (a window that grew, or one written before this layout: its entry is the aggregate alone).
   */
  readonly small?: SmallParts<Bucket>;
  /**
   * The partition's `lastVersion` when the window last changed (ADR 0027), written with the change: the window has
   * an update due while this is ≥ the clock's `flushedAtVersion`, so the task's volatile `dirty` marks can be rebuilt
   * after a restart without an emission ever writing the window.
   */
  readonly changedAt?: number;
  /** Read from entries written before ADR 0027 (ADR 0025's flag: an update was due); never written. */
  readonly pending?: true;
}

/** A new window's parts: read-only, shared (a window's maps are copied before they change). */
export const EMPTY_PARTS: SmallParts<never> = Object.freeze({
  members: new Map<string, number>(),
  buckets: new Map<number, never>(),
});

export function factCount(parts: SmallParts<unknown>): number {
  return parts.members.size + parts.buckets.size;
}

/** The window's buckets in event-time order (the order the `buckets` store's keys have). */
export function bucketsInTimeOrder<Bucket>(parts: SmallParts<Bucket>): [number, Bucket][] {
  return [...parts.buckets].sort((a, b) => a[0] - b[0]);
}

/**
 * A stored window as a Plain value. A window without small parts and not pending is encoded as its aggregate alone
 * (the layout before ADR 0023, so existing state keeps its meaning); otherwise as `{ agg, members: [member, count, …],
 * buckets: [time, bucket, …], changed_at }`, the parts only while small, `changed_at` only when set (and ADR 0025's
 * `pending: true` in entries written before ADR 0027). No aggregate
 * codec writes an `agg` field (an aggregate is a keyed object or, in a compact layout, an array), so the two cannot
 * be confused.
 */
export function storedWindowCodec<Agg, Bucket>(
  aggCodec: StateCodec<Agg>,
  bucketCodec: StateCodec<Bucket>,
): StateCodec<StoredWindow<Agg, Bucket>> {
  return {
    encode(window) {
      const agg = aggCodec.encode(window.agg);
      if (window.small === undefined && window.changedAt === undefined && window.pending !== true) return agg;
      const encoded: { [field: string]: Plain } = { agg };
      if (window.small !== undefined) {
        const members: Plain[] = [];
        for (const [member, count] of window.small.members) members.push(member, count);
        const buckets: Plain[] = [];
        for (const [timeMs, bucket] of window.small.buckets) buckets.push(timeMs, bucketCodec.encode(bucket));
        encoded.members = members;
        encoded.buckets = buckets;
      }
      if (window.changedAt !== undefined) encoded.changed_at = window.changedAt;
      if (window.pending === true) encoded.pending = true;
      return encoded;
    },
    decode(plain, key) {
      if (Array.isArray(plain)) return { agg: aggCodec.decode(plain, key) };
      const o = plainObject(plain, 'windows', key);
      if (!('agg' in o)) return { agg: aggCodec.decode(plain, key) };
      const agg = aggCodec.decode(o.agg ?? null, key);
      const small = 'members' in o ? partsOf(o, bucketCodec, key) : undefined;
      if (o.pending !== undefined && o.pending !== true) throw new StateSerdeError('windows', key, `pending: expected true`);
      const changedAt = o.changed_at;
      if (changedAt !== undefined && !(typeof changedAt === 'number' && Number.isSafeInteger(changedAt) && changedAt >= 0))
        throw new StateSerdeError('windows', key, `changed_at: expected a version`);
      // Read on every get of a window: built field by field, without intermediate objects.
      const window: { agg: Agg; small?: SmallParts<Bucket>; changedAt?: number; pending?: true } = { agg };
      if (small !== undefined) window.small = small;
      if (changedAt !== undefined) window.changedAt = changedAt;
      if (o.pending === true) window.pending = true;
      return window;
    },
  };
}

function partsOf<Bucket>(o: { readonly [key: string]: Plain }, bucketCodec: StateCodec<Bucket>, key: string): SmallParts<Bucket> {
  const members = new Map<string, number>();
  const buckets = new Map<number, Bucket>();
  const m = pairsOf(o.members, key, 'members');
  for (let i = 0; i < m.length; i += 2) {
    const [member, count] = [m[i], m[i + 1]];
    if (typeof member !== 'string' || typeof count !== 'number' || !(count > 0))
      throw new StateSerdeError('windows', key, `members: expected member, count > 0 pairs`);
    members.set(member, count);
  }
  const b = pairsOf(o.buckets, key, 'buckets');
  for (let i = 0; i < b.length; i += 2) {
    const timeMs = b[i];
    if (typeof timeMs !== 'number' || !Number.isSafeInteger(timeMs))
      throw new StateSerdeError('windows', key, `buckets: expected an integer event time`);
    buckets.set(timeMs, bucketCodec.decode(b[i + 1] ?? null, key));
  }
  return { members, buckets };
}

function pairsOf(plain: Plain | undefined, key: string, field: string): readonly Plain[] {
  if (!Array.isArray(plain) || plain.length % 2 !== 0)
    throw new StateSerdeError('windows', key, `${field}: expected a flat array of pairs`);
  return plain as readonly Plain[];
}
