import { InvalidPriceError } from './errors.ts';

/**
 * Exact decimal arithmetic on scaled bigints: a value v at scale s means v / 10^s. Prices, USD amounts and their
 * sums never pass through a float; rounding happens once, at output, half to even.
 */

/** Fractional digits kept for prices (and so for USD sums before output). */
export const PRICE_DECIMALS = 18;
/** Fractional digits of USD values in output records. */
export const USD_DECIMALS = 6;

const POW10: bigint[] = [];
export function pow10(n: number): bigint {
  let p = POW10[n];
  if (p === undefined) {
    p = 10n ** BigInt(n);
    if (n < 512) POW10[n] = p;
  }
  return p;
}

/** n / d rounded half to even (d > 0). */
export function divRoundHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const a = negative ? -n : n;
  let q = a / d;
  const r2 = (a % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

const DECIMAL_RE = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d{1,4}))?$/;

/**
 * Parses a decimal string ("1.5", "0.000123", "1.2e-7", the way JSON numbers print) into a bigint at `scale`,
 * exactly when it has ≤ `scale` fractional digits, else rounded half to even.
 * @throws InvalidPriceError on anything that is not a plain decimal (NaN, Infinity, hex, empty).
 * @example parseDecimal('1834.07', 18) // 1834070000000000000000n
 */
export function parseDecimal(text: string, scale: number): bigint {
  const m = DECIMAL_RE.exec(text.trim());
  if (m === null) throw new InvalidPriceError(text, 'not a decimal number');
  const [, sign, int, frac = '', fracOnly, exp] = m;
  const fraction = fracOnly ?? frac;
  const digits = BigInt((int ?? '0') + fraction);
  const shift = Number(exp ?? '0') - fraction.length + scale;
  const magnitude = shift >= 0 ? digits * pow10(shift) : divRoundHalfEven(digits, pow10(-shift));
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * Renders v / 10^scale with at most `decimals` fractional digits (rounded half to even), trailing zeros dropped.
 * @example formatScaled(1500000n, 6, 6) // "1.5"
 */
export function formatScaled(value: bigint, scale: number, decimals: number): string {
  const v = scale > decimals ? divRoundHalfEven(value, pow10(scale - decimals)) : value * pow10(decimals - scale);
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return (negative ? '-' : '') + int + (frac === '' ? '' : '.' + frac);
}
