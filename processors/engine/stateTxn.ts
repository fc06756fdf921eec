import type { OutputRecord, ProcessResult } from './processor.ts';
import type { Entry, KeyRange, StateChange, StateView, StoreValues } from './state.ts';
import { inKeyRange } from '../../state/key-range.ts';

/** Marks a pending delete. */
const DELETED: unique symbol = Symbol('deleted');
/** Marks a pending write cancelled by a later range delete (the range then decides). */
const DROPPED: unique symbol = Symbol('dropped');
/** Beyond this many pending writes, lookups go through per-store Map indexes instead of a linear scan. */
const INDEX_THRESHOLD = 16;

/**
 * A processor's scratchpad for one `process` call: reads fall through to the view, writes are buffered and read
 * back (read-your-writes), and `result()` turns the buffer into the state changes and outputs to return.
 * It keeps the processor pure: nothing reaches a store until the runtime applies the result.
 *
 * Pending writes live in flat parallel arrays in write order (a record writes a handful of keys; no Map per
 * store per record), indexed by one Map per store (key → position, no key concatenation) once a call writes many
 * keys (closing a window, emitting coalesced updates).
 */
export class StateTxn<S extends StoreValues, Out> {
  private readonly stores: (keyof S & string)[] = [];
  private readonly keys: string[] = [];
  private readonly values: unknown[] = [];
  /** Per store: key → position in the arrays; built past INDEX_THRESHOLD writes. */
  private index: Map<string, Map<string, number>> | undefined;
  private readonly ranges: { store: keyof S & string; gte: string; lt: string }[] = [];
  private readonly outputs: OutputRecord<Out>[] = [];

  constructor(private readonly view: StateView<S>) {}

  get<N extends keyof S & string>(store: N, key: string): S[N] | undefined {
    if (this.keys.length > 0) {
      const i = this.find(store, key);
      if (i >= 0) {
        const value = this.values[i];
        if (value === DELETED) return undefined;
        if (value !== DROPPED) return value as S[N];
      }
      if (this.ranges.length > 0 && this.deletedByRange(store, key)) return undefined;
    } else if (this.ranges.length > 0 && this.deletedByRange(store, key)) return undefined;
    return this.view[store].get(key);
  }

  put<N extends keyof S & string>(store: N, key: string, value: S[N]): void {
    this.write(store, key, value);
  }

  delete<N extends keyof S & string>(store: N, key: string): void {
    this.write(store, key, DELETED);
  }

  /** Deletes [gte, lt), including keys written earlier in this transaction. */
  deleteRange<N extends keyof S & string>(store: N, gte: string, lt: string): void {
    if (this.index !== undefined) {
      const own = this.index.get(store);
      if (own !== undefined) for (const [key, i] of own) if (key >= gte && key < lt) this.values[i] = DROPPED;
    } else {
      for (let i = 0; i < this.keys.length; i++) {
        const key = this.keys[i] as string;
        if (this.stores[i] === store && key >= gte && key < lt) this.values[i] = DROPPED;
      }
    }
    this.ranges.push({ store, gte, lt });
  }

  /** Range scan over the view merged with this transaction's writes. */
  *range<N extends keyof S & string>(store: N, range: KeyRange): Iterable<Entry<S[N]>> {
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const extra: string[] = [];
    if (this.index !== undefined) {
      const own = this.index.get(store);
      if (own !== undefined) for (const key of own.keys()) if (inKeyRange(key, range)) extra.push(key);
    } else {
      for (let i = 0; i < this.keys.length; i++)
        if (this.stores[i] === store && inKeyRange(this.keys[i] as string, range)) extra.push(this.keys[i] as string);
    }
    let hasRanges = false;
    for (const r of this.ranges) if (r.store === store) hasRanges = true;
    if (extra.length === 0 && !hasRanges) {
      yield* this.view[store].range(range);
      return;
    }
    const base = this.view[store].range({ ...range, limit: undefined });
    const reverse = range.reverse === true;
    extra.sort();
    if (reverse) extra.reverse();
    const before = (a: string, b: string): boolean => (reverse ? a > b : a < b);
    const pendingValue = (key: string): S[N] | undefined => {
      const value = this.values[this.find(store, key)];
      return value === DELETED || value === DROPPED ? undefined : (value as S[N]);
    };
    let i = 0;
    let n = 0;
    for (const [key, value] of base) {
      while (i < extra.length && before(extra[i] as string, key)) {
        const k = extra[i++] as string;
        const v = pendingValue(k);
        if (v !== undefined) {
          yield [k, v];
          if (++n >= limit) return;
        }
      }
      if (i < extra.length && extra[i] === key) i++;
      const own = this.find(store, key);
      const v =
        own >= 0 && this.values[own] !== DROPPED
          ? pendingValue(key)
          : hasRanges && this.deletedByRange(store, key)
            ? undefined
            : value;
      if (v !== undefined) {
        yield [key, v];
        if (++n >= limit) return;
      }
    }
    for (; i < extra.length; i++) {
      const k = extra[i] as string;
      const v = pendingValue(k);
      if (v !== undefined) {
        yield [k, v];
        if (++n >= limit) return;
      }
    }
  }

  emit(topic: string, key: string, value: Out): void {
    this.outputs.push({ topic, key, value });
  }

  /** The coalesced changes (range deletes first, then the last write per key) and the outputs, in emit order. */
  result(): ProcessResult<S, Out> {
    const changes: StateChange<S>[] = [];
    for (const { store, gte, lt } of this.ranges) changes.push({ store, op: 'deleteRange', gte, lt } as StateChange<S>);
    for (let i = 0; i < this.keys.length; i++) {
      const value = this.values[i];
      if (value === DROPPED) continue;
      const store = this.stores[i] as keyof S & string;
      const key = this.keys[i] as string;
      changes.push((value === DELETED ? { store, op: 'delete', key } : { store, op: 'put', key, value }) as StateChange<S>);
    }
    return { stateChanges: changes, outputs: this.outputs };
  }

  private find(store: string, key: string): number {
    if (this.index !== undefined) return this.index.get(store)?.get(key) ?? -1;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] === key && this.stores[i] === store) return i;
    return -1;
  }

  private write(store: keyof S & string, key: string, value: unknown): void {
    const i = this.find(store, key);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    this.stores.push(store);
    this.keys.push(key);
    this.values.push(value);
    if (this.index !== undefined) this.indexOf(store).set(key, this.keys.length - 1);
    else if (this.keys.length > INDEX_THRESHOLD) {
      this.index = new Map();
      for (let j = 0; j < this.keys.length; j++) this.indexOf(this.stores[j] as string).set(this.keys[j] as string, j);
    }
  }

  private indexOf(store: string): Map<string, number> {
    const index = this.index as Map<string, Map<string, number>>;
    let own = index.get(store);
    if (own === undefined) {
      own = new Map();
      index.set(store, own);
    }
    return own;
  }

  private deletedByRange(store: string, key: string): boolean {
    for (const r of this.ranges) if (r.store === store && key >= r.gte && key < r.lt) return true;
    return false;
  }
}
