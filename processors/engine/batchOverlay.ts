import type { Entry, KeyRange, KeyValueView, StateChange, StateView } from './state.ts';
import { inKeyRange } from '../../state/key-range.ts';

type ErasedStores = Record<string, unknown>;

const DELETED: unique symbol = Symbol('deleted');

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One store's pending writes of a batch. */
class StoreOverlay {
  readonly writes = new Map<string, unknown>();
  /** Range deletes since the batch began; they hide committed keys (pending keys are marked individually). */
  readonly ranges: { gte: string; lt: string }[] = [];
  private sorted: string[] | undefined;

  constructor(private readonly base: KeyValueView<unknown>) {}

  private hiddenByRange(key: string): boolean {
    for (const r of this.ranges) if (key >= r.gte && key < r.lt) return true;
    return false;
  }

  get(key: string): unknown {
    if (this.writes.has(key)) {
      const value = this.writes.get(key);
      return value === DELETED ? undefined : value;
    }
    if (this.ranges.length > 0 && this.hiddenByRange(key)) return undefined;
    return this.base.get(key);
  }

  put(key: string, value: unknown): void {
    if (!this.writes.has(key)) this.sorted = undefined;
    this.writes.set(key, value);
  }

  delete(key: string): void {
    if (!this.writes.has(key)) this.sorted = undefined;
    this.writes.set(key, DELETED);
  }

  deleteRange(gte: string, lt: string): void {
    for (const key of this.sortedKeys().slice(lowerBound(this.sortedKeys(), gte))) {
      if (key >= lt) break;
      this.writes.set(key, DELETED);
    }
    this.ranges.push({ gte, lt });
  }

  private sortedKeys(): string[] {
    if (this.sorted === undefined) this.sorted = [...this.writes.keys()].sort();
    return this.sorted;
  }

  /** Committed entries merged with the pending writes, in key order (descending with `reverse`). */
  *range(range: KeyRange): Iterable<Entry<unknown>> {
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const reverse = range.reverse === true;
    const keys = this.sortedKeys();
    // Pending keys inside the range, in scan order.
    const lower = range.gte ?? range.gt;
    const upper = range.lte ?? range.lt;
    const pending: string[] = [];
    for (let j = lower === undefined ? 0 : lowerBound(keys, lower); j < keys.length; j++) {
      const k = keys[j] as string;
      if (upper !== undefined && k > upper) break;
      if (inKeyRange(k, range)) pending.push(k);
    }
    if (reverse) pending.reverse();
    const before = (a: string, b: string): boolean => (reverse ? a > b : a < b);
    const hasRanges = this.ranges.length > 0;
    let i = 0;
    let n = 0;
    const base = pending.length === 0 && !hasRanges ? this.base.range(range) : this.base.range({ ...range, limit: undefined });
    for (const [key, value] of base) {
      while (i < pending.length && before(pending[i] as string, key)) {
        const k = pending[i++] as string;
        const v = this.writes.get(k);
        if (v !== DELETED) {
          yield [k, v];
          if (++n >= limit) return;
        }
      }
      if (i < pending.length && pending[i] === key) {
        i++;
        const v = this.writes.get(key);
        if (v !== DELETED) {
          yield [key, v];
          if (++n >= limit) return;
        }
        continue;
      }
      if (hasRanges && this.hiddenByRange(key)) continue;
      yield [key, value];
      if (++n >= limit) return;
    }
    for (; i < pending.length; i++) {
      const k = pending[i] as string;
      const v = this.writes.get(k);
      if (v !== DELETED) {
        yield [k, v];
        if (++n >= limit) return;
      }
    }
  }
}

/**
 * A batch's pending state writes over the committed stores (LMDB): read-your-writes for every record of the
 * batch, ordered range scans merged with the committed data, and the batch's changes at the end. Unlike the
 * per-call `StateTxn`, which is sized for a handful of writes, lookups and range scans here cost O(log n) in the
 * number of pending writes, so a batch of tens of thousands of records stays linear.
 */
export class BatchOverlay {
  private readonly stores = new Map<string, StoreOverlay>();
  readonly view: StateView<ErasedStores>;

  constructor(base: StateView<ErasedStores>, storeNames: readonly string[]) {
    const view: Record<string, KeyValueView<unknown>> = {};
    for (const name of storeNames) {
      const overlay = new StoreOverlay(base[name] as KeyValueView<unknown>);
      this.stores.set(name, overlay);
      view[name] = { get: (key) => overlay.get(key), range: (range) => overlay.range(range) };
    }
    this.view = view;
  }

  apply(changes: readonly StateChange<ErasedStores>[]): void {
    for (const change of changes) {
      const store = this.stores.get(change.store) as StoreOverlay;
      if (change.op === 'put') store.put(change.key, change.value);
      else if (change.op === 'delete') store.delete(change.key);
      else store.deleteRange(change.gte, change.lt);
    }
  }

  /** The batch's changes: range deletes first, then the final value (or delete) of every written key. */
  changes(): StateChange<ErasedStores>[] {
    const changes: StateChange<ErasedStores>[] = [];
    for (const [store, overlay] of this.stores) {
      for (const { gte, lt } of overlay.ranges) changes.push({ store, op: 'deleteRange', gte, lt });
      for (const [key, value] of overlay.writes) {
        changes.push(value === DELETED ? { store, op: 'delete', key } : { store, op: 'put', key, value });
      }
    }
    return changes;
  }
}
