import { epochDayOf, parseIsoDay } from '../../../core/time.ts';
import type { BinaryWriter } from './binary-writer.ts';
import type { ColumnType } from './column-type.ts';

/** Writes one value of a column in RowBinary; throws ValueEncodeError for a value its type cannot hold exactly. */
export type ValueEncoder = (w: BinaryWriter, value: unknown) => void;

/** A value that does not fit its column; the row encoder adds the table and column. */
export class ValueEncodeError extends Error {
  override readonly name = 'ValueEncodeError';
}

const TWO_32 = 4_294_967_296;
const UNSIGNED_DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^-?\d+$/;
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
/** `YYYY-MM-DD hh:mm:ss[.f…]`, optionally ISO `T…Z`: the text the row mappers and JSONEachRow use. */
const DATE_TIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/** The bytes a column gets when the row has no value for it (undefined): the type's default, as JSONEachRow gives omitted fields. */
export function defaultBytes(type: ColumnType): Buffer {
  switch (type.kind) {
    case 'nullable':
      return Buffer.from([1]);
    case 'array':
    case 'string':
      return Buffer.from([0]);
    default:
      return Buffer.alloc(fixedWidth(type));
  }
}

function fixedWidth(type: ColumnType): number {
  switch (type.kind) {
    case 'uint':
    case 'int':
    case 'float':
    case 'decimal':
      return type.bits / 8;
    case 'bool':
      return 1;
    case 'fixed-string':
      return type.length;
    case 'date':
      return 2;
    case 'date32':
    case 'datetime':
      return 4;
    case 'datetime64':
      return 8;
    default:
      throw new Error(`no fixed width for ${type.kind}`);
  }
}

export function valueEncoder(type: ColumnType): ValueEncoder {
  switch (type.kind) {
    case 'uint':
      return isSmall(type.bits) ? smallUInt(type.bits) : type.bits === 64 ? uint64 : bigInteger(type.bits, false);
    case 'int':
      return isSmall(type.bits) ? smallInt(type.bits) : bigInteger(type.bits, true);
    case 'float':
      return type.bits === 64 ? float64 : float32;
    case 'bool':
      return bool;
    case 'string':
      return string;
    case 'fixed-string':
      return fixedString(type.length);
    case 'date':
      return date(false);
    case 'date32':
      return date(true);
    case 'datetime':
      return dateTime(type.timezone);
    case 'datetime64':
      return dateTime64(type.precision, type.timezone);
    case 'decimal':
      return decimal(type.precision, type.scale, type.bits);
    case 'nullable': {
      const inner = valueEncoder(type.inner);
      return (w, v) => {
        if (v === null || v === undefined) return w.u8(1);
        w.u8(0);
        inner(w, v);
      };
    }
    case 'array': {
      const inner = valueEncoder(type.inner);
      return (w, v) => {
        if (!Array.isArray(v)) throw fail('an array', v);
        w.varUInt(v.length);
        for (const item of v) inner(w, item);
      };
    }
  }
}

const isSmall = (bits: number): bits is 8 | 16 | 32 => bits <= 32;

function fail(expected: string, value: unknown): ValueEncodeError {
  const shown =
    typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value === 'bigint' ? `${value}n` : String(value);
  return new ValueEncodeError(`expected ${expected}, got ${typeof value} ${shown}`);
}

/** An exact integer from a number (safe integers only), a bigint or decimal digits; never through a float. */
function toBigInt(value: unknown, signed: boolean): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && (signed ? SIGNED_DIGITS : UNSIGNED_DIGITS).test(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  throw fail(signed ? 'an integer' : 'a non-negative integer', value);
}

function smallUInt(bits: 8 | 16 | 32): ValueEncoder {
  const max = 2 ** bits - 1;
  return (w, v) => {
    let n = v;
    if (typeof n === 'boolean') n = n ? 1 : 0;
    else if (typeof n === 'string' && UNSIGNED_DIGITS.test(n) && n.length <= 10) n = Number(n);
    else if (typeof n === 'bigint' && n >= 0n && n <= BigInt(max)) n = Number(n);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw fail(`a UInt${bits}`, v);
    if (bits === 8) w.u8(n);
    else if (bits === 16) w.u16(n);
    else w.u32(n);
  };
}

function smallInt(bits: 8 | 16 | 32): ValueEncoder {
  const min = -(2 ** (bits - 1));
  const max = 2 ** (bits - 1) - 1;
  return (w, v) => {
    let n = v;
    if (typeof n === 'boolean') n = n ? 1 : 0;
    else if (typeof n === 'string' && SIGNED_DIGITS.test(n) && n.length <= 11) n = Number(n);
    else if (typeof n === 'bigint' && n >= BigInt(min) && n <= BigInt(max)) n = Number(n);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw fail(`an Int${bits}`, v);
    const unsigned = n < 0 ? n + 2 ** bits : n;
    if (bits === 8) w.u8(unsigned);
    else if (bits === 16) w.u16(unsigned);
    else w.u32(unsigned);
  };
}

const UINT64_MAX = 2n ** 64n - 1n;

function uint64(w: BinaryWriter, v: unknown): void {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    w.u64(v);
    return;
  }
  if (typeof v === 'string' && v.length <= 19 && UNSIGNED_DIGITS.test(v)) {
    writeDecimalUInt64(w, v);
    return;
  }
  const n = toBigInt(v, false);
  if (n < 0n || n > UINT64_MAX) throw fail('a UInt64', v);
  w.bigUIntLE(n, 8);
}

/**
 * Up to 19 decimal digits (< 10^19 < 2^64) as UInt64, exactly, without BigInt (wei amounts up to ~10 ETH
 * take the BigInt path otherwise, ~0.8 µs each): value = H·10^9 + L, split into 32-bit halves in
 * doubles that stay below 2^53.
 */
function writeDecimalUInt64(w: BinaryWriter, digits: string): void {
  if (digits.length <= 15) return w.u64(Number(digits));
  writeUInt64Halves10(w, Number(digits.slice(0, -9)), Number(digits.slice(-9)));
}

/** high · 10^9 + low as UInt64, exactly, for high < 10^10 and low < 10^9 (the last 9 digits and the ones before). */
export function writeUInt64Halves10(w: BinaryWriter, high: number, low: number): void {
  const highLow = high % 65_536;
  const y = ((high - highLow) / 65_536) * 1e9; // (high >> 16) · 10^9 < 2^48, counts 2^16 units
  const yLow = y % 65_536;
  const t = highLow * 1e9 + low + yLow * 65_536; // < 2^47
  w.u64Halves(t % TWO_32, Math.floor(t / TWO_32) + (y - yLow) / 65_536);
}

/** Int64 and the 128/256-bit integers: two's complement little-endian, range-checked exactly. */
function bigInteger(bits: 64 | 128 | 256, signed: boolean): ValueEncoder {
  const bytes = bits / 8;
  const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  const name = `${signed ? '' : 'U'}Int${bits}`;
  return (w, v) => {
    // Gas prices, fees and most amounts fit a double exactly: skip BigInt for them.
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      w.u64(v);
      w.zeros(bytes - 8);
      return;
    }
    if (typeof v === 'string' && v.length <= 19 && UNSIGNED_DIGITS.test(v)) {
      writeDecimalUInt64(w, v);
      w.zeros(bytes - 8);
      return;
    }
    const n = toBigInt(v, signed);
    if (n < min || n > max) throw fail(`a ${name}`, v);
    w.bigUIntLE(BigInt.asUintN(bits, n), bytes);
  };
}

function float64(w: BinaryWriter, v: unknown): void {
  if (typeof v !== 'number') throw fail('a number', v);
  w.f64(v);
}

function float32(w: BinaryWriter, v: unknown): void {
  if (typeof v !== 'number') throw fail('a number', v);
  w.f32(v);
}

function bool(w: BinaryWriter, v: unknown): void {
  if (v === true || v === 1) w.u8(1);
  else if (v === false || v === 0) w.u8(0);
  else throw fail('a boolean', v);
}

function string(w: BinaryWriter, v: unknown): void {
  if (typeof v === 'string') w.string(v);
  else if (v instanceof Uint8Array) w.bytes(v);
  else throw fail('a string', v);
}

function fixedString(length: number): ValueEncoder {
  return (w, v) => {
    const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v instanceof Uint8Array ? v : undefined;
    if (bytes === undefined || bytes.length > length) throw fail(`at most ${length} bytes`, v);
    w.raw(bytes);
    w.zeros(length - bytes.length);
  };
}

/** Epoch ms of `YYYY-MM-DD hh:mm:ss` read as UTC, or undefined when a field is out of range (Feb 30, 25:00). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  return back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s
    ? ms
    : undefined;
}

function isUtc(timezone: string | undefined): boolean {
  // No timezone: the session's, which the warehouse and oracul's clients keep at UTC.
  return timezone === undefined || timezone === 'UTC' || timezone === 'Etc/UTC';
}

/** DateTime64(p): Int64 ticks of 10^-p s. Numbers are epoch milliseconds; text is read as UTC. */
function dateTime64(precision: number, timezone: string | undefined): ValueEncoder {
  const perMs = precision >= 3 ? 10n ** BigInt(precision - 3) : 1n;
  const msPerTick = precision < 3 ? 10 ** (3 - precision) : 1;
  const utc = isUtc(timezone);
  // Rows of one record share their timestamps: remember the last text and its ticks as two 32-bit halves.
  let lastText: string | undefined;
  let lastLo = 0;
  let lastHi = 0;
  const writeTicks = (w: BinaryWriter, ticks: bigint) => w.bigUIntLE(BigInt.asUintN(64, ticks), 8);
  return (w, v) => {
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      if (precision === 3 && v >= 0) return w.u64(v);
      if (v % msPerTick !== 0) throw fail(`epoch ms with DateTime64(${precision}) precision`, v);
      return writeTicks(w, precision >= 3 ? BigInt(v) * perMs : BigInt(v / msPerTick));
    }
    if (v instanceof Date) return writeTicks(w, BigInt(v.getTime()) * perMs);
    if (typeof v !== 'string' || !utc) throw fail(utc ? 'epoch ms or UTC date-time text' : 'epoch ms', v);
    if (v !== lastText) {
      const m = DATE_TIME_TEXT.exec(v);
      const ms = m && utcMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
      const fraction = m?.[7] ?? '';
      if (ms === undefined || ms === null || /[1-9]/.test(fraction.slice(precision)))
        throw fail(`DateTime64(${precision}) text`, v);
      const seconds = BigInt(ms / 1000);
      const ticks = BigInt.asUintN(
        64,
        seconds * 10n ** BigInt(precision) + BigInt(fraction.slice(0, precision).padEnd(precision, '0') || '0'),
      );
      lastLo = Number(ticks & 0xffff_ffffn);
      lastHi = Number(ticks >> 32n);
      lastText = v;
    }
    w.u64Halves(lastLo, lastHi);
  };
}

/** DateTime: UInt32 epoch seconds. Numbers are epoch seconds; text is read as UTC. */
function dateTime(timezone: string | undefined): ValueEncoder {
  const utc = isUtc(timezone);
  return (w, v) => {
    let seconds: number | undefined;
    if (typeof v === 'number') seconds = v;
    else if (v instanceof Date && v.getTime() % 1000 === 0) seconds = v.getTime() / 1000;
    else if (typeof v === 'string' && utc) {
      const m = DATE_TIME_TEXT.exec(v);
      const ms = m && !/[1-9]/.test(m[7] ?? '') ? utcMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
      seconds = ms === undefined || ms === null ? undefined : ms / 1000;
    }
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 0 || seconds >= TWO_32) throw fail('a DateTime', v);
    w.u32(seconds);
  };
}

/** Date (UInt16) / Date32 (Int32) days since 1970-01-01, from `YYYY-MM-DD` or an epoch day number. */
function date(wide: boolean): ValueEncoder {
  const [min, max] = wide ? [-25_567, 120_529] : [0, 65_535];
  return (w, v) => {
    let day: number | undefined;
    if (typeof v === 'number') day = v;
    else if (typeof v === 'string') {
      const ms = parseIsoDay(v);
      day = ms === undefined ? undefined : epochDayOf(ms);
    }
    if (day === undefined || !Number.isInteger(day) || day < min || day > max) throw fail(wide ? 'a Date32' : 'a Date', v);
    if (wide) w.i32(day);
    else w.u16(day);
  };
}

/** Decimal(P, S): the unscaled integer, two's complement. Text only (or safe integers): exact, never rounded. */
function decimal(precision: number, scale: number, bits: 32 | 64 | 128 | 256): ValueEncoder {
  const limit = 10n ** BigInt(precision);
  const bytes = bits / 8;
  return (w, v) => {
    const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
    const m = typeof text === 'string' ? DECIMAL_TEXT.exec(text) : null;
    const fraction = m?.[3] ?? '';
    if (!m || fraction.length > scale) throw fail(`a Decimal(${precision}, ${scale}) in text`, v);
    const magnitude = BigInt(m[2]! + fraction.padEnd(scale, '0'));
    if (magnitude >= limit) throw fail(`a Decimal(${precision}, ${scale})`, v);
    w.bigUIntLE(BigInt.asUintN(bits, m[1] === '-' ? -magnitude : magnitude), bytes);
  };
}
