/**
 * NAB's threshold sweep over scored rows (one file or the whole corpus).
 *
 * At threshold t a row is detected when anomaly_score >= t, and
 *   score(t) = sum over windows W: max{ s(i) : i in W detected } if any, else -A_FN
 *            + sum over detected rows outside windows of s(i)
 * (only the earliest = best detection of a window counts). Counts are rows:
 * TP/FN = detected/undetected rows inside windows, FP/TN outside.
 *
 * Sweeping t down through the distinct scores gives every candidate in one
 * pass after a sort: start at t = 1.1 (nothing detected), and record the state
 * each time the next row's score differs from the current threshold.
 */
import type { CostProfile } from './corpus.ts';
import { NabDataError } from './errors.ts';

/** Non-probation rows to score; `window` holds a corpus-unique window id or -1. */
export interface ScoredRows {
  readonly scores: ArrayLike<number>;
  readonly weights: ArrayLike<number>;
  readonly window: ArrayLike<number>;
}

export interface ThresholdOutcome {
  readonly threshold: number;
  readonly score: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
}

export const INITIAL_THRESHOLD = 1.1;

interface Tally {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

function distinctWindows(rows: ScoredRows): Set<number> {
  const ids = new Set<number>();
  for (let i = 0; i < rows.window.length; i++) if ((rows.window[i] as number) >= 0) ids.add(rows.window[i] as number);
  return ids;
}

/** Incremental tally: detecting rows one by one, in any order. */
function createTally(rows: ScoredRows, profile: CostProfile): { tally: Tally; detect: (i: number) => void } {
  const windows = distinctWindows(rows);
  let inside = 0;
  for (let i = 0; i < rows.window.length; i++) if ((rows.window[i] as number) >= 0) inside++;
  const tally: Tally = { score: -profile.fnWeight * windows.size, tp: 0, fn: inside, fp: 0, tn: rows.window.length - inside };
  const best = new Map<number, number>();
  const detect = (i: number): void => {
    const w = rows.window[i] as number;
    const s = rows.weights[i] as number;
    if (w >= 0) {
      tally.tp++;
      tally.fn--;
      const previous = best.get(w);
      if (previous === undefined) {
        tally.score += profile.fnWeight + s;
        best.set(w, s);
      } else if (s > previous) {
        tally.score += s - previous;
        best.set(w, s);
      }
    } else {
      tally.fp++;
      tally.tn--;
      tally.score += s;
    }
  };
  return { tally, detect };
}

function checkScores(rows: ScoredRows): void {
  for (let i = 0; i < rows.scores.length; i++) {
    const x = rows.scores[i] as number;
    if (!(x >= 0 && x <= 1))
      throw new NabDataError(`anomaly scores must be in [0, 1], got ${x} at row ${i}`, { row: i, score: x });
  }
}

/** Every candidate threshold with its outcome, highest threshold first (NAB's calcScoreByThreshold). */
export function sweepThresholds(rows: ScoredRows, profile: CostProfile): ThresholdOutcome[] {
  checkScores(rows);
  const order = Array.from({ length: rows.scores.length }, (_, i) => i).sort(
    (a, b) => (rows.scores[b] as number) - (rows.scores[a] as number),
  );
  const { tally, detect } = createTally(rows, profile);
  const out: ThresholdOutcome[] = [];
  let threshold = INITIAL_THRESHOLD;
  for (const i of order) {
    const s = rows.scores[i] as number;
    if (s !== threshold) {
      out.push({ threshold, ...tally });
      threshold = s;
    }
    detect(i);
  }
  out.push({ threshold, ...tally });
  return out;
}

/** The best candidate; on a tie the higher threshold wins (NAB keeps the first of a stable descending sort). */
export function bestThreshold(candidates: readonly ThresholdOutcome[]): ThresholdOutcome {
  let best: ThresholdOutcome | undefined;
  for (const c of candidates) if (best === undefined || c.score > best.score) best = c;
  if (best === undefined) throw new NabDataError('no threshold candidates');
  return best;
}

/** Outcome with detections = rows whose score >= threshold. */
export function scoreAtThreshold(rows: ScoredRows, profile: CostProfile, threshold: number): ThresholdOutcome {
  checkScores(rows);
  const { tally, detect } = createTally(rows, profile);
  for (let i = 0; i < rows.scores.length; i++) if ((rows.scores[i] as number) >= threshold) detect(i);
  return { threshold, ...tally };
}
