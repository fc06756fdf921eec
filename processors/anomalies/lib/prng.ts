/**
 * Deterministic pseudo-random numbers for tests and synthetic evaluations
 * (never for anything security-related): mulberry32, plus the few
 * distributions the generators need.
 */
export type Random = () => number;

/** mulberry32: 32-bit state, uniform in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = mulberry32Advance(a);
    return mulberry32Output(a);
  };
}

/** mulberry32's state step, for generators that keep the state themselves (e.g. to snapshot it). */
export function mulberry32Advance(state: number): number {
  return (state + 0x6d2b79f5) >>> 0;
}

/** mulberry32's output for an advanced state, uniform in [0, 1). */
export function mulberry32Output(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Standard normal by Box-Muller. */
export function normal(rnd: Random): number {
  const u = 1 - rnd(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

/** Student t with `df` degrees of freedom (heavy tails for small df): Z / sqrt(chi2_df / df). */
export function studentT(rnd: Random, df: number): number {
  let chi2 = 0;
  for (let i = 0; i < df; i++) chi2 += normal(rnd) ** 2;
  return normal(rnd) / Math.sqrt(chi2 / df);
}

/** Integer in [lo, hi]. */
export function randomInt(rnd: Random, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}
