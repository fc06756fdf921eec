import { formatUnits } from 'viem';

/** Largest `decimals` an ERC-20 can declare (uint8). */
export const MAX_DECIMALS = 255;

export function isValidDecimals(decimals: number | null | undefined): decimals is number {
  return typeof decimals === 'number' && Number.isInteger(decimals) && decimals >= 0 && decimals <= MAX_DECIMALS;
}

/**
 * The exact decimal rendering of a raw token amount: raw / 10^decimals as a string, by digit shifting on the
 * bigint (viem's formatUnits), never through a float. Trailing fractional zeros are dropped ("1.5", "100").
 * Null when decimals are unknown: we never assume 18.
 * @example formatAmount(109000000000000000000n, 18) // "109"
 */
export function formatAmount(raw: bigint, decimals: number | null): string | null {
  return isValidDecimals(decimals) ? formatUnits(raw, decimals) : null;
}

/**
 * formatAmount for an amount already rendered as decimal digits (a uint256's `toString()`, no sign), with decimals
 * already checked by isValidDecimals: the same string without converting the bigint to decimal a second time (the
 * decoder renders each amount once, for `amount_raw`). A unit test compares it with formatAmount.
 * @example formatDigits('109000000000000000000', 18) // "109"
 */
export function formatDigits(digits: string, decimals: number): string {
  if (decimals === 0) return digits;
  const padded = digits.length > decimals ? digits : digits.padStart(decimals + 1, '0');
  const point = padded.length - decimals;
  // The fraction without its trailing zeros (formatUnits drops them); none left → no point at all.
  let end = padded.length;
  while (end > point && padded.charCodeAt(end - 1) === 48 /* '0' */) end--;
  return end === point ? padded.slice(0, point) : `${padded.slice(0, point)}.${padded.slice(point, end)}`;
}
