import { mkdirSync, rmSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkpointOfPlain, checkpointToPlain, type StoreCheckpoint } from './checkpoint.ts';
import { decodeStateValue, forEachEntry, type CheckpointRecordKey, type StoreDelta } from './checkpoint-format.ts';
import type { Entry, KeyRange, KeyValueView, Plain, StateCodec } from './types.ts';
import { StateStoreError } from './errors.ts';
import { inKeyRange } from './key-range.ts';
import { currentBootId, lostUnflushedCommits, markFlushed, markUnflushed } from './unsynced-state.ts';

export type { StoreDelta } from './checkpoint-format.ts';

/**
 * The on-disk state of one task (one processor × one input partition): one LMDB named database per store plus a
 * `__meta` database with the task's changelog position and each store's checkpoint (ADR 0019).
 *
 * Values are stored as the bytes the changelog carries (msgpack of the codec's Plain form), so a commit encodes a
 * value once for both and a restore writes the changelog's bytes without decoding them. Reads decode through the
 * codec and keep the decoded value in a bounded cache, since the hot path reads the same window again and again.
 * Writes never happen record by record: the runtime applies a whole committed batch in one LMDB write transaction
 * together with the new changelog position, so the store is always the state after some committed batch (Kafka
 * Streams' checkpoint, but atomic with the data instead of a separate file). Commits go through a writable map and
 * are not flushed to disk one by one: a process crash loses none of them, a machine crash wipes the state for a restore
 * from the changelog (ADR 0028, unsynced-state.ts).
 */

const META_DB = '__meta';
const CACHE_LIMIT = 250_000;
/** Layout of the stores' values; a disk written in another layout is wiped and restored from the changelog. */
const STATE_FORMAT = 2;
const FORMAT_KEY = 'format';
const OFFSET_KEY = 'changelog:offset';
const checkpointKey = (store: string): string => `checkpoint:${store}`;

export interface OpenTaskStateParameters {
  readonly path: string;
  /** Store name → codec. */
  readonly stores: Readonly<Record<string, StateCodec<unknown>>>;
  /** Delete what is on disk first (a worker that must restore from the changelog, e.g. in tests). */
  readonly wipe?: boolean;
  /**
   * The kernel's boot id (default: read from /proc; null where the platform has none). With one, commits are not
   * flushed to disk and a state left unflushed by an earlier boot is wiped (ADR 0028); without, every commit is.
   */
  readonly bootId?: string | null;
}

/**
 * How the environment writes (ADR 0028). Always through a writable map: LMDB then changes pages in place instead of
 * copying every page a transaction touches into a buffer and writing it out at commit (a commit of 40 k random puts
 * into 1.2 M keys cost ~4× the CPU without). Flushing is left to the kernel where a restart can be detected.
 */
function writeModeOf(bootId: string | undefined): { useWritemap: true; noSync: boolean } {
  return { useWritemap: true, noSync: bootId !== undefined };
}

/** What a commit or a restored batch moves the changelog position to. */
export interface ChangelogPosition {
  /** Next offset to read in the task's changelog partition. */
  readonly offset: number;
  /** The checkpoints of the stores whose records this batch wrote. */
  readonly checkpoints: ReadonlyMap<string, StoreCheckpoint>;
}

/** A changelog record read by a restore, to apply to its store. */
export interface RestoredRecord {
  readonly key: CheckpointRecordKey;
  readonly value: Buffer;
}

type BytesDatabase = Database<Buffer, string>;

/** `mdb_env_sync(force)` in the background (lmdb-js has it on the root, outside its type declarations). */
function flush(root: RootDatabase<Plain, string>): Promise<void> {
  const env = root as unknown as { sync(callback: (error?: Error | null) => void): void };
  return new Promise((resolve, reject) => env.sync((error) => (error ? reject(error) : resolve())));
}

/** A decoded, cached read view over one LMDB database. */
class LmdbStoreView<V> implements KeyValueView<V> {
  private cache = new Map<string, V | undefined>();

  constructor(
    readonly name: string,
    private readonly db: BytesDatabase,
    private readonly codec: StateCodec<V>,
  ) {}

  get(key: string): V | undefined {
    if (this.cache.has(key)) return this.cache.get(key);
    const bytes = this.db.get(key);
    const value = bytes === undefined ? undefined : this.codec.decode(decodeStateValue(bytes), key);
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
      yield [key, cached !== undefined ? cached : this.codec.decode(decodeStateValue(value), key)];
      if (++n >= limit) return;
    }
  }

  /** Keeps the cache coherent with a committed batch. */
  noteCommitted(delta: StoreDelta): void {
    for (const [key, bytes] of delta) {
      if (bytes === undefined) this.cache.set(key, undefined);
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
  private readonly dbs = new Map<string, BytesDatabase>();
  private readonly views = new Map<string, LmdbStoreView<unknown>>();
  /** The boot whose commits may be unflushed (undefined: every commit is flushed). */
  private readonly bootId: string | undefined;
  /** The state on disk was dropped when opening: the machine restarted before its last commits were flushed. */
  readonly wipedAfterRestart: boolean;

  private constructor(readonly params: OpenTaskStateParameters) {
    this.bootId = params.bootId === undefined ? currentBootId() : (params.bootId ?? undefined);
    const lost = this.bootId !== undefined && lostUnflushedCommits(params.path, this.bootId);
    if (params.wipe === true || lost) rmSync(params.path, { recursive: true, force: true });
    this.wipedAfterRestart = lost && params.wipe !== true;
    mkdirSync(params.path, { recursive: true });
    if (this.bootId !== undefined) markUnflushed(params.path, this.bootId);
    try {
      this.root = open<Plain, string>({ path: params.path, maxDbs: 64, compression: false, ...writeModeOf(this.bootId) });
    } catch (cause) {
      throw new StateStoreError(`cannot open LMDB state at ${params.path}`, { path: params.path }, { cause });
    }
    this.meta = this.root.openDB<Plain, string>({ name: META_DB });
    for (const [name, codec] of Object.entries(params.stores)) {
      const db = this.root.openDB<Buffer, string>({ name, encoding: 'binary' });
      this.dbs.set(name, db);
      this.views.set(name, new LmdbStoreView(name, db, codec));
    }
    if (this.meta.get(FORMAT_KEY) !== STATE_FORMAT) this.resetAll();
  }

  static open(params: OpenTaskStateParameters): LmdbTaskState {
    return new LmdbTaskState(params);
  }

  get path(): string {
    return this.params.path;
  }

  get storeNames(): string[] {
    return [...this.dbs.keys()];
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

  /** Whether the committed state of `store` holds `key`. */
  has(store: string, key: string): boolean {
    return this.db(store).doesExist(key);
  }

  /** Every committed entry of a store as the changelog's value bytes, in key order (a snapshot's content). */
  *entries(store: string): Iterable<readonly [string, Buffer]> {
    for (const { key, value } of this.db(store).getRange()) yield [key, value];
  }

  /** Next offset to read in the task's changelog partition (undefined: nothing applied yet). */
  changelogOffset(): number | undefined {
    const value = this.meta.get(OFFSET_KEY);
    return typeof value === 'number' ? value : undefined;
  }

  checkpointOf(store: string): StoreCheckpoint {
    return checkpointOfPlain(this.meta.get(checkpointKey(store)));
  }

  /** Number of entries in a store (restore progress, tests). */
  count(store: string): number {
    return this.db(store).getCount();
  }

  /**
   * Applies one committed batch: every store delta, the stores' checkpoints and the changelog position, in one LMDB
   * write transaction. A crash leaves either the old or the new state, both consistent with their recorded position.
   */
  commit(deltas: ReadonlyMap<string, StoreDelta>, position: ChangelogPosition | undefined): void {
    this.root.transactionSync(() => {
      for (const [store, delta] of deltas) {
        const db = this.db(store);
        for (const [key, bytes] of delta) {
          if (bytes === undefined) db.removeSync(key);
          else db.putSync(key, bytes);
        }
      }
      if (position !== undefined) this.putPosition(position);
    });
    for (const [store, delta] of deltas) this.views.get(store)?.noteCommitted(delta);
  }

  /**
   * Applies changelog records read by a restore, in offset order, and the position after them, in one transaction.
   * A snapshot's first part empties its store first. Returns the number of entries written.
   */
  applyRestored(records: readonly RestoredRecord[], position: ChangelogPosition): number {
    let entries = 0;
    this.root.transactionSync(() => {
      for (const { key, value } of records) {
        const db = this.db(key.store);
        if (key.kind === 'snapshot' && key.seq === 0) db.clearSync();
        entries += forEachEntry(value, (entryKey, bytes) => {
          if (bytes === undefined) db.removeSync(entryKey);
          else db.putSync(entryKey, bytes);
        });
      }
      this.putPosition(position);
    });
    for (const view of this.views.values()) view.clearCache();
    return entries;
  }

  /** Drops every store and the changelog position: the disk does not match the changelog (or its layout is old). */
  resetAll(): void {
    this.root.transactionSync(() => {
      for (const db of this.dbs.values()) db.clearSync();
      this.meta.clearSync();
      this.meta.putSync(FORMAT_KEY, STATE_FORMAT);
    });
    for (const view of this.views.values()) view.clearCache();
  }

  /** Flushes every commit to disk (and says so in the marker, so a restart keeps the state), then closes. */
  async close(): Promise<void> {
    if (this.bootId !== undefined) {
      await flush(this.root);
      markFlushed(this.path, this.bootId);
    }
    await this.root.close();
  }

  private putPosition(position: ChangelogPosition): void {
    for (const [store, checkpoint] of position.checkpoints)
      this.meta.putSync(checkpointKey(store), checkpointToPlain(checkpoint));
    this.meta.putSync(OFFSET_KEY, position.offset);
  }

  private db(store: string): BytesDatabase {
    const db = this.dbs.get(store);
    if (db === undefined) throw new StateStoreError(`unknown store ${store}`, { store, path: this.path });
    return db;
  }
}
