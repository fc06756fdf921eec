/**
 * Parameters of the anomaly scoring processors, derived from the `anomalies` config section
 * (config/anomalies.yml, docs/anomaly-detection.md).
 */
import type { OraculConfig } from '../../../config/schema.ts';
import { DEFAULT_DAILY_BASELINE_PARAMS, validateDailyBaselineParams, type DailyBaselineParams } from '../lib/daily-baseline.ts';
import { DEFAULT_DAILY_SCORER_PARAMS, type DailyScorerParams } from '../lib/daily-scorer.ts';
import { DEFAULT_BURST_PARAMS, DEFAULT_INTRADAY_PARAMS } from '../lib/intraday.ts';
import { DEFAULT_TREND_MIN_DAYS } from '../lib/weekly-trend.ts';
import { DEFAULT_SEVERITY_THRESHOLDS, validateSeverityThresholds, type SeverityThresholds } from '../lib/severity.ts';

export interface TopNParams {
  /** Entities scored per task (0 = every entity, no ranking). */
  readonly topN: number;
  /** Candidates kept = topN * candidateFactor (Space-Saving table size). */
  readonly candidateFactor: number;
  /** Half-life, in days, of the USD volume that ranks entities. */
  readonly decayHalfLifeDays: number;
}

export interface AnomalyScoringParams {
  /** Baseline and intraday parameters of monotone metrics (volumes, counts): log1p scale, scored while the day runs. */
  readonly monotone: DailyScorerParams;
  /** Parameters of signed metrics (net flows): identity scale, closed days only. */
  readonly signed: DailyScorerParams;
  readonly severity: SeverityThresholds;
  /**
   * A monotone metric at `medium` or above whose day is at least this many times its baseline center (or at most
   * 1/this) is `high`: the size of the move, not only its improbability, is what makes it worth a page. Infinity
   * turns it off.
   */
  readonly highEffectRatio: number;
  /** An already emitted open anomaly gets a new version when its value moves by this fraction. */
  readonly valueChangeRatio: number;
  /** Days an anomaly id is remembered after its day (detected_at and last version survive re-emissions within it). */
  readonly stateRetentionDays: number;
  readonly topN: TopNParams;
}

export type EntityKind = 'tokens' | 'addresses';

/**
 * Floor on the spread of monotone metrics (log1p scale) per entity kind: how regular a day can be proven to be from
 * 14-60 days. Tokens 0.15 (day-to-day ±16 %): on the injected data it removes 43 of 212 false days (quiet series
 * whose heavy-tailed noise made a ±0.5 log move look like z 5) and loses no detection (scripts/eval/injected.ts).
 * An (address, token) pair's day is a handful of log-normally sized transfers: 0.3 (±35 %), so a quiet stretch of a
 * sparse address does not make an ordinary day look like z 10 (scripts/eval/devnet.ts).
 */
export const MONOTONE_MIN_SPREAD: Readonly<Record<EntityKind, number>> = { tokens: 0.15, addresses: 0.3 };

/**
 * highEffectRatio per entity kind: a token moving 5x in a day is news whatever its z; an (address, token) pair's
 * day is a few heavy-tailed transfers, on which 5x is ordinary (off).
 */
export const HIGH_EFFECT_RATIO: Readonly<Record<EntityKind, number>> = { tokens: 5, addresses: Infinity };

function scorerParams(baseline: DailyBaselineParams, signed: boolean, kind: EntityKind): DailyScorerParams {
  validateDailyBaselineParams(baseline);
  const monotone: DailyBaselineParams = {
    ...baseline,
    minSpread: MONOTONE_MIN_SPREAD[kind],
    // An address's inflow (outflow) is zero on the days it only sent (received): no flow, not a drop.
    ignoreZeros: kind === 'addresses',
    // A token's volume trends (adoption, decay); an (address, token) pair's flowing days are too few and irregular
    // to estimate one.
    trendMinDays: kind === 'tokens' ? DEFAULT_TREND_MIN_DAYS : 0,
  };
  return {
    ...DEFAULT_DAILY_SCORER_PARAMS,
    baseline: signed ? { ...baseline, transform: 'identity', minSpread: 1 } : monotone,
    // Burst evidence for tokens only: an (address, token) pair's day is a few transfers, each one a "burst".
    intraday: {
      ...DEFAULT_INTRADAY_PARAMS,
      monotone: !signed,
      burst: signed || kind === 'addresses' ? null : DEFAULT_BURST_PARAMS,
    },
  };
}

export const DEFAULT_SCORING_PARAMS: AnomalyScoringParams = {
  monotone: scorerParams(DEFAULT_DAILY_BASELINE_PARAMS, false, 'tokens'),
  signed: scorerParams(DEFAULT_DAILY_BASELINE_PARAMS, true, 'tokens'),
  highEffectRatio: HIGH_EFFECT_RATIO.tokens,
  severity: DEFAULT_SEVERITY_THRESHOLDS,
  valueChangeRatio: 0.05,
  stateRetentionDays: 7,
  topN: { topN: 0, candidateFactor: 4, decayHalfLifeDays: 7 },
};

/** Scoring parameters of one entity kind from the validated config. */
export function scoringParamsFromConfig(config: OraculConfig, kind: EntityKind): AnomalyScoringParams {
  const a = config.anomalies;
  const baseline: DailyBaselineParams = {
    ...DEFAULT_DAILY_BASELINE_PARAMS,
    historyDays: a.historyDays,
    minHistoryDays: a.minHistoryDays,
    boundZ: a.boundZ,
    dayOfWeek: a.dayOfWeek,
  };
  const topN: TopNParams =
    kind === 'addresses'
      ? {
          topN: a.addresses.topN,
          candidateFactor: a.addresses.candidateFactor,
          decayHalfLifeDays: a.addresses.decayHalfLifeDays,
        }
      : { topN: a.tokens.topN, candidateFactor: a.addresses.candidateFactor, decayHalfLifeDays: a.addresses.decayHalfLifeDays };
  return {
    monotone: scorerParams(baseline, false, kind),
    signed: scorerParams(baseline, true, kind),
    highEffectRatio: HIGH_EFFECT_RATIO[kind],
    severity: validateSeverityThresholds({ ...a.severity }),
    valueChangeRatio: a.valueChangeRatio,
    stateRetentionDays: a.stateRetentionDays,
    topN,
  };
}
