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
