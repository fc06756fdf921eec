import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../../core/errors.ts';
import { xorshift32 } from '../../../core/xorshift.ts';
import {
  InvalidAmountError,
  LIMBS,
  LIMB_OPS_BEFORE_NORMALIZE,
  addLimbs,
  isRowZero,
  limbsToBigInt,
  normalizeRow,
  parseDecimalToLimbs,
  parseHexToLimbs,
  rowToBigInt,
  setRowFromBigInt,
} from './uint256-limbs.ts';
import { thrown } from './testing/thrown.ts';

const MAX = 2n ** 256n - 1n;

/** Boundary amounts: 0, 1, 2^256−1, 2^255 + x, 10^k and 10^k − 1, limb edges 2^(32k) ± 1. */
function specialAmounts(): bigint[] {
  const values = [0n, 1n, 2n, MAX, MAX - 1n, 2n ** 255n, 2n ** 255n + 1n, 2n ** 255n + 123456789n, 2n ** 255n - 1n];
  for (let k = 0; k <= 77; k++) values.push(10n ** BigInt(k), 10n ** BigInt(k) - 1n);
  for (let k = 1; k < LIMBS; k++) values.push(2n ** BigInt(32 * k), 2n ** BigInt(32 * k) - 1n, 2n ** BigInt(32 * k) + 1n);
  return values.filter((v) => v >= 0n && v <= MAX);
}

/** A uniformly random width in 0…256 bits, the top bit set: every magnitude equally often. */
function randomAmount(rand: () => number): bigint {
  const bits = Math.floor(rand() * 257);
  if (bits === 0) return 0n;
  let value = 0n;
  for (let i = 0; i < bits; i += 32) value = (value << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  value &= (1n << BigInt(bits)) - 1n;
  return value | (1n << BigInt(bits - 1));
}

/**
 * One step of a row's random walk: mostly an add, or the retraction of an earlier add; sometimes a retraction of
 * anything (the sum goes negative), or of exactly the current sum (back to zero with carries left in the slots).
 */
function nextOperation(rand: () => number, added: bigint[], sum: bigint, specials: bigint[]): { value: bigint; sign: 1 | -1 } {
  const r = rand();
  if (r < 0.3 && added.length > 0) return { value: added.splice(Math.floor(rand() * added.length), 1)[0]!, sign: -1 };
  if (r < 0.33 && sum !== 0n && (sum < 0n ? -sum : sum) <= MAX)
    return sum > 0n ? { value: sum, sign: -1 } : { value: -sum, sign: 1 };
  const value = r < 0.45 ? specials[Math.floor(rand() * specials.length)]! : randomAmount(rand);
  if (r > 0.9) return { value, sign: -1 };
  added.push(value);
  return { value, sign: 1 };
}

function limbsOf(value: bigint): Uint32Array {
  const out = new Uint32Array(LIMBS);
  parseDecimalToLimbs(value.toString(), out);
  return out;
}

describe('parsing amounts into limbs', () => {
  it('places limbs least significant first', () => {
    const out = new Uint32Array(LIMBS);
    parseDecimalToLimbs('4294967297', out);
    expect([...out]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    parseDecimalToLimbs(MAX.toString(), out);
    expect([...out]).toEqual(new Array(LIMBS).fill(0xffffffff));
    parseHexToLimbs('0x100000001', out);
    expect([...out]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    parseHexToLimbs('0x8000000000000000000000000000000000000000000000000000000000000002', out);
    expect([...out]).toEqual([2, 0, 0, 0, 0, 0, 0, 0x80000000]);
  });

  it('round-trips decimal and hex of special and random amounts, at an offset, leaving neighbours alone', () => {
    const rand = xorshift32(11);
    const amounts = [...specialAmounts()];
    for (let i = 0; i < 3000; i++) amounts.push(randomAmount(rand));
    const out = new Uint32Array(3 * LIMBS).fill(7);
    for (const value of amounts) {
      parseDecimalToLimbs(value.toString(), out, LIMBS);
      expect(limbsToBigInt(out, LIMBS)).toBe(value);
      const hex = value.toString(16);
      parseHexToLimbs('0x' + hex, out, LIMBS);
      expect(limbsToBigInt(out, LIMBS)).toBe(value);
      parseHexToLimbs('0X' + hex.toUpperCase().padStart(64, '0'), out, LIMBS);
      expect(limbsToBigInt(out, LIMBS)).toBe(value);
    }
    expect(out.subarray(0, LIMBS).every((l) => l === 7)).toBe(true);
    expect(out.subarray(2 * LIMBS).every((l) => l === 7)).toBe(true);
  });

  it('accepts leading zeros (the value decides)', () => {
    const out = new Uint32Array(LIMBS);
    parseDecimalToLimbs('0'.repeat(100) + '42', out);
    expect(limbsToBigInt(out)).toBe(42n);
    parseDecimalToLimbs('000' + MAX.toString(), out);
    expect(limbsToBigInt(out)).toBe(MAX);
  });

  it('rejects malformed decimals with InvalidAmountError', () => {
    const bad = ['', ' 1', '1 ', '+1', '-1', '1.0', '1e3', '1_000', '0x10', 'abc', '١٢', '12345678901234567x9', '/', ':'];
    bad.push((MAX + 1n).toString(), (MAX + 123456789n).toString(), '9'.repeat(79), '1' + '0'.repeat(78), (MAX * 10n).toString());
    for (const text of bad) {
      const error = thrown(() => parseDecimalToLimbs(text, new Uint32Array(LIMBS)));
      expect(error, text).toBeInstanceOf(InvalidAmountError);
      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as InvalidAmountError).code).toBe('ORACUL_INVALID_AMOUNT');
      expect((error as InvalidAmountError).retryable).toBe(false);
      expect((error as InvalidAmountError).details.value).toBe(text.slice(0, 200));
    }
  });

  it('rejects malformed hex with InvalidAmountError', () => {
    const bad = ['', '0', '0x', 'x1', '1x', '00x1', 'ox1', '0y1', '0xg', '0x1g', '0x-1', ' 0x1', '0x1 ', '0x' + 'f'.repeat(65)];
    bad.push('0x' + '0'.repeat(65), '0x12\u00e9', '0x1.5', '0x' + 'a'.repeat(63) + 'G');
    for (const hex of bad) {
      const error = thrown(() => parseHexToLimbs(hex, new Uint32Array(LIMBS)));
      expect(error, hex).toBeInstanceOf(InvalidAmountError);
      expect((error as InvalidAmountError).code).toBe('ORACUL_INVALID_AMOUNT');
    }
  });

  it('refuses slots outside the arrays instead of dropping writes', () => {
    expect(() => parseDecimalToLimbs('1', new Uint32Array(LIMBS), 1)).toThrow(RangeError);
    expect(() => parseHexToLimbs('0x1', new Uint32Array(LIMBS + 3), 4)).toThrow(RangeError);
    expect(() => addLimbs(new Float64Array(2 * LIMBS), 2, new Uint32Array(LIMBS), 0, 1)).toThrow(RangeError);
    expect(() => addLimbs(new Float64Array(2 * LIMBS), 0.5, new Uint32Array(LIMBS), 0, 1)).toThrow(RangeError);
    expect(() => rowToBigInt(new Float64Array(LIMBS), -1)).toThrow(RangeError);
  });
});

describe('signed limb sums', () => {
  it('matches a BigInt reference after every add and retraction, with occasional normalisation', () => {
    const rand = xorshift32(2026);
    const rows = 5;
    const sums = new Float64Array(rows * LIMBS);
    const reference = new Array<bigint>(rows).fill(0n);
    const added: bigint[][] = Array.from({ length: rows }, () => []);
    const specials = specialAmounts();
    let negatives = 0;
    let zeros = 0;
    for (let step = 0; step < 20_000; step++) {
      const row = Math.floor(rand() * rows);
      const { value, sign } = nextOperation(rand, added[row]!, reference[row]!, specials);
      addLimbs(sums, row, limbsOf(value), 0, sign);
      reference[row] = reference[row]! + (sign === 1 ? value : -value);
      expect(rowToBigInt(sums, row)).toBe(reference[row]);
      expect(isRowZero(sums, row)).toBe(reference[row] === 0n);
      if (reference[row]! < 0n) negatives++;
      if (reference[row] === 0n) zeros++;
      if (rand() < 0.02) {
        normalizeRow(sums, row);
        expect(rowToBigInt(sums, row)).toBe(reference[row]);
      }
    }
    // The walk went through negative sums and back to zero, not only up.
    expect(negatives).toBeGreaterThan(100);
    expect(zeros).toBeGreaterThan(10);
  });

  it('normalises to the canonical form without changing the value, negative values included', () => {
    const rand = xorshift32(7);
    const sums = new Float64Array(2 * LIMBS);
    for (let i = 0; i < 2000; i++) {
      sums.fill(0);
      let reference = 0n;
      const operations = 1 + Math.floor(rand() * 40);
      for (let k = 0; k < operations; k++) {
        const value = randomAmount(rand);
        const sign = rand() < 0.5 ? 1 : -1;
        addLimbs(sums, 1, limbsOf(value), 0, sign);
        reference += sign === 1 ? value : -value;
      }
      normalizeRow(sums, 1);
      expect(rowToBigInt(sums, 1)).toBe(reference);
      for (let s = 0; s < LIMBS - 1; s++) {
        const slot = sums[LIMBS + s]!;
        expect(Number.isInteger(slot) && slot >= 0 && slot < 2 ** 32).toBe(true);
      }
      setRowFromBigInt(sums, 0, reference);
      expect([...sums.subarray(0, LIMBS)]).toEqual([...sums.subarray(LIMBS)]);
      normalizeRow(sums, 1);
      expect([...sums.subarray(0, LIMBS)]).toEqual([...sums.subarray(LIMBS)]);
    }
  });

  it(`stays exact over ${LIMB_OPS_BEFORE_NORMALIZE} additions of 2^256−1 without normalising, from a full row`, () => {
    const sums = new Float64Array(LIMBS);
    const max = limbsOf(MAX);
    setRowFromBigInt(sums, 0, MAX); // a normalised row at its largest limbs: the worst start
    for (let i = 0; i < LIMB_OPS_BEFORE_NORMALIZE; i++) addLimbs(sums, 0, max, 0, 1);
    const expected = BigInt(LIMB_OPS_BEFORE_NORMALIZE + 1) * MAX;
    expect(sums.every((slot) => Math.abs(slot) <= 2 ** 53)).toBe(true);
    expect(rowToBigInt(sums, 0)).toBe(expected);
    expect(isRowZero(sums, 0)).toBe(false);
    normalizeRow(sums, 0);
    expect(rowToBigInt(sums, 0)).toBe(expected);
    for (let i = 0; i < LIMB_OPS_BEFORE_NORMALIZE; i++) addLimbs(sums, 0, max, 0, -1);
    normalizeRow(sums, 0);
    expect(rowToBigInt(sums, 0)).toBe(MAX);
    for (let i = 0; i < LIMB_OPS_BEFORE_NORMALIZE; i++) addLimbs(sums, 0, max, 0, -1);
    expect(rowToBigInt(sums, 0)).toBe(-BigInt(LIMB_OPS_BEFORE_NORMALIZE - 1) * MAX);
    normalizeRow(sums, 0);
    expect(rowToBigInt(sums, 0)).toBe(-BigInt(LIMB_OPS_BEFORE_NORMALIZE - 1) * MAX);
  });

  it('tells a zero row from a non-zero one whatever its carries', () => {
    const sums = new Float64Array(LIMBS);
    sums.set([2 ** 32, -1, 0, 0, 0, 0, 0, 0]);
    expect(isRowZero(sums, 0)).toBe(true);
    sums.set([-(2 ** 32), 1, 0, 0, 0, 0, 0, 0]);
    expect(isRowZero(sums, 0)).toBe(true);
    sums.set([0, 0, 0, 0, 0, 0, 2 ** 32, -1]);
    expect(isRowZero(sums, 0)).toBe(true);
    sums.set([2 ** 32, 0, 0, 0, 0, 0, 0, 0]);
    expect(isRowZero(sums, 0)).toBe(false);
    sums.set([0, 0, 0, 0, 0, 0, 0, -1]);
    expect(isRowZero(sums, 0)).toBe(false);
    const rand = xorshift32(99);
    for (let i = 0; i < 500; i++) {
      const a = randomAmount(rand);
      const b = randomAmount(rand);
      sums.fill(0);
      addLimbs(sums, 0, limbsOf(a), 0, 1);
      addLimbs(sums, 0, limbsOf(b), 0, 1);
      addLimbs(sums, 0, limbsOf((a + b) & MAX), 0, -1);
      // a + b − ((a + b) mod 2^256): zero unless the sum wrapped, with carries left unresolved in the slots.
      expect(isRowZero(sums, 0)).toBe(a + b <= MAX);
      expect(rowToBigInt(sums, 0)).toBe(a + b - ((a + b) & MAX));
    }
  });

  it('restores rows from BigInt, negative and beyond 2^256, and refuses what a double cannot hold', () => {
    const sums = new Float64Array(3 * LIMBS);
    for (const value of [0n, 1n, -1n, MAX, -MAX, 2n ** 270n + 5n, -(2n ** 276n) + 3n, -(2n ** 32n)]) {
      setRowFromBigInt(sums, 2, value);
      expect(rowToBigInt(sums, 2)).toBe(value);
      expect(isRowZero(sums, 2)).toBe(value === 0n);
    }
    setRowFromBigInt(sums, 0, -1n);
    expect([...sums.subarray(0, LIMBS)]).toEqual([...new Array(LIMBS - 1).fill(0xffffffff), -1]);
    expect(() => setRowFromBigInt(sums, 0, 2n ** 300n)).toThrow(RangeError);
  });
});
