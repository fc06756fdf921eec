import { describe, expect, it } from 'vitest';
import { formatAmount, formatDigits } from './amount.ts';

describe('formatAmount', () => {
  it('scales exactly, without floats', () => {
    expect(formatAmount(109000000000000000000n, 18)).toBe('109');
    expect(formatAmount(40000000000n, 18)).toBe('0.00000004');
    expect(formatAmount(1n, 18)).toBe('0.000000000000000001');
    expect(formatAmount(123456789n, 6)).toBe('123.456789');
    expect(formatAmount(0n, 6)).toBe('0');
    expect(formatAmount(2n ** 256n - 1n, 0)).toBe(
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
    );
    expect(formatAmount(2n ** 255n, 77)).toBe('0.' + (2n ** 255n).toString().padStart(77, '0').replace(/0+$/, ''));
    expect(formatAmount(5n, 255)).toBe('0.' + '0'.repeat(254) + '5');
  });

  it('is null when decimals are unknown or invalid, never assuming 18', () => {
    for (const decimals of [null, -1, 256, 1.5, Number.NaN]) expect(formatAmount(10n ** 18n, decimals)).toBeNull();
  });
});

describe('formatDigits', () => {
  it('equals formatAmount on the amount’s decimal digits', () => {
    let seed = 12345;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const amounts = [0n, 1n, 10n, 100n, 2n ** 256n - 1n, 2n ** 255n, 10n ** 18n, 10n ** 77n, 123456789n, 1000000n];
    for (let i = 0; i < 300; i++) {
      const digits = Array.from({ length: 1 + Math.floor(rand() * 78) }, () => Math.floor(rand() * 10)).join('');
      amounts.push(BigInt(digits) * 10n ** BigInt(Math.floor(rand() * 20)));
    }
    for (const amount of amounts)
      for (const decimals of [0, 1, 2, 6, 8, 18, 19, 77, 78, 79, 100, 255])
        expect(formatDigits(amount.toString(), decimals)).toBe(formatAmount(amount, decimals));
  });
});
