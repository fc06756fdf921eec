import { StateKeyError } from './errors.ts';

/**
 * Physical key layout of window stores: `windowStart ‖ '|' ‖ key [‖ '|' ‖ sub]`.
 *
 * `windowStart` is epoch milliseconds as 12 lowercase hex digits: a fixed-width big-endian rendering, so string
 * order is time order (12 hex digits last until the year 10889). Kafka Streams lays a window store out as
 * segments of time, and within a segment `key ‖ windowStart` (WindowKeySchema). With daily tumbling windows a
 * segment holds exactly one window, so segment ‖ key ‖ windowStart collapses to windowStart ‖ key:
 * - dropping every window older than T is one range delete [min, hex(T));
 * - closing a window is one prefix scan of its segment, every key of the window in key order;
 * - a key's sub-entries in a window form one contiguous range (`subEntryRange`).
 * `sub` carries per-window detail rows (USD buckets, multiset members) under the same prefix, so they are range-
 * deleted with the window.
 */

export const WINDOW_START_HEX_DIGITS = 12;
const MAX_WINDOW_START = 16 ** WINDOW_START_HEX_DIGITS - 1;
export const KEY_SEPARATOR = '|';
/** The character right after the separator: `prefix|` … `prefix}` bounds every key that starts with `prefix|`. */
const AFTER_SEPARATOR = '}';

let _flatSink = 0;

/**
 * Returns `s` after making V8 store it flat. A concatenation is kept as a rope (ConsString) until something reads
 * its characters; a Map probe with a rope key costs about 1.5–2× one with a flat key on this workload (measured:
 * 200k 170-character keys, get + set), and state keys are built by concatenation and then probed several times.
 * Reading one character flattens the rope in place; the sink keeps the read from being optimised away.
 */
export function flat(s: string): string {
  _flatSink ^= s.charCodeAt(0);
  return s;
}

let lastStart = -1;
let lastHex = '';

/** Epoch ms → 12 hex digits (memoised for the last value: consecutive records nearly always share a window). */
export function encodeWindowStart(windowStartMs: number): string {
  if (windowStartMs === lastStart) return lastHex;
  if (!Number.isSafeInteger(windowStartMs) || windowStartMs < 0 || windowStartMs > MAX_WINDOW_START) {
    throw new StateKeyError(String(windowStartMs), 'window start must be an integer number of ms in [0, 16^12)');
  }
  lastStart = windowStartMs;
  lastHex = windowStartMs.toString(16).padStart(WINDOW_START_HEX_DIGITS, '0');
  return lastHex;
}

let lastDecodedHex = '';
let lastDecodedStart = -1;

/** 12 hex digits → epoch ms (memoised for the last value: window keys come in runs of one window). */
export function decodeWindowStart(hex: string): number {
  if (hex === lastDecodedHex) return lastDecodedStart;
  if (hex.length !== WINDOW_START_HEX_DIGITS || !/^[0-9a-f]+$/.test(hex)) throw new StateKeyError(hex, 'not a window start');
  lastDecodedStart = parseInt(hex, 16);
  lastDecodedHex = hex;
  return lastDecodedStart;
}

/** Throws if a logical key could break the layout (it must not contain the separator). */
export function assertLogicalKey(key: string): void {
  if (key.length === 0 || key.includes(KEY_SEPARATOR))
    throw new StateKeyError(key, `must be non-empty and contain no '${KEY_SEPARATOR}'`);
}

/** Physical key of (window, key) or of a sub-entry (window, key, sub). */
export function encodeWindowKey(windowStartMs: number, key: string, sub?: string): string {
  const base = encodeWindowStart(windowStartMs) + KEY_SEPARATOR + key;
  return flat(sub === undefined ? base : base + KEY_SEPARATOR + sub);
}

export interface DecodedWindowKey {
  readonly windowStartMs: number;
  readonly key: string;
  readonly sub: string | undefined;
}

export function decodeWindowKey(physical: string): DecodedWindowKey {
  const first = physical.indexOf(KEY_SEPARATOR);
  if (first !== WINDOW_START_HEX_DIGITS) throw new StateKeyError(physical, 'not a window key');
  const windowStartMs = decodeWindowStart(physical.slice(0, first));
  const second = physical.indexOf(KEY_SEPARATOR, first + 1);
  return second < 0
    ? { windowStartMs, key: physical.slice(first + 1), sub: undefined }
    : { windowStartMs, key: physical.slice(first + 1, second), sub: physical.slice(second + 1) };
}

/** Every physical key of one window. */
export function windowRange(windowStartMs: number): { gte: string; lt: string } {
  const hex = encodeWindowStart(windowStartMs);
  return { gte: hex + KEY_SEPARATOR, lt: hex + AFTER_SEPARATOR };
}

/** Every sub-entry of (window, key), excluding the (window, key) entry itself. */
export function subEntryRange(windowStartMs: number, key: string): { gte: string; lt: string } {
  const base = encodeWindowKey(windowStartMs, key);
  return { gte: base + KEY_SEPARATOR, lt: base + AFTER_SEPARATOR };
}

let lastTime = -1;
let lastTimeHex = '';

/** Any epoch-ms time as 12 hex digits (sub-entry keys such as per-timestamp buckets); separately memoised. */
export function encodeTimeHex(timeMs: number): string {
  if (timeMs === lastTime) return lastTimeHex;
  if (!Number.isSafeInteger(timeMs) || timeMs < 0 || timeMs > MAX_WINDOW_START)
    throw new StateKeyError(String(timeMs), 'time must be an integer number of ms in [0, 16^12)');
  lastTime = timeMs;
  lastTimeHex = timeMs.toString(16).padStart(WINDOW_START_HEX_DIGITS, '0');
  return lastTimeHex;
}

/** Every physical key of windows starting in [fromMs, toMs). */
export function windowsBetween(fromMs: number, toMs: number): { gte: string; lt: string } {
  return { gte: encodeWindowStart(fromMs), lt: encodeWindowStart(toMs) };
}

/** Every key of a window store (keys start with hex digits, all below '~'). */
export const ALL_WINDOWS: { readonly gte: string; readonly lt: string } = Object.freeze({ gte: '', lt: '~' });
