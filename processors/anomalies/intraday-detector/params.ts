/**
 * Parameters of the hourly streaming detector, from the `anomalies.hourly` config section. The detector's own
 * parameters are NAB's (DEFAULT_STREAMING_PARAMS) with the history scaled to hours; they go through the same
 * validation (parseStreamingParams).
 */
import type { OraculConfig } from '../../../config/schema.ts';
import { DEFAULT_STREAMING_PARAMS, parseStreamingParams } from '../detector/params.ts';
import { AnomalyParameterError } from '../lib/errors.ts';
import { validateSeverityThresholds } from '../lib/severity.ts';
import type { HourlyDetectorParams } from './hourly.ts';

type HourlyConfig = OraculConfig['anomalies']['hourly'];

/** Builds and validates the hourly parameters from the config section's shape. */
export function hourlyParams(c: HourlyConfig): HourlyDetectorParams {
  if (c.minHistoryHours > c.historyHours) {
    throw new AnomalyParameterError('anomalies.hourly.minHistoryHours must be <= historyHours', { ...c });
  }
  const detector = parseStreamingParams({
    ...DEFAULT_STREAMING_PARAMS,
    historySize: c.historyHours,
    minHistory: c.minHistoryHours,
    // The level-shift baseline must fit in the history it is ranked against.
    shiftBaseline: Math.min(DEFAULT_STREAMING_PARAMS.shiftBaseline, c.historyHours),
  });
  return {
    enabled: c.enabled,
    detector,
    severity: validateSeverityThresholds({ ...c.severity }),
    highMinHistoryHours: c.highMinHistoryHours,
    maxGapHours: c.maxGapHours,
  };
}

/** The defaults of config/anomalies.yml. */
export const DEFAULT_HOURLY_PARAMS: HourlyDetectorParams = hourlyParams({
  enabled: true,
  historyHours: 336,
  minHistoryHours: 168,
  highMinHistoryHours: 336,
  maxGapHours: 168,
  severity: { low: 0.9125, medium: 0.95, high: 0.99 },
});

export function hourlyParamsFromConfig(config: OraculConfig): HourlyDetectorParams {
  return hourlyParams(config.anomalies.hourly);
}
