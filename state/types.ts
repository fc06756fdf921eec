/**
 * The state-store contract shared by processors (which read views and return changes) and the stores that hold
 * the data (LMDB here, in-memory in tests). Keys are strings ordered by code unit (for the ASCII keys we use, the
 * same order as LMDB's byte order), so range scans behave identically in memory and on disk.
 */

/** A value that JSON and msgpack both carry losslessly. Bigints are not Plain: codecs turn them into strings. */
export type Plain = null | boolean | number | string | readonly Plain[] | { readonly [key: string]: Plain };

/** Turns a store's in-memory value into a Plain one and back; the runtime serialises Plain values (msgpack in LMDB). */
export interface StateCodec<V> {
  encode(value: V): Plain;
  decode(plain: Plain, key: string): V;
}

/** Bounds of a key range scan; lower bound `gte`/`gt`, upper bound `lte`/`lt`. Missing bounds are open. */
export interface KeyRange {
  readonly gte?: string;
  readonly gt?: string;
  readonly lte?: string;
  readonly lt?: string;
  /** Descending key order. */
  readonly reverse?: boolean;
  readonly limit?: number;
}

export type Entry<V> = readonly [key: string, value: V];

/** Read view of one key-value store (Kafka Streams' ReadOnlyKeyValueStore). */
export interface KeyValueView<V> {
  get(key: string): V | undefined;
  /** Entries in key order (descending with `reverse`). */
  range(range: KeyRange): Iterable<Entry<V>>;
}
