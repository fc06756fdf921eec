import type { DeleteChange, DeleteRangeChange, Entry, KeyRange, KeyValueView, PutChange } from './state.ts';

interface Segment {
  /** Sorted keys as of the last rebuild; may hold keys deleted since (skipped on read, dropped on rebuild). */
  keys: string[];
  /** Keys inserted since the last rebuild, unsorted. */
  added: string[];
  /** Deletions since the last rebuild. */
  stale: number;
}

/**
 * An in-memory key-value store with ordered range scans: the test driver's store and the backfill/bench store.
 *
 * Point reads and writes are one Map operation. Ordering is maintained lazily per segment (keys sharing their
 * first `segmentPrefixLength` characters, i.e. one window of a window store): a segment is sorted only when a
 * range scan reaches it after new keys arrived, so the hot path never sorts and closing a day sorts that day only.
 */
export class InMemoryKeyValueStore<V> implements KeyValueView<V> {
  private readonly map = new Map<string, V>();
  private readonly segments = new Map<string, Segment>();
  private lastPrefix: string | undefined;
  private lastSegment: Segment | undefined;
  /** Segment prefixes in order; undefined after a segment is added or dropped. */
  private prefixes: string[] | undefined;

  constructor(
    readonly name: string,
    private readonly segmentPrefixLength = 0,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  put(key: string, value: V): void {
    const before = this.map.size;
    this.map.set(key, value);
    if (this.map.size !== before) this.segmentOf(key).added.push(key);
  }

  delete(key: string): void {
    if (this.map.delete(key)) this.segmentOf(key).stale++;
  }

  deleteRange(gte: string, lt: string): void {
    // Segments wholly inside [gte, lt) (every key with their prefix is in range) go at once, unsorted: dropping a
    // day or clearing the dirty marks costs one Map delete per key, no sort and no scan.
    const p = this.segmentPrefixLength;
    if (p > 0) {
      for (const [prefix, segment] of this.segments) {
        if (prefix.length !== p || prefix < gte || prefix >= lt || lt.startsWith(prefix)) continue;
        for (const key of segment.keys) this.map.delete(key);
        for (const key of segment.added) this.map.delete(key);
        this.dropSegment(prefix);
      }
    }
    // The rest: the keys in range, one by one; only the segments they came from are compacted.
    const doomed: string[] = [];
    for (const [key] of this.range({ gte, lt })) doomed.push(key);
    if (doomed.length === 0) return;
    const touched = new Set<Segment>();
    for (const key of doomed) {
      if (!this.map.delete(key)) continue;
      const segment = this.segmentOf(key);
      segment.stale++;
      touched.add(segment);
    }
    for (const [prefix, segment] of this.segments) {
      if (!touched.has(segment)) continue;
      this.rebuild(segment, prefix);
      if (segment.keys.length === 0 && segment.added.length === 0) this.dropSegment(prefix);
    }
  }

  apply(change: PutChange<string, V> | DeleteChange<string> | DeleteRangeChange<string>): void {
    if (change.op === 'put') this.put(change.key, change.value);
    else if (change.op === 'delete') this.delete(change.key);
    else this.deleteRange(change.gte, change.lt);
  }

  *range(range: KeyRange): Iterable<Entry<V>> {
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const lower = range.gte ?? range.gt;
    const upper = range.lte ?? range.lt;
    const p = this.segmentPrefixLength;
    const lowerPrefix = lower?.slice(0, p);
    const upperPrefix = upper?.slice(0, p);
    const all = this.sortedPrefixes();
    // Segments whose prefix lies in [lowerPrefix, upperPrefix]: a contiguous run of the sorted prefixes.
    const first = lowerPrefix === undefined ? 0 : lowerBound(all, lowerPrefix, false);
    let end = upperPrefix === undefined ? all.length : lowerBound(all, upperPrefix, true);
    // An exclusive bound that is itself a whole prefix (`lt: <window start>`) excludes that segment entirely: do
    // not sort it (it is usually the live day) only to find nothing below the bound.
    if (range.lt !== undefined && range.lt.length <= p && end > first && all[end - 1] === range.lt) end--;
    const reverse = range.reverse === true;
    let n = 0;
    for (let s = reverse ? end - 1 : first; reverse ? s >= first : s < end; reverse ? s-- : s++) {
      const prefix = all[s] as string;
      const segment = this.segments.get(prefix);
      if (segment === undefined) continue;
      this.ensureSorted(segment, prefix);
      const keys = segment.keys;
      if (!reverse) {
        let i = lower === undefined ? 0 : lowerBound(keys, lower, range.gt !== undefined);
        for (; i < keys.length; i++) {
          const key = keys[i] as string;
          if (range.lt !== undefined ? key >= range.lt : range.lte !== undefined && key > range.lte) return;
          const value = this.map.get(key);
          if (value === undefined) continue;
          yield [key, value];
          if (++n >= limit) return;
        }
      } else {
        let i = upper === undefined ? keys.length - 1 : lowerBound(keys, upper, range.lte !== undefined) - 1;
        for (; i >= 0; i--) {
          const key = keys[i] as string;
          if (range.gt !== undefined ? key <= range.gt : range.gte !== undefined && key < range.gte) return;
          const value = this.map.get(key);
          if (value === undefined) continue;
          yield [key, value];
          if (++n >= limit) return;
        }
      }
    }
  }

  /** Every entry in key order (tests and debugging). */
  entries(): Entry<V>[] {
    return [...this.range({})];
  }

  private sortedPrefixes(): string[] {
    this.prefixes ??= [...this.segments.keys()].sort();
    return this.prefixes;
  }

  private segmentOf(key: string): Segment {
    const p = this.segmentPrefixLength;
    if (this.lastSegment !== undefined && this.lastPrefix !== undefined && key.length >= p && key.startsWith(this.lastPrefix)) {
      return this.lastSegment;
    }
    const prefix = p === 0 ? '' : key.slice(0, p);
    let segment = this.segments.get(prefix);
    if (segment === undefined) {
      segment = { keys: [], added: [], stale: 0 };
      this.segments.set(prefix, segment);
      this.prefixes = undefined;
    }
    if (prefix.length === p) {
      this.lastPrefix = prefix;
      this.lastSegment = segment;
    }
    return segment;
  }

  private dropSegment(prefix: string): void {
    this.segments.delete(prefix);
    this.prefixes = undefined;
    if (this.lastPrefix === prefix) {
      this.lastPrefix = undefined;
      this.lastSegment = undefined;
    }
  }

  private ensureSorted(segment: Segment, prefix: string): void {
    if (segment.stale * 2 > segment.keys.length) this.rebuild(segment, prefix);
    else if (segment.added.length > 0) {
      const added = segment.added.length === 1 ? segment.added : segment.added.sort();
      const last = segment.keys[segment.keys.length - 1];
      if (last === undefined || (added[0] as string) > last) {
        // Keys arriving in order (time-keyed entries such as price ticks): append.
        for (const key of added) if (this.map.has(key) && key !== segment.keys[segment.keys.length - 1]) segment.keys.push(key);
        segment.added = [];
      } else if (added.length * 64 < segment.keys.length) {
        // A few new keys into a large sorted segment: binary-insert them (moves pointers, compares few keys).
        this.insertAdded(segment);
      } else this.rebuild(segment, prefix);
    }
  }

  private insertAdded(segment: Segment): void {
    const keys = segment.keys;
    for (const key of segment.added) {
      if (!this.map.has(key)) continue;
      const at = lowerBound(keys, key, false);
      if (keys[at] !== key) keys.splice(at, 0, key);
    }
    segment.added = [];
  }

  private rebuild(segment: Segment, _prefix: string): void {
    const live = segment.stale > 0 ? segment.keys.filter((key) => this.map.has(key)) : segment.keys;
    const added = segment.added.filter((key) => this.map.has(key)).sort();
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < live.length || j < added.length) {
      const next = j >= added.length || (i < live.length && (live[i] as string) <= (added[j] as string)) ? live[i++] : added[j++];
      if (next !== undefined && merged[merged.length - 1] !== next) merged.push(next);
    }
    segment.keys = merged;
    segment.added = [];
    segment.stale = 0;
  }
}

/** First index whose key is ≥ bound (or > bound when `strict`). */
function lowerBound(keys: readonly string[], bound: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const key = keys[mid] as string;
    if (key < bound || (strict && key === bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
