/**
 * Standard normal tail, to turn a z-like statistic into a probability.
 *
 *   Q(z) = P(Z > z) = 0.5 * erfc(z / sqrt(2))
 *
 * JavaScript has no erfc; this one is accurate to ~1e-15 relative, enough to
 * reproduce scores that NAB rounds to 12 significant digits:
 *   x < 1.2:  erfc(x) = 1 - erf(x), erf(x) = (2/sqrt(pi)) e^{-x^2} sum_k 2^k x^{2k+1} / (1*3*...*(2k+1))
 *             (all terms positive, so no cancellation inside the series)
 *   x >= 1.2: erfc(x) = (e^{-x^2}/sqrt(pi)) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
 *             (Laplace's continued fraction, evaluated with the modified Lentz method)
 */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const EPS = 1e-17;

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; k < 200; k++) {
    term *= (2 * x2) / (2 * k + 1);
    sum += term;
    if (term < sum * EPS) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

function erfcContinuedFraction(x: number): number {
  // f = x + a1/(x + a2/(x + ...)), a_k = k/2; Lentz's algorithm.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Complementary error function erfc(x) = 1 - erf(x) = (2/sqrt(pi)) int_x^inf e^{-t^2} dt. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x === Infinity) return 0;
  return x < 1.2 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}

/** Upper tail of the standard normal, Q(z) = P(Z > z). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}
