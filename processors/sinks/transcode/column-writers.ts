import type { BinaryWriter } from '../row-binary/binary-writer.ts';
import { writeUInt64Halves10 } from '../row-binary/value-encoders.ts';
import { DECLINE, type AvroCursor } from './avro-cursor.ts';

/**
 * One Avro value → one RowBinary column value, reading from an AvroCursor. Each accepts exactly what the general
 * path (raw-validate.ts checks, then value-encoders.ts) accepts and writes the same bytes; anything else throws
 * DECLINE, so the general path makes the same dead letter or rejection as before.
 */

/** Byte → 1 for `0`–`9` and `a`–`f` (the lowercase hex raw-validate.ts requires). */
export const LOWER_HEX = new Uint8Array(256);
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1;

/** Hash (66 chars), address (42) or hex data (-1: any even length): what raw-validate.ts's rules accept. */
export const HASH32 = 66;
export const ADDRESS20 = 42;
export const HEX_DATA = -1;

/** A hex string's start in the cursor's buffer (its length is `c.len`), length checked; its digits are checked by writeHex. */
export function hexSpan(c: AvroCursor, width: number): number {
  const start = c.span();
  if (width === HEX_DATA ? c.len < 2 || c.len % 2 !== 0 : c.len !== width) throw DECLINE;
  return start;
}

/**
 * A String column of `0x` + lowercase hex from src[start, start + len): LEB128 length, then the bytes (ASCII, so
 * UTF-8 as they are), checked while copied, 4 bytes per step (one pass: the digits are most of the sinks' bytes).
 * A byte that is not a lowercase hex digit throws DECLINE (the record is rewound and takes the general path).
 */
export function writeHex(w: BinaryWriter, c: AvroCursor, start: number, len: number): void {
  const src = c.buf;
  if (src[start] !== 48 || src[start + 1] !== 120) throw DECLINE; // "0x"
  w.varUInt(len);
  w.ensure(len);
  const dst = w.buf;
  const from = c.view;
  const to = w.view;
  let o = w.pos;
  dst[o] = 48;
  dst[o + 1] = 120;
  o += 2;
  const end = start + len;
  let i = start + 2;
  for (; i + 4 <= end; i += 4, o += 4) {
    const x = from.getUint32(i, true);
    if ((LOWER_HEX[x & 0xff]! & LOWER_HEX[(x >>> 8) & 0xff]! & LOWER_HEX[(x >>> 16) & 0xff]! & LOWER_HEX[x >>> 24]!) === 0)
      throw DECLINE;
    to.setUint32(o, x, true);
  }
  for (; i < end; i += 1) {
    const b = src[i]!;
    if (LOWER_HEX[b] === 0) throw DECLINE;
    dst[o++] = b;
  }
  w.pos = o;
}

/** A hex String column. */
export function hexColumn(c: AvroCursor, w: BinaryWriter, width: number): void {
  writeHex(w, c, hexSpan(c, width), c.len);
}

/** A Nullable(String) column of hex from `["null", "string"]`. */
export function nullableHexColumn(c: AvroCursor, w: BinaryWriter, width: number): void {
  if (!c.present()) return w.u8(1);
  w.u8(0);
  hexColumn(c, w, width);
}

/** A UInt64 column from a `long`. */
export function uint64Column(c: AvroCursor, w: BinaryWriter): void {
  w.u64(c.unsigned());
}

/** A Nullable(UInt64) column from `["null", "long"]`. */
export function nullableUInt64Column(c: AvroCursor, w: BinaryWriter): void {
  if (!c.present()) return w.u8(1);
  w.u8(0);
  w.u64(c.unsigned());
}

/** A Nullable(UInt8) / Nullable(UInt32) column from `["null", "int"]`. */
export function nullableSmallUIntColumn(c: AvroCursor, w: BinaryWriter, bits: 8 | 32): void {
  if (!c.present()) return w.u8(1);
  w.u8(0);
  if (bits === 8) w.u8(c.uint(0xff));
  else w.u32(c.uint(0xffff_ffff));
}

/** Decimal digits in src[start, end) as a number (at most 15 of them: exact); -1 for a non-digit. */
function digitsValue(src: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += 1) {
    const d = src[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** 16-bit limbs of a 256-bit integer, least significant first (scratch for long decimal texts). */
const limbs = new Array<number>(16).fill(0);

/**
 * A UInt256 column from decimal text (the general path: /^\d+$/, range-checked, never through a float). Up to 19
 * digits without BigInt, as value-encoders.ts does; longer ones 9 digits at a time into 16-bit limbs.
 */
export function uint256TextColumn(c: AvroCursor, w: BinaryWriter): void {
  const start = c.span();
  const len = c.len;
  const src = c.buf;
  if (len === 0) throw DECLINE;
  if (len <= 15) {
    const n = digitsValue(src, start, start + len);
    if (n < 0) throw DECLINE;
    w.u64(n);
  } else if (len <= 19) {
    const high = digitsValue(src, start, start + len - 9);
    const low = digitsValue(src, start + len - 9, start + len);
    if (high < 0 || low < 0) throw DECLINE;
    writeUInt64Halves10(w, high, low);
  } else {
    return writeLongUInt256(src, start, len, w);
  }
  w.zeros(24);
}

function writeLongUInt256(src: Uint8Array, start: number, len: number, w: BinaryWriter): void {
  limbs.fill(0);
  // Chunks of 9 digits (the first one shorter), each: limbs = limbs · 10^k + chunk; a carry out of the top limb
  // is a value past 2^256 - 1, which the general path rejects.
  for (let at = start, end = start + len; at < end;) {
    const next = Math.min(end, at + ((end - at) % 9 || 9));
    let carry = digitsValue(src, at, next);
    if (carry < 0) throw DECLINE;
    const scale = 10 ** (next - at);
    for (let i = 0; i < 16; i += 1) {
      const x = limbs[i]! * scale + carry; // < 2^16 · 10^9 + 2^37 < 2^53
      limbs[i] = x % 65_536;
      carry = Math.floor(x / 65_536);
    }
    if (carry !== 0) throw DECLINE;
    at = next;
  }
  for (let i = 0; i < 16; i += 1) w.u16(limbs[i]!);
}

/** A Nullable(UInt256) column from `["null", "string"]` of decimal text. */
export function nullableUInt256TextColumn(c: AvroCursor, w: BinaryWriter): void {
  if (!c.present()) return w.u8(1);
  w.u8(0);
  uint256TextColumn(c, w);
}
