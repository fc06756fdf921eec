/**
 * Injected-anomaly evaluation of the daily scorer with intraday partials.
 *
 *   npx tsx scripts/eval/injected.ts [--series 200] [--seed 1]
 *
 * Generates token-like daily series (scripts/eval/injected/generator.ts),
 * replays each day as 23 hourly window updates plus the final record through
 * processors/anomalies/lib/daily-scorer.ts, and prints precision, recall, F1
 * and detection delays, with and without day-of-week handling.
 */
import { parseArgs } from 'node:util';
import type { DailyScorerParams } from '../../processors/anomalies/lib/daily-scorer.ts';
import { DEFAULT_SCORING_PARAMS } from '../../processors/anomalies/scoring/params.ts';
import { generateSeries } from './injected/generator.ts';
import { computeMetrics, type InjectedMetrics } from './injected/metrics.ts';
import { oracleCeiling } from './injected/oracle.ts';
import { simulateSeries } from './injected/simulate.ts';

const { values: args } = parseArgs({
  options: { series: { type: 'string', default: '200' }, seed: { type: 'string', default: '1' } },
});
const seriesCount = Number(args.series);
const firstSeed = Number(args.seed);

// The token scorer's own parameters (the stream's token class), so the evaluation scores what the stream runs.
const P = DEFAULT_SCORING_PARAMS.monotone;
const variants: { name: string; params: DailyScorerParams }[] = [
  { name: 'default (day-of-week on)', params: P },
  { name: 'day-of-week off', params: { ...P, baseline: { ...P.baseline, dayOfWeek: false } } },
  { name: 'closed days only (no intraday)', params: { ...P, intraday: { ...P.intraday, monotone: false } } },
];

const series = Array.from({ length: seriesCount }, (_, i) => generateSeries(firstSeed + i));
const f2 = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(2));
const f3 = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(3));
const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(0)}%`);

function report(name: string, m: InjectedMetrics): void {
  console.log(`\n== ${name}`);
  console.log(
    `spikes+drops: precision ${f3(m.precision)}  recall ${f3(m.recall)}  F1 ${f3(m.f1)}  (TP ${m.pointTp}, FN ${m.pointFn}, FP ${m.falsePositives} over ${m.scoredDays} scored days)`,
  );
  console.log(
    `  delay (hours from the day's start, 24 = at close): mean ${f2(m.pointDelays.mean)}  median ${f2(m.pointDelays.median)}  detected before close ${pct(m.pointDelays.beforeClose)}`,
  );
  for (const kind of ['spike', 'drop', 'level_shift'] as const) {
    const k = m[kind];
    console.log(
      `  ${kind.padEnd(12)} recall ${f3(k.recall)} (${k.detected}/${k.injected})  delay mean ${f2(k.meanDelay)} h  median ${f2(k.medianDelay)} h  before close ${pct(k.beforeClose)}`,
    );
  }
  console.log(
    `  days flagged after a level shift while the baseline still holds the old level: ${m.shiftAftermathFlagged}; open anomalies retracted at close: ${m.retractedOpen}`,
  );
}

const started = Date.now();
const traits = series.map((s) => s.traits);
console.log(
  `${series.length} series x ${series[0]?.days.length ?? 0} days (seeds ${firstSeed}..${firstSeed + series.length - 1}); ` +
    `weekly amplitude ${f2(Math.min(...traits.map((t) => t.weeklyAmplitude)))}..${f2(Math.max(...traits.map((t) => t.weeklyAmplitude)))} (log), ` +
    `noise sigma ${f2(Math.min(...traits.map((t) => t.noiseSigma)))}..${f2(Math.max(...traits.map((t) => t.noiseSigma)))} (log, Student t3)`,
);
console.log(
  `baseline: last ${P.baseline.historyDays} final days, min ${P.baseline.minHistoryDays}, bounds at robust z +/-${P.baseline.boundZ} (${P.baseline.transform}), ` +
    `drops projected after ${P.intraday.dropMinShare * 100}% of a typical day with share - ${P.intraday.dropShareZ} sd`,
);
const oracle = oracleCeiling(series, P.baseline.minHistoryDays);
console.log(
  `ceiling: an oracle knowing each day's clean level and noise scale reaches F1 ${f3(oracle.f1)} ` +
    `(precision ${f3(oracle.precision)}, recall ${f3(oracle.recall)} at |noise| > ${oracle.threshold} sigma)`,
);
for (const v of variants) {
  const runs = series.map((s) => ({ series: s, outcomes: simulateSeries(s, v.params) }));
  report(v.name, computeMetrics(runs, { shiftGraceDays: 3, shiftAftermathDays: v.params.baseline.historyDays }));
}
console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
