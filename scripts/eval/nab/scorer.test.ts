import { describe, expect, it } from 'vitest';
import type { CostProfile, NabSeries } from './corpus.ts';
import { normalizeTimestamp } from './corpus.ts';
import { analyzeRun } from './loss-analysis.ts';
import { probationLength, rowWeights, scaledSigmoid } from './row-weights.ts';
import { fileRows, scoreCorpus } from './score-corpus.ts';
import { bestThreshold, scoreAtThreshold, sweepThresholds } from './sweep.ts';

const standard: CostProfile = { name: 'standard', tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const lowFn: CostProfile = { name: 'reward_low_FN_rate', tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

/** 20 rows, probation 3 rows, one window on rows 10..13 (width 4). */
function toySeries(): NabSeries {
  return {
    key: 'toy/toy.csv',
    category: 'toy',
    name: 'toy',
    timestamps: Array.from({ length: 20 }, (_, i) => `t${i}`),
    values: new Array<number>(20).fill(0),
    windows: [{ start: 10, end: 13 }],
  };
}

describe('NAB scaled sigmoid and probation', () => {
  it('matches the published reference values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.01)).toBe(-1);
  });

  it('uses 15% of the file, capped at 750 rows', () => {
    expect(probationLength(20)).toBe(3);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(22695)).toBe(750);
  });

  it('normalises window timestamps', () => {
    expect(normalizeTimestamp('2014-04-10 07:15:00.000000')).toBe('2014-04-10 07:15:00');
  });
});

describe('NAB row weights', () => {
  const { weights, window } = rowWeights(20, toySeries().windows, standard);
  const s = (y: number): number => scaledSigmoid(y) / scaledSigmoid(-1);

  it('charges A_FP before any window', () => {
    expect(weights[0]).toBeCloseTo(-0.11, 15);
    expect(weights[9]).toBeCloseTo(-0.11, 15);
  });

  it('credits A_TP at a window start, decaying towards its end', () => {
    expect(weights[10]).toBeCloseTo(1, 15); // y = -1
    expect(weights[11]).toBeCloseTo(s(-0.75), 15);
    expect(weights[12]).toBeCloseTo(0.859793, 6); // sigma(-0.5) / sigma(-1)
    expect(weights[13]).toBeCloseTo(s(-0.25), 15);
    expect([...window.slice(9, 15)]).toEqual([-1, 0, 0, 0, 0, -1]);
  });

  it('charges less for a false positive right after a window', () => {
    // y = |14 - 13| / (4 - 1)
    expect(weights[14]).toBeCloseTo(0.11 * scaledSigmoid(1 / 3), 15);
    expect(weights[14]).toBeCloseTo(-0.07505, 5);
  });
});

describe('NAB threshold sweep', () => {
  const series = toySeries();
  const scores = new Array<number>(20).fill(0);
  scores[1] = 1; // probation: ignored
  scores[5] = 0.9; // FP before the window
  scores[12] = 0.8; // inside, at the window's middle
  scores[14] = 0.8; // FP right after the window
  scores[11] = 0.6; // inside, earlier than row 12
  const rows = fileRows({ series, scores }, standard);
  const w = rowWeights(20, series.windows, standard).weights;

  it('records one candidate per distinct score, starting at 1.1', () => {
    const c = sweepThresholds(rows, standard);
    expect(c.map((x) => x.threshold)).toEqual([1.1, 0.9, 0.8, 0.6, 0]);
    expect(c[0]).toEqual({ threshold: 1.1, score: -1, tp: 0, tn: 13, fp: 0, fn: 4 });
    expect(c[1]?.score).toBeCloseTo(-1.11, 12);
    // window found at row 12 (+1 for the FN undone, + its weight), FP after the window
    expect(c[2]?.score).toBeCloseTo(-0.11 + (w[12] as number) + (w[14] as number), 12);
    // row 11 is earlier: only the window's best detection counts
    expect(c[3]?.score).toBeCloseTo(-0.11 + (w[11] as number) + (w[14] as number), 12);
    expect(c[3]).toMatchObject({ tp: 2, fp: 2, fn: 2, tn: 11 });
    expect(bestThreshold(c).threshold).toBe(0.6);
  });

  it('scores a fixed threshold like the sweep', () => {
    expect(scoreAtThreshold(rows, standard, 0.6).score).toBeCloseTo(sweepThresholds(rows, standard)[3]?.score as number, 12);
  });

  it('decomposes the loss: perfect - late - missed - FP = score', () => {
    const l = analyzeRun({ series, scores }, standard, 0.6);
    expect(l.score).toBeCloseTo(scoreAtThreshold(rows, standard, 0.6).score, 12);
    expect(1 - l.lossLate - l.lossMissed - l.lossFp).toBeCloseTo(l.score, 12);
  });

  it('normalises between the null and the perfect detector', () => {
    const [std, fn] = scoreCorpus([{ series, scores }], [standard, lowFn], 1);
    // The null detector (0.5 everywhere) is optimised too: on this tiny file flagging every row
    // (window found at its first row, 13 FPs) beats flagging none (-1).
    const fpAll = [3, 4, 5, 6, 7, 8, 9, 14, 15, 16, 17, 18, 19].reduce((sum, i) => sum + (w[i] as number), 0);
    expect(std?.nullScore).toBeCloseTo(Math.max(-1, 1 + fpAll), 12);
    expect(std?.perfectScore).toBe(1);
    const nullScore = std?.nullScore ?? NaN;
    expect(std?.normalized).toBeCloseTo((100 * ((std?.totals.score ?? 0) - nullScore)) / (1 - nullScore), 12);
    expect(fn?.nullScore).toBeCloseTo(Math.max(-2, 1 + fpAll), 12);
  });

  it('rejects scores outside [0, 1], as NAB does', () => {
    const bad = [...scores];
    bad[7] = 1.5;
    expect(() => sweepThresholds(fileRows({ series, scores: bad }, standard), standard)).toThrow(/\[0, 1\]/);
  });
});
