/** Test helper: random samples with repeats (rounded) and occasional large values, to exercise ties and tails. */
import { mulberry32 } from './prng.ts';

export function randomValues(seed: number, n: number): number[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 20 * (rnd() < 0.1 ? 10 : 1) * 100) / 100);
}
