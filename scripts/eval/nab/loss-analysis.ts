/**
 * Where a detector loses NAB points. Against the perfect detector (A_TP per
 * window), a run at threshold t loses
 *   late:   A_TP - s(first detection)   per detected window  (detected after the window's start)
 *   missed: A_TP + A_FN                 per window without detection
 *   FP:     -s(i)                       per detected row outside windows
 * so  score = perfect - late - missed - FP  (windows fully inside the
 * probation period, if any, count as missed: NAB's perfect score counts them).
 */
import type { CostProfile } from './corpus.ts';
import { probationLength, rowWeights } from './row-weights.ts';
import type { DetectorRun } from './score-corpus.ts';

export interface WindowOutcome {
  readonly start: number;
  readonly end: number;
  /** Row of the first (scored) detection inside the window, or null. */
  readonly firstDetection: number | null;
  /** Weight earned (s of the first detection), or -A_FN. */
  readonly credit: number;
}

export interface RunLoss {
  readonly key: string;
  readonly category: string;
  readonly windows: readonly WindowOutcome[];
  readonly fpRows: number;
  readonly tpRows: number;
  readonly lossLate: number;
  readonly lossMissed: number;
  readonly lossFp: number;
  readonly score: number;
}

export function analyzeRun(run: DetectorRun, profile: CostProfile, threshold: number): RunLoss {
  const n = run.series.values.length;
  const probation = probationLength(n);
  const { weights, window } = rowWeights(n, run.series.windows, profile);
  const windows = run.series.windows.map((w): WindowOutcome => {
    for (let i = Math.max(w.start, probation); i <= w.end; i++) {
      if ((run.scores[i] as number) >= threshold) return { ...w, firstDetection: i, credit: weights[i] as number };
    }
    return { ...w, firstDetection: null, credit: -profile.fnWeight };
  });
  let fpRows = 0;
  let tpRows = 0;
  let fpCost = 0;
  for (let i = probation; i < n; i++) {
    if ((run.scores[i] as number) < threshold) continue;
    if ((window[i] as number) >= 0) tpRows++;
    else {
      fpRows++;
      fpCost += weights[i] as number;
    }
  }
  const detected = windows.filter((w) => w.firstDetection !== null);
  const missed = windows.length - detected.length;
  return {
    key: run.series.key,
    category: run.series.category,
    windows,
    fpRows,
    tpRows,
    lossLate: detected.reduce((s, w) => s + profile.tpWeight - w.credit, 0),
    lossMissed: missed * (profile.tpWeight + profile.fnWeight),
    lossFp: -fpCost,
    score: windows.reduce((s, w) => s + w.credit, 0) + fpCost,
  };
}

export interface CategoryLoss {
  readonly category: string;
  readonly files: number;
  readonly windows: number;
  readonly detected: number;
  readonly fpRows: number;
  readonly tpRows: number;
  readonly score: number;
  readonly lossLate: number;
  readonly lossMissed: number;
  readonly lossFp: number;
}

export function lossByCategory(losses: readonly RunLoss[]): CategoryLoss[] {
  const byCategory = new Map<string, CategoryLoss>();
  for (const l of losses) {
    const c = byCategory.get(l.category) ?? {
      category: l.category,
      files: 0,
      windows: 0,
      detected: 0,
      fpRows: 0,
      tpRows: 0,
      score: 0,
      lossLate: 0,
      lossMissed: 0,
      lossFp: 0,
    };
    byCategory.set(l.category, {
      ...c,
      files: c.files + 1,
      windows: c.windows + l.windows.length,
      detected: c.detected + l.windows.filter((w) => w.firstDetection !== null).length,
      fpRows: c.fpRows + l.fpRows,
      tpRows: c.tpRows + l.tpRows,
      score: c.score + l.score,
      lossLate: c.lossLate + l.lossLate,
      lossMissed: c.lossMissed + l.lossMissed,
      lossFp: c.lossFp + l.lossFp,
    });
  }
  return [...byCategory.values()];
}
