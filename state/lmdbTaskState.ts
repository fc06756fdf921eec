import { mkdirSync, rmSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Entry, KeyRange, KeyValueView, Plain, StateCodec } from './types.ts';
import { StateStoreError } from './errors.ts';
import { inKeyRange } from './key-range.ts';

/**
 * The on-disk state of one task (one processor × one input partition): one LMDB named database per store plus a
 * `__meta` database with the changelog position of each store.
 *
 * Values are stored as the codec's Plain form (msgpack, lmdb-js's default encoding); reads decode them through
 * the codec and keep the decoded value in a bounded cache, since the hot path reads the same window again and
 * again. Writes never happen record by record: the runtime applies a whole committed batch in one LMDB write
 * transaction together with the new changelog offsets, so the store is always the state after some committed
 * batch (Kafka Streams' checkpoint, but atomic with the data instead of a separate file).
 */

const META_DB = '__meta';
const CACHE_LIMIT = 250_000;

/** One store's net changes of a batch: `undefined` deletes the key. */
export type StoreDelta = Map<string, Plain | undefined>;

export interface TaskStateMeta {
  /** Next changelog offset to read per store, i.e. everything before it is applied. */
  readonly changelogOffsets: Readonly<Record<string, number>>;
}

export interface OpenTaskStateParameters {
  readonly path: string;
  /** Store name → codec. */
  readonly stores: Readonly<Record<string, StateCodec<unknown>>>;
  /** Delete what is on disk first (a worker that must restore from the changelog, e.g. in tests). */
  readonly wipe?: boolean;
}

/** A decoded, cached read view over one LMDB database. */
class LmdbStoreView<V> implements KeyValueView<V> {
  private cache = new Map<string, V | undefined>();

  constructor(
    readonly name: string,
    private readonly db: Database<Plain, string>,
    private readonly codec: StateCodec<V>,
  ) {}

  get(key: string): V | undefined {
    if (this.cache.has(key)) return this.cache.get(key);
    const plain = this.db.get(key);
    const value = plain === undefined ? undefined : this.codec.decode(plain, key);
    if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
    this.cache.set(key, value);
    return value;
  }

  *range(range: KeyRange): Iterable<Entry<V>> {
    const limit = range.limit ?? Infinity;
    if (limit <= 0) return;
    const reverse = range.reverse === true;
    const lower = range.gte ?? range.gt;
    const upper = range.lte ?? range.lt;
    // lmdb-js: forward scans start at `start` (inclusive) and stop before `end`; reverse scans start at `start`
    // going down. Bounds are re-checked per key, so inclusive/exclusive variants only need a safe superset.
    const options = reverse ? { start: upper, reverse: true } : { start: lower };
    let n = 0;
    for (const { key, value } of this.db.getRange(options)) {
      if (!reverse && upper !== undefined && (range.lt !== undefined ? key >= range.lt : key > upper)) return;
      if (reverse && lower !== undefined && (range.gt !== undefined ? key <= range.gt : key < lower)) return;
      if (!inKeyRange(key, range)) continue;
      const cached = this.cache.get(key);
      yield [key, cached !== undefined ? cached : this.codec.decode(value, key)];
      if (++n >= limit) return;
    }
  }

  /** Keeps the cache coherent with a committed batch. */
  noteCommitted(delta: StoreDelta): void {
    for (const [key, plain] of delta) {
      if (plain === undefined) this.cache.set(key, undefined);
      else this.cache.delete(key); // decoded lazily on the next read
    }
  }

  clearCache(): void {
    this.cache = new Map();
  }
}

export class LmdbTaskState {
  private readonly root: RootDatabase<Plain, string>;
  private readonly meta: Database<Plain, string>;
  private readonly dbs = new Map<string, Database<Plain, string>>();
  private readonly views = new Map<string, LmdbStoreView<unknown>>();

  private constructor(readonly params: OpenTaskStateParameters) {
    if (params.wipe === true) rmSync(params.path, { recursive: true, force: true });
    mkdirSync(params.path, { recursive: true });
    try {
      this.root = open<Plain, string>({ path: params.path, maxDbs: 64, compression: false });
    } catch (cause) {
      throw new StateStoreError(`cannot open LMDB state at ${params.path}`, { path: params.path }, { cause });
    }
    this.meta = this.root.openDB<Plain, string>({ name: META_DB });
    for (const [name, codec] of Object.entries(params.stores)) {
      const db = this.root.openDB<Plain, string>({ name });
      this.dbs.set(name, db);
      this.views.set(name, new LmdbStoreView(name, db, codec));
    }
  }

  static open(params: OpenTaskStateParameters): LmdbTaskState {
    return new LmdbTaskState(params);
  }

  get path(): string {
    return this.params.path;
  }

  view<V>(store: string): KeyValueView<V> {
    const view = this.views.get(store);
    if (view === undefined) throw new StateStoreError(`unknown store ${store}`, { store, path: this.path });
    return view as KeyValueView<V>;
  }

  /** Keys of `store` in [gte, lt), as committed. */
  keysInRange(store: string, gte: string, lt: string): string[] {
    const db = this.db(store);
    const keys: string[] = [];
    for (const key of db.getKeys({ start: gte, end: lt })) keys.push(key);
    return keys;
  }

  changelogOffset(store: string): number | undefined {
    const value = this.meta.get(`changelog:${store}`);
    return typeof value === 'number' ? value : undefined;
  }

  /** Number of entries in a store (restore progress, tests). */
  count(store: string): number {
    return this.db(store).getCount();
  }

  /**
   * Applies one committed batch: every store delta and the new changelog offsets, in one LMDB write transaction.
   * A crash leaves either the old or the new state, both consistent with their recorded offsets.
   */
  commit(deltas: ReadonlyMap<string, StoreDelta>, changelogOffsets: Readonly<Record<string, number>>): void {
    this.root.transactionSync(() => {
      for (const [store, delta] of deltas) {
        const db = this.db(store);
        for (const [key, plain] of delta) {
          if (plain === undefined) db.removeSync(key);
          else db.putSync(key, plain);
        }
      }
      for (const [store, offset] of Object.entries(changelogOffsets)) this.meta.putSync(`changelog:${store}`, offset);
    });
    for (const [store, delta] of deltas) this.views.get(store)?.noteCommitted(delta);
  }

  /** Writes restored changelog records of one store (raw Plain values) and its new offset, in one transaction. */
  applyRestored(store: string, records: readonly (readonly [string, Plain | undefined])[], nextOffset: number): void {
    const db = this.db(store);
    this.root.transactionSync(() => {
      for (const [key, plain] of records) {
        if (plain === undefined) db.removeSync(key);
        else db.putSync(key, plain);
      }
      this.meta.putSync(`changelog:${store}`, nextOffset);
    });
    this.views.get(store)?.clearCache();
  }

  /** Drops a store's content and offset: its changelog no longer matches (e.g. it was deleted and recreated). */
  resetStore(store: string): void {
    const db = this.db(store);
    this.root.transactionSync(() => {
      db.clearSync();
      this.meta.removeSync(`changelog:${store}`);
    });
    this.views.get(store)?.clearCache();
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  private db(store: string): Database<Plain, string> {
    const db = this.dbs.get(store);
    if (db === undefined) throw new StateStoreError(`unknown store ${store}`, { store, path: this.path });
    return db;
  }
}
