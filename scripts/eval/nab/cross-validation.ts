/**
 * Leave-half-out checks of the tuning: NAB optimises the threshold (and the
 * published detectors tuned their parameters) on the very corpus they are
 * scored on. Here the files are split in two folds (alternating within each
 * category, so both halves see every kind of data); choices made on one fold
 * are scored on the other, normalised with that fold's own null and perfect
 * scores.
 */
import type { CostProfile, NabSeries, ProfileName } from './corpus.ts';
import { normalizeScore, nullDetectorScore, optimizeThreshold, scoreRunsAt, type DetectorRun } from './score-corpus.ts';

export type Fold = 0 | 1;

/** Fold of every series: alternating in key order within each category. */
export function assignFolds(series: readonly NabSeries[]): Map<string, Fold> {
  const folds = new Map<string, Fold>();
  const byCategory = new Map<string, string[]>();
  for (const s of series) byCategory.set(s.category, [...(byCategory.get(s.category) ?? []), s.key]);
  for (const keys of byCategory.values()) [...keys].sort().forEach((k, i) => folds.set(k, (i % 2) as Fold));
  return folds;
}

function foldRuns(runs: readonly DetectorRun[], folds: Map<string, Fold>, fold: Fold): DetectorRun[] {
  return runs.filter((r) => folds.get(r.series.key) === fold);
}

/** Normalised score of `runs` at a given threshold, relative to these runs' own windows. */
export function normalizedAt(runs: readonly DetectorRun[], profile: CostProfile, threshold: number): number {
  const raw = scoreRunsAt(runs, profile, threshold).reduce((s, f) => s + f.score, 0);
  const windows = runs.reduce((s, r) => s + r.series.windows.length, 0);
  return normalizeScore(raw, nullDetectorScore(runs, profile), profile.tpWeight * windows);
}

export interface ThresholdTransfer {
  readonly profile: ProfileName;
  readonly fold: Fold;
  /** Threshold optimised on the fold itself, and the score it gives there. */
  readonly inFoldThreshold: number;
  readonly inFold: number;
  /** Threshold optimised on the other fold, and the score it gives on this one. */
  readonly transferredThreshold: number;
  readonly transferred: number;
}

export function thresholdTransfer(runs: readonly DetectorRun[], profiles: readonly CostProfile[]): ThresholdTransfer[] {
  const folds = assignFolds(runs.map((r) => r.series));
  const out: ThresholdTransfer[] = [];
  for (const profile of profiles) {
    for (const fold of [0, 1] as const) {
      const test = foldRuns(runs, folds, fold);
      const train = foldRuns(runs, folds, fold === 0 ? 1 : 0);
      const inFoldThreshold = optimizeThreshold(test, profile).threshold;
      const transferredThreshold = optimizeThreshold(train, profile).threshold;
      out.push({
        profile: profile.name,
        fold,
        inFoldThreshold,
        inFold: normalizedAt(test, profile, inFoldThreshold),
        transferredThreshold,
        transferred: normalizedAt(test, profile, transferredThreshold),
      });
    }
  }
  return out;
}

export interface CandidateRuns {
  readonly name: string;
  readonly runs: readonly DetectorRun[];
}

export interface SelectionOutcome {
  readonly fold: Fold;
  /** Candidate with the best score on the other fold (its threshold optimised there too). */
  readonly chosen: string;
  readonly trainScore: number;
  /** The chosen candidate on this fold, at the threshold from the other fold. */
  readonly heldOut: number;
  /** Best any candidate reaches in-fold on this fold (what selecting on the test data would give). */
  readonly oracle: number;
}

/** Parameter selection on one fold, scored on the other (standard profile by default). */
export function selectionCrossValidation(candidates: readonly CandidateRuns[], profile: CostProfile): SelectionOutcome[] {
  const first = candidates[0];
  if (first === undefined) return [];
  const folds = assignFolds(first.runs.map((r) => r.series));
  return ([0, 1] as const).map((fold) => {
    const trainFold: Fold = fold === 0 ? 1 : 0;
    const scored = candidates.map((c) => {
      const train = foldRuns(c.runs, folds, trainFold);
      const t = optimizeThreshold(train, profile).threshold;
      const test = foldRuns(c.runs, folds, fold);
      return {
        name: c.name,
        trainScore: normalizedAt(train, profile, t),
        heldOut: normalizedAt(test, profile, t),
        inFoldTest: normalizedAt(test, profile, optimizeThreshold(test, profile).threshold),
      };
    });
    const best = scored.reduce((a, b) => (b.trainScore > a.trainScore ? b : a));
    return {
      fold,
      chosen: best.name,
      trainScore: best.trainScore,
      heldOut: best.heldOut,
      oracle: Math.max(...scored.map((s) => s.inFoldTest)),
    };
  });
}
