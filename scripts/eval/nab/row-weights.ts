/**
 * NAB's per-row weights: what a detection on each row would be worth.
 *
 *   sigma(y) = 2 / (1 + e^{5y}) - 1   for y <= 3,   -1 for y > 3      (scaled sigmoid)
 *
 * Inside a window [L, R] of width w = R - L + 1:
 *   y = -(R - i + 1) / w   (-1 on the first row, -1/w on the last)
 *   s(i) = A_TP * sigma(y) / sigma(-1)       (a detection on the first row is worth exactly A_TP)
 * Outside every window, before any window has ended:   s(i) = -A_FP
 * Outside, after a window that ended at R' with width w':
 *   y = |i - R'| / (w' - 1),   s(i) = A_FP * sigma(y)  (in (-A_FP, 0): right behind a window costs less)
 *
 * The first P rows are a probation period nobody is scored on:
 *   P = min(floor(0.15 n), 0.15 * 5000)
 */
import type { CostProfile, WindowBounds } from './corpus.ts';
import { NabDataError } from './errors.ts';

export const PROBATION_PERCENT = 0.15;

export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Number of leading rows excluded from scoring (detectors still see them). */
export function probationLength(rowCount: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rowCount), percent * 5000);
}

export interface RowWeights {
  /** s(i) for every row of the file. */
  readonly weights: Float64Array;
  /** Index of the window row i belongs to (into the file's window list), or -1. */
  readonly window: Int32Array;
}

export function rowWeights(rowCount: number, windows: readonly WindowBounds[], profile: CostProfile): RowWeights {
  const weights = new Float64Array(rowCount);
  const window = new Int32Array(rowCount).fill(-1);
  const maxTp = scaledSigmoid(-1);
  let previous: WindowBounds | undefined;
  let next = 0;
  for (let i = 0; i < rowCount; i++) {
    const w = windows[next];
    if (w !== undefined && i > w.end) {
      throw new NabDataError('anomaly windows must be ordered and disjoint', { window: w, row: i });
    }
    if (w !== undefined && i >= w.start) {
      const width = w.end - w.start + 1;
      weights[i] = (profile.tpWeight * scaledSigmoid(-(w.end - i + 1) / width)) / maxTp;
      window[i] = next;
      if (i === w.end) {
        previous = w;
        next += 1;
      }
    } else if (previous === undefined) {
      weights[i] = -profile.fpWeight;
    } else {
      const previousWidth = previous.end - previous.start + 1;
      weights[i] = profile.fpWeight * scaledSigmoid(Math.abs(i - previous.end) / (previousWidth - 1));
    }
  }
  return { weights, window };
}
