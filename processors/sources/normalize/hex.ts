/**
 * Strict readers of JSON-RPC hex fields. Each checks the shape and lowercases, so a
 * record never carries mixed-case or truncated hex, and a quantity never passes
 * through a JS number unless it is known to fit.
 */
import { InvalidRpcDataError } from './errors.ts';
import type { Hex } from './records.ts';

// Hand-rolled scans instead of regexes: a mainnet block has ~3 000 hex fields, and
// one pass both validates and tells whether lowercasing (an allocation) is needed.
const INVALID = 0;
const LOWER = 1;
const MIXED = 2;

/** Scans v[2..] for hex digits: INVALID, LOWER (already lowercase) or MIXED (has A-F). */
function scanHex(v: string): number {
  if (v.charCodeAt(0) !== 48 || (v.charCodeAt(1) | 0x20) !== 120) return INVALID; // "0x" / "0X"
  let result = v.charCodeAt(1) === 120 ? LOWER : MIXED;
  for (let i = 2; i < v.length; i += 1) {
    const c = v.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) result = MIXED;
    else return INVALID;
  }
  return result;
}

function lowerHex(v: unknown, check: (length: number) => boolean, what: string, field: string): Hex {
  if (typeof v !== 'string' || !check(v.length)) throw new InvalidRpcDataError(what, field, v);
  const scan = scanHex(v);
  if (scan === INVALID) throw new InvalidRpcDataError(what, field, v);
  return (scan === LOWER ? v : v.toLowerCase()) as Hex;
}

const isQuantityLength = (n: number) => n > 2 && n <= 66;
const isDataLength = (n: number) => n >= 2 && n % 2 === 0;
const isHashLength = (n: number) => n === 66;
const isAddressLength = (n: number) => n === 42;

/** A JSON object whose fields are read one by one with the readers below. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidRpcDataError(what, '(object)', value);
  return value as JsonObject;
}

export function asArray(value: unknown, what: string, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidRpcDataError(what, field, value);
  return value;
}

export function quantity(o: JsonObject, field: string, what: string): bigint {
  return BigInt(lowerHex(o[field], isQuantityLength, what, field));
}

export function optionalQuantity(o: JsonObject, field: string, what: string): bigint | null {
  return o[field] === undefined || o[field] === null ? null : quantity(o, field, what);
}

/** A quantity that must fit a JS number exactly (block numbers, indexes, sizes). */
export function smallQuantity(o: JsonObject, field: string, what: string): number {
  // At most 13 hex digits: below 2^53, exact as a JS number.
  return Number.parseInt(
    lowerHex(o[field], (n) => n > 2 && n <= 15, what, field),
    16,
  );
}

export function optionalSmallQuantity(o: JsonObject, field: string, what: string): number | null {
  return o[field] === undefined || o[field] === null ? null : smallQuantity(o, field, what);
}

export function data(o: JsonObject, field: string, what: string): Hex {
  return lowerHex(o[field], isDataLength, what, field);
}

export function optionalData(o: JsonObject, field: string, what: string): Hex | null {
  return o[field] === undefined || o[field] === null ? null : data(o, field, what);
}

export function hash(o: JsonObject, field: string, what: string): Hex {
  return lowerHex(o[field], isHashLength, what, field);
}

/** A 32-byte hash given directly (topics). */
export function hashValue(v: unknown, what: string, field: string): Hex {
  return lowerHex(v, isHashLength, what, field);
}

export function optionalHash(o: JsonObject, field: string, what: string): Hex | null {
  return o[field] === undefined || o[field] === null ? null : hash(o, field, what);
}

export function address(o: JsonObject, field: string, what: string): Hex {
  return lowerHex(o[field], isAddressLength, what, field);
}

export function optionalAddress(o: JsonObject, field: string, what: string): Hex | null {
  return o[field] === undefined || o[field] === null ? null : address(o, field, what);
}

/** `0x`-hex of a non-negative integer, as JSON-RPC wants block numbers. */
export function toQuantity(n: number | bigint): Hex {
  return `0x${n.toString(16)}`;
}

/** True when a 256-byte bloom has no bit set: the block (or receipt) has no logs. */
export function isEmptyBloom(bloom: Hex): boolean {
  return /^0x0*$/.test(bloom);
}
