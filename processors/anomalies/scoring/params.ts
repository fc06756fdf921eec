/**
 * Parameters of the anomaly scoring processors, derived from the `anomalies` config section
 * (config/anomalies.yml, docs/anomaly-detection.md).
 */
import type { OraculConfig } from '../../../config/schema.ts';
import { DEFAULT_DAILY_BASELINE_PARAMS, validateDailyBaselineParams, type DailyBaselineParams } from '../lib/daily-baseline.ts';
import { DEFAULT_DAILY_SCORER_PARAMS, type DailyScorerParams } from '../lib/daily-scorer.ts';
import { DEFAULT_INTRADAY_PARAMS } from '../lib/intraday.ts';
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
  /** An already emitted open anomaly gets a new version when its value moves by this fraction. */
  readonly valueChangeRatio: number;
  /** Days an anomaly id is remembered after its day (detected_at and last version survive re-emissions within it). */
  readonly stateRetentionDays: number;
  readonly topN: TopNParams;
}

function scorerParams(baseline: DailyBaselineParams, signed: boolean): DailyScorerParams {
  validateDailyBaselineParams(baseline);
  return {
    ...DEFAULT_DAILY_SCORER_PARAMS,
    baseline: signed ? { ...baseline, transform: 'identity', minSpread: 1 } : baseline,
    intraday: { ...DEFAULT_INTRADAY_PARAMS, monotone: !signed },
  };
}

export const DEFAULT_SCORING_PARAMS: AnomalyScoringParams = {
  monotone: scorerParams(DEFAULT_DAILY_BASELINE_PARAMS, false),
  signed: scorerParams(DEFAULT_DAILY_BASELINE_PARAMS, true),
  severity: DEFAULT_SEVERITY_THRESHOLDS,
  valueChangeRatio: 0.05,
  stateRetentionDays: 7,
  topN: { topN: 0, candidateFactor: 4, decayHalfLifeDays: 7 },
};

/** Scoring parameters of one entity kind from the validated config. */
export function scoringParamsFromConfig(config: OraculConfig, kind: 'tokens' | 'addresses'): AnomalyScoringParams {
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
    monotone: scorerParams(baseline, false),
    signed: scorerParams(baseline, true),
    severity: validateSeverityThresholds({ ...a.severity }),
    valueChangeRatio: a.valueChangeRatio,
    stateRetentionDays: a.stateRetentionDays,
    topN,
  };
}
