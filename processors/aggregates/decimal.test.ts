import { describe, expect, it } from 'vitest';
import { divRoundHalfEven, formatScaled, parseDecimal } from './decimal.ts';
import { InvalidPriceError } from './errors.ts';

describe('exact decimals', () => {
  it('parses plain, fractional and exponent forms exactly', () => {
    expect(parseDecimal('1834.07', 18)).toBe(1834070000000000000000n);
    expect(parseDecimal('0.000001234', 18)).toBe(1234000000000n);
    expect(parseDecimal('1.2e-7', 18)).toBe(120000000000n);
    expect(parseDecimal('1E+3', 2)).toBe(100000n);
    expect(parseDecimal('.5', 1)).toBe(5n);
    expect(parseDecimal('-2.5', 0)).toBe(-2n);
    expect(parseDecimal(' 7 ', 0)).toBe(7n);
  });

  it('rounds half to even beyond the scale', () => {
    expect(parseDecimal('0.5', 0)).toBe(0n);
    expect(parseDecimal('1.5', 0)).toBe(2n);
    expect(parseDecimal('2.5000000000000000001', 0)).toBe(3n);
    expect(parseDecimal('1.0000000000000000005', 18)).toBe(1000000000000000000n);
    expect(parseDecimal('1.0000000000000000015', 18)).toBe(1000000000000000002n);
    expect(divRoundHalfEven(-5n, 2n)).toBe(-2n);
    expect(divRoundHalfEven(-7n, 2n)).toBe(-4n);
  });

  it('rejects what is not a decimal', () => {
    for (const bad of ['', 'NaN', 'Infinity', '0x10', '1,5', '1e', '--1', '1e99999'])
      expect(() => parseDecimal(bad, 18)).toThrow(InvalidPriceError);
  });

  it('formats once with half-even rounding and no trailing zeros', () => {
    expect(formatScaled(1500000n, 6, 6)).toBe('1.5');
    expect(formatScaled(12345n, 6, 2)).toBe('0.01');
    expect(formatScaled(15000n, 6, 2)).toBe('0.02');
    expect(formatScaled(25000n, 6, 2)).toBe('0.02');
    expect(formatScaled(-25001n, 6, 2)).toBe('-0.03');
    expect(formatScaled(-1n, 6, 2)).toBe('0');
    expect(formatScaled(7n, 0, 6)).toBe('7');
    expect(formatScaled((2n ** 256n - 1n) * 10n ** 18n, 36, 6)).toBe(
      '115792089237316195423570985008687907853269984665640564039457.584008',
    );
  });
});
