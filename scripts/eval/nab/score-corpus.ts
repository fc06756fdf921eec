/**
 * NAB corpus scoring: per profile, optimise one threshold over all files
 * together, score each file at that threshold, sum, and normalise:
 *
 *   final = 100 * (S_det - S_null) / (S_perfect - S_null)
 *
 * S_null is the null detector's total (constant 0.5 scores, optimised the same
 * way: it detects nothing, so S_null = -A_FN * #windows); S_perfect = A_TP * the
 * number of entries of combined_windows.json (116), as NAB counts it.
 */
import type { CostProfile, NabSeries, ProfileName } from './corpus.ts';
import { NabDataError } from './errors.ts';
import { probationLength, rowWeights } from './row-weights.ts';
import { bestThreshold, scoreAtThreshold, sweepThresholds, type ScoredRows, type ThresholdOutcome } from './sweep.ts';

export interface DetectorRun {
  readonly series: NabSeries;
  /** One anomaly score in [0, 1] per row of the series. */
  readonly scores: ArrayLike<number>;
}

export interface FileOutcome extends ThresholdOutcome {
  readonly key: string;
  readonly category: string;
  /** Windows of the file with at least one scored (non-probation) row. */
  readonly windows: number;
  /** Of those, windows with a detection. */
  readonly windowsDetected: number;
  readonly rows: number;
}

export interface ProfileResult {
  readonly profile: CostProfile;
  readonly threshold: number;
  readonly totals: ThresholdOutcome;
  readonly nullScore: number;
  readonly perfectScore: number;
  readonly normalized: number;
  readonly files: readonly FileOutcome[];
}

export interface ScoreCorpusOptions {
  /** Use these thresholds instead of optimising (e.g. the published ones, or ones tuned on other files). */
  readonly thresholds?: Partial<Record<ProfileName, number>>;
}

/** The scored (non-probation) rows of one file; window ids are offset so they stay unique in a corpus. */
export function fileRows(run: DetectorRun, profile: CostProfile, windowIdOffset = 0): ScoredRows {
  const n = run.series.values.length;
  if (run.scores.length !== n) {
    throw new NabDataError(`${run.series.key}: ${run.scores.length} scores for ${n} rows`, { key: run.series.key });
  }
  const { weights, window } = rowWeights(n, run.series.windows, profile);
  const from = probationLength(n);
  const first = Math.ceil(from);
  const scores = new Float64Array(n - first);
  for (let i = first; i < n; i++) scores[i - first] = run.scores[i] as number;
  const ids = window.slice(first).map((w) => (w >= 0 ? w + windowIdOffset : -1));
  return { scores, weights: weights.slice(first), window: ids };
}

function concatRows(parts: readonly ScoredRows[]): ScoredRows {
  const total = parts.reduce((s, p) => s + p.scores.length, 0);
  const scores = new Float64Array(total);
  const weights = new Float64Array(total);
  const window = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    scores.set(Array.from(p.scores), at);
    weights.set(Array.from(p.weights), at);
    window.set(Array.from(p.window), at);
    at += p.scores.length;
  }
  return { scores, weights, window };
}

function windowOffsets(runs: readonly DetectorRun[]): number[] {
  let offset = 0;
  return runs.map((r) => {
    const o = offset;
    offset += r.series.windows.length;
    return o;
  });
}

/** Optimised threshold over all runs (NAB's optimizeThreshold). */
export function optimizeThreshold(runs: readonly DetectorRun[], profile: CostProfile): ThresholdOutcome {
  const offsets = windowOffsets(runs);
  const rows = concatRows(runs.map((r, i) => fileRows(r, profile, offsets[i])));
  return bestThreshold(sweepThresholds(rows, profile));
}

function scoreFile(run: DetectorRun, profile: CostProfile, threshold: number): FileOutcome {
  const rows = fileRows(run, profile);
  const outcome = scoreAtThreshold(rows, profile, threshold);
  const windows = new Set<number>();
  const detected = new Set<number>();
  for (let i = 0; i < rows.window.length; i++) {
    const w = rows.window[i] as number;
    if (w < 0) continue;
    windows.add(w);
    if ((rows.scores[i] as number) >= threshold) detected.add(w);
  }
  return {
    ...outcome,
    key: run.series.key,
    category: run.series.category,
    windows: windows.size,
    windowsDetected: detected.size,
    rows: run.series.values.length,
  };
}

function sumOutcomes(threshold: number, files: readonly ThresholdOutcome[]): ThresholdOutcome {
  const zero = { threshold, score: 0, tp: 0, tn: 0, fp: 0, fn: 0 };
  return files.reduce(
    (t, f) => ({ threshold, score: t.score + f.score, tp: t.tp + f.tp, tn: t.tn + f.tn, fp: t.fp + f.fp, fn: t.fn + f.fn }),
    zero,
  );
}

/** Raw corpus total of a detector at a threshold (NAB's scoreCorpus Totals row). */
export function scoreRunsAt(runs: readonly DetectorRun[], profile: CostProfile, threshold: number): FileOutcome[] {
  return runs.map((r) => scoreFile(r, profile, threshold));
}

export function nullDetectorScore(runs: readonly DetectorRun[], profile: CostProfile): number {
  const nullRuns = runs.map((r) => ({ series: r.series, scores: new Float64Array(r.series.values.length).fill(0.5) }));
  const t = optimizeThreshold(nullRuns, profile).threshold;
  return sumOutcomes(t, scoreRunsAt(nullRuns, profile, t)).score;
}

export function normalizeScore(raw: number, nullScore: number, perfectScore: number): number {
  return (100 * (raw - nullScore)) / (perfectScore - nullScore);
}

export function scoreCorpus(
  runs: readonly DetectorRun[],
  profiles: readonly CostProfile[],
  windowCount: number,
  options: ScoreCorpusOptions = {},
): ProfileResult[] {
  return profiles.map((profile) => {
    const threshold = options.thresholds?.[profile.name] ?? optimizeThreshold(runs, profile).threshold;
    const files = scoreRunsAt(runs, profile, threshold);
    const totals = sumOutcomes(threshold, files);
    const nullScore = nullDetectorScore(runs, profile);
    const perfectScore = profile.tpWeight * windowCount;
    return {
      profile,
      threshold,
      totals,
      nullScore,
      perfectScore,
      normalized: normalizeScore(totals.score, nullScore, perfectScore),
      files,
    };
  });
}
