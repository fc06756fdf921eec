/**
 * Proof of the scorer: reproduces NAB's published per-file scores and final
 * scoreboard from the result files in ../shared/data/nab (skipped, with a
 * message, when that folder is absent).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, loadProfiles, loadResultScores, type CostProfile, type NabCorpus } from './corpus.ts';
import { loadPublishedScoreTable, loadPublishedThresholds, loadScoreboard } from './published.ts';
import { normalizeScore, scoreCorpus, scoreRunsAt } from './score-corpus.ts';
import { roundLikeNab, windowedGaussianScores } from './windowed-gaussian.ts';

const NAB_DIR = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', 'shared', 'data', 'nab');
const present = existsSync(join(NAB_DIR, 'labels', 'combined_windows.json'));
const title = present ? 'NAB scorer reproduces published scores' : `NAB reproduction SKIPPED: ${NAB_DIR} not found`;

/** Raw per-row results committed in the shared folder. */
const RAW_RESULTS: [detector: string, category: string][] = [
  ['windowedGaussian', 'realKnownCause'],
  ['windowedGaussian', 'artificialWithAnomaly'],
  ['numenta', 'artificialWithAnomaly'],
  ['null', 'artificialWithAnomaly'],
];

describe.skipIf(!present)(title, () => {
  let corpus: NabCorpus;
  let profiles: readonly CostProfile[];
  beforeAll(async () => {
    corpus = await loadNabCorpus(NAB_DIR);
    profiles = await loadProfiles(NAB_DIR);
  });

  it('loads 58 series and 116 windows', () => {
    expect(corpus.series).toHaveLength(58);
    expect(corpus.windowCount).toBe(116);
  });

  it.each(RAW_RESULTS)('per-file Score/TP/TN/FP/FN of %s on %s at the published thresholds', async (detector, category) => {
    const thresholds = (await loadPublishedThresholds(NAB_DIR)).get(detector);
    expect(thresholds).toBeDefined();
    const series = corpus.series.filter((s) => s.category === category);
    const runs = await Promise.all(
      series.map(async (s) => ({
        series: s,
        scores: await loadResultScores(join(NAB_DIR, 'results', detector, category, `${detector}_${s.name}.csv`), s),
      })),
    );
    for (const profile of profiles) {
      const published = await loadPublishedScoreTable(NAB_DIR, detector, profile.name);
      const ours = scoreRunsAt(runs, profile, thresholds?.[profile.name] as number);
      for (const f of ours) {
        const p = published.files.find((x) => x.file === f.key);
        expect(p, f.key).toBeDefined();
        expect(f.score, `${detector} ${profile.name} ${f.key}`).toBeCloseTo(p?.score as number, 9);
        expect([f.tp, f.tn, f.fp, f.fn]).toEqual([p?.tp, p?.tn, p?.fp, p?.fn]);
      }
    }
  });

  it('normalises every published Totals row to final_results.json (S_null = -A_FN * 116, S_perfect = 116)', async () => {
    const board = await loadScoreboard(NAB_DIR);
    let checked = 0;
    for (const [detector, scores] of board) {
      if (detector === 'random') continue; // NAB_SCORING.md: its scoreboard entry is a mean over seeds, not these files
      for (const profile of profiles) {
        const table = await loadPublishedScoreTable(NAB_DIR, detector, profile.name);
        const final = normalizeScore(table.totals.score, -profile.fnWeight * 116, profile.tpWeight * 116);
        expect(final, `${detector} ${profile.name}`).toBeCloseTo(scores[profile.name], 6);
        checked++;
      }
    }
    expect(checked).toBe(14 * 3);
    expect(board.get('numenta')?.standard).toBeCloseTo(70.1, 1);
  });

  it('regenerates windowedGaussian on all 58 files and reproduces 39.65 / 20.87 / 47.41 end to end', async () => {
    const runs = corpus.series.map((s) => ({ series: s, scores: windowedGaussianScores(s.values).map(roundLikeNab) }));
    // the regenerated scores match the committed raw results (to 12 significant digits)
    for (const category of ['realKnownCause', 'artificialWithAnomaly']) {
      for (const run of runs.filter((r) => r.series.category === category)) {
        const committed = await loadResultScores(
          join(NAB_DIR, 'results', 'windowedGaussian', category, `windowedGaussian_${run.series.name}.csv`),
          run.series,
        );
        const worst = committed.reduce((m, x, i) => Math.max(m, Math.abs(x - (run.scores[i] as number))), 0);
        expect(worst, run.series.key).toBeLessThan(1e-11);
      }
    }
    const results = scoreCorpus(runs, profiles, corpus.windowCount);
    const byName = Object.fromEntries(results.map((r) => [r.profile.name, r]));
    expect(byName.standard?.threshold).toBe(1);
    expect(byName.standard?.totals).toMatchObject({ tp: 521, tn: 298938, fp: 409, fn: 32974 });
    expect(byName.standard?.totals.score).toBeCloseTo(-24.0131054891, 8);
    expect(byName.reward_low_FP_rate?.totals.score).toBeCloseTo(-67.5863, 4);
    expect(byName.reward_low_FN_rate?.totals.score).toBeCloseTo(-67.0131, 4);
    const board = await loadScoreboard(NAB_DIR);
    for (const r of results) expect(r.normalized).toBeCloseTo(board.get('windowedGaussian')?.[r.profile.name] as number, 6);
  }, 120_000);
});
