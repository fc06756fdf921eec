import { isAddress } from 'viem';
import { DAY_MS, parseIsoDay } from '../core/time.ts';
import { GATEWAY_ERROR_CODES, gatewayError } from './errors.ts';

/** Pure parsers behind the custom scalars; each throws a GraphQLError with a stable code. */

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
/** ClickHouse `Date` covers 1970-01-01 .. 2149-06-06. */
const MIN_DAY = '1970-01-01';
const MAX_DAY = '2149-06-06';
const UINT256_MAX = 2n ** 256n - 1n;

/** 0x + 40 hex; all-lowercase, all-uppercase or a valid EIP-55 checksum. Returns lowercase. */
export function parseAddress(value: unknown): string {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidAddress, 'Address must be 0x followed by 40 hex characters');
  }
  const body = value.slice(2);
  const mixedCase = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixedCase && !isAddress(value, { strict: true })) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidAddress, 'Address has mixed case but an invalid EIP-55 checksum');
  }
  return value.toLowerCase();
}

/** An ISO calendar day YYYY-MM-DD that exists, within ClickHouse's Date range. */
export function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !ISO_DAY.test(value)) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidDate, 'Date must be an ISO day, YYYY-MM-DD');
  }
  if (parseIsoDay(value) === undefined) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidDate, 'Date is not a calendar day');
  }
  if (value < MIN_DAY || value > MAX_DAY) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidDate, `Date must be between ${MIN_DAY} and ${MAX_DAY}`);
  }
  return value;
}

/** A base-10 integer string (or a safe JS integer) within signed/unsigned 256 bits. */
export function parseBigInt(value: unknown): bigint {
  let parsed: bigint | undefined;
  if (typeof value === 'string' && INTEGER.test(value) && value.length <= 79) parsed = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) parsed = BigInt(value);
  if (parsed === undefined || parsed > UINT256_MAX || parsed < -(2n ** 255n)) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidBigInt, 'BigInt must be a base-10 integer string within 256 bits');
  }
  return parsed;
}

/** Output of BigInt: always a decimal string, whatever the warehouse sent. */
export function serializeBigInt(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && INTEGER.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new TypeError(`not an integer: ${String(value)}`);
}

/** Exact decimal string (USD amounts, prices); never converted to a float. */
export function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value) || value.length > 100) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidInput, 'Decimal must be a base-10 decimal string');
  }
  return value;
}

/** ClickHouse DateTime64(3, 'UTC') text ('2026-01-02 03:04:05.678') or epoch ms → ISO-8601 UTC. */
export function serializeDateTime(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    const iso = value.includes('T') ? value : `${value.replace(' ', 'T')}Z`;
    const date = new Date(iso);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

export function parseDateTime(value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(value).toISOString();
  }
  throw gatewayError(GATEWAY_ERROR_CODES.invalidInput, 'DateTime must be an ISO-8601 timestamp');
}

/** Days from `from` to `to`, both included. */
export function daySpan(from: string, to: string): number {
  return Math.round((parseIsoDay(to)! - parseIsoDay(from)!) / DAY_MS) + 1;
}

/** Validates that `from` is not after `to` (ISO days compare as text). */
export function checkOrdered(from: string, to: string): void {
  if (from > to) throw gatewayError(GATEWAY_ERROR_CODES.invalidRange, '`from` must not be after `to`');
}

/** Validates an inclusive day range: ordered and at most `maxDays` long. */
export function checkRange(from: string, to: string, maxDays: number): void {
  checkOrdered(from, to);
  if (daySpan(from, to) > maxDays) {
    throw gatewayError(GATEWAY_ERROR_CODES.rangeTooLarge, `range must be at most ${maxDays} days`, { maxDays });
  }
}

export const MAX_FIRST = 500;

/** `first` between 1 and 500; `fallback` when absent. */
export function checkFirst(first: number | null | undefined, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_FIRST) {
    throw gatewayError(GATEWAY_ERROR_CODES.invalidFirst, `first must be between 1 and ${MAX_FIRST}`, { max: MAX_FIRST });
  }
  return value;
}

/** Opaque cursors: base64url of a JSON array tagged with the field they belong to. */
export function encodeCursor(kind: string, parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...parts]), 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, check: (parts: unknown[]) => boolean): unknown[] {
  const invalid = () => gatewayError(GATEWAY_ERROR_CODES.invalidCursor, 'after is not a valid cursor for this field');
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded[0] !== kind) throw invalid();
  const parts = decoded.slice(1);
  if (!check(parts)) throw invalid();
  return parts;
}
