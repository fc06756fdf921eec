/**
 * NAB's reference "windowedGaussian" detector, re-implemented to prove the
 * scorer against its published score (39.6 standard). Behaviour, from
 * NAB_SCORING.md: a window of the last 6400 values sliding in steps of 100;
 * each value x is scored against the window *before* x joins it:
 *
 *   score(x) = 1 - Q(|x - mean| / std)      (Q = standard normal upper tail; 0.0 for the first row)
 *
 * mean/std (population) are recomputed after every append while the window
 * fills, then whenever 100 new values have been buffered; std 0 becomes 1e-6.
 */
import { compensatedSum } from '../../../processors/anomalies/lib/descriptive.ts';
import { normalUpperTail } from './normal.ts';

const WINDOW_SIZE = 6400;
const STEP_SIZE = 100;

/** Neumaier-compensated sum of (x - m)^2, inlined: this runs ~1e9 times over the corpus. */
function sumSquaredDeviations(values: readonly number[], m: number): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - m;
    const x = d * d;
    const t = sum + x;
    compensation += sum >= x ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + compensation;
}

export function windowedGaussianScores(values: readonly number[]): number[] {
  let window: number[] = [];
  let buffer: number[] = [];
  let mean = 0;
  let std = 1;
  const refresh = (): void => {
    mean = compensatedSum(window) / window.length;
    std = Math.sqrt(sumSquaredDeviations(window, mean) / window.length);
    if (std === 0) std = 0.000001;
  };
  return values.map((x) => {
    const score = window.length > 0 ? 1 - normalUpperTail(Math.abs(x - mean) / std) : 0;
    if (window.length < WINDOW_SIZE) {
      window.push(x);
      refresh();
    } else {
      buffer.push(x);
      if (buffer.length === STEP_SIZE) {
        window = window.slice(STEP_SIZE).concat(buffer);
        buffer = [];
        refresh();
      }
    }
    return score;
  });
}

/** NAB scores the values as written by Python 2's str(float): 12 significant digits. */
export function roundLikeNab(x: number): number {
  return Number(x.toPrecision(12));
}
