import { StateSerdeError } from './errors.ts';

/**
 * The processor's side of state: read-only views, declared stores and the changes a processor returns.
 * Stores are key → value maps with string keys ordered by UTF-16 code unit (for the ASCII keys we use, the same
 * order as LMDB's byte order), so range scans behave identically in memory and on disk.
 */

export type { Entry, KeyRange, KeyValueView, Plain, StateCodec } from '../../state/types.ts';
import type { KeyValueView, Plain, StateCodec } from '../../state/types.ts';

/** Value type of each store a processor declares, by store name. */
export type StoreValues = Record<string, unknown>;

/** What a processor sees: one read-only view per declared store. */
export type StateView<S extends StoreValues> = { readonly [N in keyof S]: KeyValueView<S[N]> };

export type PutChange<N extends string, V> = { readonly store: N; readonly op: 'put'; readonly key: string; readonly value: V };
export type DeleteChange<N extends string> = { readonly store: N; readonly op: 'delete'; readonly key: string };
/** Deletes every key in [gte, lt): how old windows leave a store in one operation. */
export type DeleteRangeChange<N extends string> = {
  readonly store: N;
  readonly op: 'deleteRange';
  readonly gte: string;
  readonly lt: string;
};

/** One change to one store. A processor returns a list of these; the runtime applies them atomically with its outputs. */
export type StateChange<S extends StoreValues> = {
  [N in keyof S & string]: PutChange<N, S[N]> | DeleteChange<N> | DeleteRangeChange<N>;
}[keyof S & string];

/** Declaration of a store: its codec and how its keys group into time segments. */
export interface StoreSpec<V> {
  readonly codec: StateCodec<V>;
  /**
   * Number of leading key characters that name the key's time segment (the window start for window stores, see
   * windowKey.ts). The in-memory store (test driver, backfills) sorts each segment on its own, so closing a day
   * sorts that day only; LMDB ignores it. 0 = none.
   */
  readonly segmentPrefixLength?: number;
  /** What the store holds, in one line (for readers of the processor; nothing reads it at run time). */
  readonly doc: string;
  /**
   * Kept in the task's memory only: changed through the same transactions, but never written to LMDB or the
   * changelog, and empty when a task opens (after a restart, a crash or a move). For what a processor can rebuild
   * from its other stores (the aggregates' pending-update marks, rebuilt from their windows' `pending` flags).
   */
  readonly volatile?: boolean;
}

export type StoreSpecs<S extends StoreValues> = { readonly [N in keyof S]: StoreSpec<S[N]> };

// ---- codec helpers: bigint handling is explicit, never implicit ----

/** A bigint as its decimal string (exact for any width, sortable only by length+value, which state never needs). */
export function bigintToPlain(value: bigint): string {
  return value.toString();
}

/** Reads a bigint written by {@link bigintToPlain} or {@link bigintToCompactPlain}. */
export function plainToBigint(plain: Plain | undefined, store: string, key: string): bigint {
  if (typeof plain === 'number' && Number.isSafeInteger(plain)) return BigInt(plain);
  if (typeof plain !== 'string' || !/^-?[0-9]+$/.test(plain))
    throw new StateSerdeError(store, key, `expected a decimal bigint string or a safe integer`);
  return BigInt(plain);
}

/**
 * A bigint as compactly as msgpack carries it exactly: a number while it is a safe integer (most raw sums, counts of
 * base units, zero USD), else its decimal string. {@link plainToBigint} reads both.
 */
export function bigintToCompactPlain(value: bigint): number | string {
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function plainToNumber(plain: Plain | undefined, store: string, key: string): number {
  if (typeof plain !== 'number' || !Number.isFinite(plain)) throw new StateSerdeError(store, key, `expected a finite number`);
  return plain;
}

export function plainToString(plain: Plain | undefined, store: string, key: string): string {
  if (typeof plain !== 'string') throw new StateSerdeError(store, key, `expected a string`);
  return plain;
}

export function plainToNullableString(plain: Plain | undefined, store: string, key: string): string | null {
  return plain === null ? null : plainToString(plain, store, key);
}

export function plainToNullableNumber(plain: Plain | undefined, store: string, key: string): number | null {
  return plain === null ? null : plainToNumber(plain, store, key);
}

export function plainToBoolean(plain: Plain | undefined, store: string, key: string): boolean {
  if (typeof plain !== 'boolean') throw new StateSerdeError(store, key, `expected a boolean`);
  return plain;
}

/** The layout tag that starts a positional entry (ADR 0026): `[POSITIONAL_LAYOUT, …fields]`. */
export const POSITIONAL_LAYOUT = 1;

/** Throws unless `plain` is a positional entry `[POSITIONAL_LAYOUT, …fields]` with exactly `fields` fields. */
export function assertPositional(plain: readonly Plain[], fields: number, store: string, key: string): void {
  if (plain.length !== fields + 1 || plain[0] !== POSITIONAL_LAYOUT)
    throw new StateSerdeError(store, key, `expected [${POSITIONAL_LAYOUT}, …${fields} fields]`);
}

/** The object behind a Plain value, for codecs that read fields. */
export function plainObject(plain: Plain, store: string, key: string): { readonly [key: string]: Plain } {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain))
    throw new StateSerdeError(store, key, 'expected an object');
  return plain as { readonly [key: string]: Plain };
}

/** Codec for a store of plain finite numbers (counters, multiset counts). */
export function numberCodec(store: string): StateCodec<number> {
  return { encode: (value) => value, decode: (plain, key) => plainToNumber(plain, store, key) };
}

/** Codec for a store of bigints. */
export function bigintCodec(store: string): StateCodec<bigint> {
  return { encode: bigintToPlain, decode: (plain, key) => plainToBigint(plain, store, key) };
}
