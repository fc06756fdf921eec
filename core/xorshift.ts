/**
 * xorshift32: a deterministic stream of uniform numbers in [0, 1) for a seed, for generated test data, benchmark
 * inputs and chaos traffic that must be the same on every run. Not for anything that needs unpredictability.
 * A seed of 0 (which would stay 0) counts as 1.
 */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
