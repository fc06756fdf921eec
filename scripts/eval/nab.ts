/**
 * NAB evaluation of the Oracul streaming detector.
 *
 *   npx tsx scripts/eval/nab.ts [--nab ../shared/data/nab] [--out .infra/eval/nab] [--cv]
 *
 * Runs the detector point by point over every NAB series, scores it with the
 * NAB scorer of scripts/eval/nab/ (three profiles, thresholds optimised over
 * the corpus as NAB does), prints it next to the published scoreboard, shows
 * where points are lost, and writes NAB-format result files under --out.
 * --cv adds the sensitivity study and the leave-half-out checks.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_STREAMING_PARAMS } from '../../processors/anomalies/detector/params.ts';
import { loadNabCorpus, loadProfiles, PROFILE_NAMES, type NabCorpus } from './nab/corpus.ts';
import { selectionCrossValidation, thresholdTransfer } from './nab/cross-validation.ts';
import { analyzeRun, lossByCategory } from './nab/loss-analysis.ts';
import { loadScoreboard } from './nab/published.ts';
import { writeNabResults } from './nab/results-writer.ts';
import { runStreamingDetector, type StreamingRun } from './nab/run-detector.ts';
import { scoreCorpus, type ProfileResult } from './nab/score-corpus.ts';
import { PARAM_VARIANTS } from './nab/variants.ts';

const DETECTOR = 'oracul';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: resolve(repoRoot, '..', 'shared', 'data', 'nab') },
    out: { type: 'string', default: join(repoRoot, '.infra', 'eval', 'nab') },
    cv: { type: 'boolean', default: false },
  },
});
const nabDir = args.nab;
const outDir = args.out;

const f2 = (x: number): string => x.toFixed(2);
const pad = (s: string | number, n: number): string => String(s).padStart(n);
const padEnd = (s: string | number, n: number): string => String(s).padEnd(n);

function runAll(corpus: NabCorpus, params = DEFAULT_STREAMING_PARAMS): StreamingRun[] {
  return corpus.series.map((s) => runStreamingDetector(s, params));
}

function printScoreboard(results: readonly ProfileResult[], published: Map<string, Record<string, number>>): void {
  const ours = Object.fromEntries(results.map((r) => [r.profile.name, r.normalized]));
  const rows = [...published.entries()]
    .filter(([det]) => det !== 'null')
    .map(([det, s]) => ({ det, s, mine: false }))
    .concat([{ det: `${DETECTOR} (this run)`, s: ours, mine: true }])
    .sort((a, b) => (b.s.standard ?? 0) - (a.s.standard ?? 0));
  console.log('\nNAB scoreboard (normalised: null detector = 0, perfect = 100)');
  console.log(`  ${padEnd('detector', 22)}${PROFILE_NAMES.map((p) => pad(p, 20)).join('')}`);
  for (const r of rows) {
    const mark = r.mine ? '> ' : '  ';
    console.log(`${mark}${padEnd(r.det, 22)}${PROFILE_NAMES.map((p) => pad(f2(r.s[p] ?? NaN), 20)).join('')}`);
  }
}

function printTotals(results: readonly ProfileResult[]): void {
  console.log('\nPer profile (threshold optimised over the corpus; TP/FP/FN/TN are rows, as NAB counts them)');
  console.log(
    `  ${padEnd('profile', 20)}${pad('threshold', 10)}${pad('raw', 9)}${pad('null', 8)}${pad('perfect', 8)}${pad('final', 8)}` +
      `${pad('windows hit', 13)}${pad('TP', 6)}${pad('FP', 6)}${pad('FN', 7)}${pad('TN', 8)}`,
  );
  for (const r of results) {
    const hit = r.files.reduce((s, f) => s + f.windowsDetected, 0);
    console.log(
      `  ${padEnd(r.profile.name, 20)}${pad(r.threshold.toFixed(4), 10)}${pad(f2(r.totals.score), 9)}${pad(r.nullScore, 8)}` +
        `${pad(r.perfectScore, 8)}${pad(f2(r.normalized), 8)}${pad(`${hit}/${r.perfectScore / r.profile.tpWeight}`, 13)}` +
        `${pad(r.totals.tp, 6)}${pad(r.totals.fp, 6)}${pad(r.totals.fn, 7)}${pad(r.totals.tn, 8)}`,
    );
  }
}

function printLosses(runs: readonly StreamingRun[], standard: ProfileResult): void {
  const losses = runs.map((r) => analyzeRun(r, standard.profile, standard.threshold));
  const cats = lossByCategory(losses);
  const total = cats.reduce((t, c) => ({ late: t.late + c.lossLate, missed: t.missed + c.lossMissed, fp: t.fp + c.lossFp }), {
    late: 0,
    missed: 0,
    fp: 0,
  });
  console.log(`\nWhere the standard score loses points (raw points below perfect; threshold ${standard.threshold.toFixed(4)})`);
  console.log(
    `  ${padEnd('category', 24)}${pad('files', 6)}${pad('windows', 9)}${pad('hit', 5)}${pad('FP rows', 9)}${pad('raw', 8)}` +
      `${pad('late', 8)}${pad('missed', 8)}${pad('FP', 8)}`,
  );
  for (const c of cats) {
    console.log(
      `  ${padEnd(c.category, 24)}${pad(c.files, 6)}${pad(c.windows, 9)}${pad(c.detected, 5)}${pad(c.fpRows, 9)}${pad(f2(c.score), 8)}` +
        `${pad(f2(c.lossLate), 8)}${pad(f2(c.lossMissed), 8)}${pad(f2(c.lossFp), 8)}`,
    );
  }
  console.log(
    `  ${padEnd('total', 24)}${pad('', 6)}${pad('', 9)}${pad('', 5)}${pad('', 9)}${pad(f2(standard.totals.score), 8)}` +
      `${pad(f2(total.late), 8)}${pad(f2(total.missed), 8)}${pad(f2(total.fp), 8)}`,
  );
  console.log(
    `  (each missed window costs A_TP + A_FN = 2; "late" is A_TP minus the sigmoid credit of a detection after the window's start;` +
      ` 1 raw point = ${f2(100 / (standard.perfectScore - standard.nullScore))} normalised points)`,
  );

  console.log('\nMissed windows (standard profile)');
  for (const l of losses) {
    const missed = l.windows.filter((w) => w.firstDetection === null);
    if (missed.length === 0) continue;
    const run = runs.find((r) => r.series.key === l.key) as StreamingRun;
    const spans = missed.map((w) => `[${run.series.timestamps[w.start]} .. ${run.series.timestamps[w.end]}]`);
    console.log(`  ${padEnd(l.key, 58)} ${spans.join(' ')}`);
  }

  const attribution = new Map<string, { first: number; fp: number }>();
  for (const run of runs) {
    const l = losses.find((x) => x.key === run.series.key);
    const firsts = new Set(l?.windows.map((w) => w.firstDetection).filter((i): i is number => i !== null));
    const inWindow = (i: number): boolean => run.series.windows.some((w) => i >= w.start && i <= w.end);
    const from = Math.min(Math.floor(0.15 * run.scores.length), 750);
    for (let i = from; i < run.scores.length; i++) {
      if ((run.scores[i] as number) < standard.threshold) continue;
      const f = run.features[i] ?? 'none';
      const a = attribution.get(f) ?? { first: 0, fp: 0 };
      if (firsts.has(i)) a.first++;
      else if (!inWindow(i)) a.fp++;
      attribution.set(f, a);
    }
  }
  console.log('\nWhich feature raised the alarms (standard profile): first detections in a window / false-positive rows');
  for (const [f, a] of attribution) console.log(`  ${padEnd(f, 10)} ${pad(a.first, 4)} / ${pad(a.fp, 4)}`);
}

async function crossValidate(
  corpus: NabCorpus,
  runs: readonly StreamingRun[],
  profiles: Awaited<ReturnType<typeof loadProfiles>>,
) {
  console.log('\nLeave-half-out: threshold optimised on one half of the files, scored on the other half');
  console.log(`  ${padEnd('profile', 20)}${pad('fold', 5)}${pad('in-fold', 10)}${pad('transferred', 13)}`);
  for (const t of thresholdTransfer(runs, profiles)) {
    console.log(`  ${padEnd(t.profile, 20)}${pad(t.fold, 5)}${pad(f2(t.inFold), 10)}${pad(f2(t.transferred), 13)}`);
  }
  const standard = profiles.find((p) => p.name === 'standard');
  if (standard === undefined) return;
  console.log('\nSensitivity: one parameter at a time, full corpus, standard profile');
  const candidates = PARAM_VARIANTS.map((v) => {
    const vr = v.name === 'default' ? runs : runAll(corpus, v.params);
    const score = scoreCorpus(vr, [standard], corpus.windowCount)[0] as ProfileResult;
    console.log(`  ${padEnd(v.name, 26)}${pad(f2(score.normalized), 8)}`);
    return { name: v.name, runs: vr };
  });
  console.log('\nLeave-half-out parameter selection among those variants (standard profile)');
  for (const s of selectionCrossValidation(candidates, standard)) {
    console.log(
      `  fold ${s.fold}: chosen on the other half: ${s.chosen} (${f2(s.trainScore)} there) -> ${f2(s.heldOut)} on this half` +
        ` (best any variant reaches here in-fold: ${f2(s.oracle)})`,
    );
  }
}

const started = Date.now();
const corpus = await loadNabCorpus(nabDir);
const profiles = await loadProfiles(nabDir);
const published = await loadScoreboard(nabDir);
const detectStart = process.hrtime.bigint();
const runs = runAll(corpus);
const detectNs = Number(process.hrtime.bigint() - detectStart);
const points = corpus.series.reduce((s, x) => s + x.values.length, 0);
const results = scoreCorpus(runs, profiles, corpus.windowCount);

console.log(`NAB corpus: ${corpus.series.length} series, ${points} points, ${corpus.windowCount} windows (${nabDir})`);
console.log(`Detector: ${DETECTOR} streaming detector, default parameters, ${f2(detectNs / points / 1000)} µs per point`);
printScoreboard(results, published);
printTotals(results);
printLosses(runs, results.find((r) => r.profile.name === 'standard') as ProfileResult);

const written = await writeNabResults(join(outDir, 'results'), DETECTOR, runs);
await mkdir(outDir, { recursive: true });
const summary = Object.fromEntries(
  results.map((r) => [r.profile.name, { score: r.normalized, threshold: r.threshold, raw: r.totals.score }]),
);
await writeFile(
  join(outDir, 'summary.json'),
  `${JSON.stringify({ detector: DETECTOR, params: DEFAULT_STREAMING_PARAMS, summary }, null, 2)}\n`,
);
console.log(`\nWrote ${written.length} NAB result files under ${join(outDir, 'results', DETECTOR)} and summary.json`);

if (args.cv) await crossValidate(corpus, runs, profiles);
console.log(`\nDone in ${f2((Date.now() - started) / 1000)} s`);
