/**
 * Token-like daily series with injected anomalies at known days, fully
 * determined by a seed. A series is 180 UTC days; each day has a total and
 * its cumulative value at the end of every hour (what the stream's window
 * updates report).
 *
 *   log total_t = log L0 + trend * t + weekday offset + sigma * t3 noise  (heavy tails)
 *   hour shares  ~ diurnal curve 1 + A cos(2 pi (h - peak) / 24) with log-normal noise per hour
 *
 * Injected (non-overlapping, at least 4 days apart, after day 20):
 *   spike        extra volume (factor 3-8 of a normal day) in a burst of 1-4 hours
 *                starting at a random hour (an event, not a uniformly busier day)
 *   drop         the whole day scaled by 0.1-0.4 (a quiet or broken day)
 *   level shift  every day from then on scaled by 2.5-4 or 0.25-0.4 (listing, delisting...)
 */
import { mulberry32, normal, randomInt, studentT, type Random } from '../../../processors/anomalies/lib/prng.ts';
import { addDays } from '../../../core/time.ts';

export type InjectedKind = 'spike' | 'drop' | 'level_shift';

export interface InjectedAnomaly {
  readonly kind: InjectedKind;
  /** Index of the day in the series. */
  readonly dayIndex: number;
  readonly factor: number;
  /** First hour of the burst (spikes only). */
  readonly startHour: number | null;
}

export interface SyntheticSeries {
  readonly id: string;
  readonly days: readonly string[];
  readonly totals: readonly number[];
  /** hourly[d][h]: cumulative value of day d at the end of hour h (h = 0..23). */
  readonly hourly: readonly (readonly number[])[];
  readonly anomalies: readonly InjectedAnomaly[];
  /** log of each day's total without noise and without spikes/drops (level shifts included): what an oracle would predict. */
  readonly cleanLog: readonly number[];
  /** Generator parameters drawn for this series (documentation of the difficulty). */
  readonly traits: { readonly weeklyAmplitude: number; readonly noiseSigma: number; readonly trendPerDay: number };
}

export interface GeneratorParams {
  readonly days: number;
  readonly spikes: number;
  readonly drops: number;
  readonly levelShifts: number;
  readonly startDay: string;
}

export const DEFAULT_GENERATOR_PARAMS: GeneratorParams = {
  days: 180,
  spikes: 2,
  drops: 2,
  levelShifts: 1,
  startDay: '2025-01-01',
};

/** Weekday shape (Sunday first): quiet weekends, busy mid-week. */
const WEEKLY_SHAPE = [-1, 0.3, 0.4, 0.4, 0.35, 0.2, -0.65];

function uniform(rnd: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rnd();
}

/** Picks `count` distinct days in [from, to] at least `gap` apart. */
function pickDays(rnd: Random, count: number, from: number, to: number, gap: number, taken: number[]): number[] {
  const out: number[] = [];
  for (let attempt = 0; out.length < count && attempt < 10_000; attempt++) {
    const d = randomInt(rnd, from, to);
    if ([...taken, ...out].every((t) => Math.abs(t - d) >= gap)) out.push(d);
  }
  return out;
}

export function generateSeries(seed: number, params: GeneratorParams = DEFAULT_GENERATOR_PARAMS): SyntheticSeries {
  const rnd = mulberry32(seed);
  const level0 = Math.exp(uniform(rnd, Math.log(1e3), Math.log(1e6)));
  const trendPerDay = normal(rnd) * 0.003;
  const weeklyAmplitude = uniform(rnd, 0, 0.5);
  const noiseSigma = uniform(rnd, 0.08, 0.2);
  const diurnalAmplitude = uniform(rnd, 0.3, 0.8);
  const peakHour = uniform(rnd, 10, 18);

  // Level shifts late (so point anomalies are judged against a clean regime), point anomalies before.
  const shiftDays = pickDays(rnd, params.levelShifts, Math.floor(params.days * 0.65), params.days - 20, 10, []);
  const lastPoint = shiftDays.length > 0 ? Math.min(...shiftDays) - 5 : params.days - 1;
  const pointDays = pickDays(rnd, params.spikes + params.drops, 20, lastPoint, 4, shiftDays);
  const anomalies: InjectedAnomaly[] = [
    ...pointDays.slice(0, params.spikes).map((d) => ({
      kind: 'spike' as const,
      dayIndex: d,
      factor: uniform(rnd, 3, 8),
      startHour: randomInt(rnd, 0, 20),
    })),
    ...pointDays
      .slice(params.spikes)
      .map((d) => ({ kind: 'drop' as const, dayIndex: d, factor: uniform(rnd, 0.1, 0.4), startHour: null })),
    ...shiftDays.map((d) => ({
      kind: 'level_shift' as const,
      dayIndex: d,
      factor: rnd() < 0.5 ? uniform(rnd, 2.5, 4) : uniform(rnd, 0.25, 0.4),
      startHour: null,
    })),
  ].sort((a, b) => a.dayIndex - b.dayIndex);

  const days: string[] = [];
  const totals: number[] = [];
  const hourly: number[][] = [];
  const cleanLog: number[] = [];
  for (let t = 0; t < params.days; t++) {
    const day = addDays(params.startDay, t);
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    let clean = Math.log(level0) + trendPerDay * t + weeklyAmplitude * (WEEKLY_SHAPE[dow] as number);
    for (const a of anomalies) if (a.kind === 'level_shift' && t >= a.dayIndex) clean += Math.log(a.factor);
    cleanLog.push(clean);
    const logTotal = clean + noiseSigma * studentT(rnd, 3);
    let total = Math.exp(logTotal);

    const weights = Array.from(
      { length: 24 },
      (_, h) =>
        Math.max(0.05, 1 + diurnalAmplitude * Math.cos((2 * Math.PI * (h - peakHour)) / 24)) * Math.exp(0.3 * normal(rnd)),
    );
    const wSum = weights.reduce((a, b) => a + b, 0);
    const increments = weights.map((w) => (total * w) / wSum);

    const anomaly = anomalies.find((a) => a.dayIndex === t && a.kind !== 'level_shift');
    const burstStart = anomaly?.startHour ?? null;
    if (anomaly?.kind === 'spike' && burstStart !== null) {
      const extra = (anomaly.factor - 1) * total;
      const burst = randomInt(rnd, 1, 4);
      const hours = Array.from({ length: burst }, (_, i) => Math.min(23, burstStart + i));
      for (const h of hours) increments[h] = (increments[h] as number) + extra / burst;
      total += extra;
    } else if (anomaly?.kind === 'drop') {
      for (let h = 0; h < 24; h++) increments[h] = (increments[h] as number) * anomaly.factor;
      total *= anomaly.factor;
    }
    let cumulative = 0;
    hourly.push(increments.map((x) => (cumulative += x)));
    totals.push(total);
    days.push(day);
  }
  return {
    id: `series-${seed}`,
    days,
    totals,
    hourly,
    anomalies,
    cleanLog,
    traits: { weeklyAmplitude, noiseSigma, trendPerDay },
  };
}
