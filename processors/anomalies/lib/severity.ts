/**
 * Severity from an anomaly score (|z|-like, larger = more anomalous):
 *
 *   severity(s) = high    if |s| >= thresholds.high
 *                 medium  if |s| >= thresholds.medium
 *                 low     if |s| >= thresholds.low
 *                 null    otherwise (not an anomaly)
 *
 * The thresholds come from configuration; the defaults are documented in
 * docs/anomaly-detection.md.
 */
import { AnomalyParameterError } from './errors.ts';

export type Severity = 'low' | 'medium' | 'high';

export interface SeverityThresholds {
  readonly low: number;
  readonly medium: number;
  readonly high: number;
}

/**
 * Robust-z thresholds of the daily scorer. low = its detection bound (boundZ 5):
 * Iglewicz & Hoaglin's 3.5 assumes near-Gaussian data; token metrics have
 * heavy tails, and on the injected-anomaly evaluation 3.5 flagged 2.2% of
 * normal days, 5 flags 0.84% (docs/anomaly-detection.md). medium/high mark anomalies a
 * reader should look at today / at once.
 */
export const DEFAULT_SEVERITY_THRESHOLDS: SeverityThresholds = { low: 5, medium: 7, high: 10 };

export function validateSeverityThresholds(t: SeverityThresholds): SeverityThresholds {
  if (!(t.low > 0 && t.low <= t.medium && t.medium <= t.high)) {
    throw new AnomalyParameterError(`severity thresholds must satisfy 0 < low <= medium <= high, got ${JSON.stringify(t)}`, {
      ...t,
    });
  }
  return t;
}

export function severityOf(score: number, thresholds: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS): Severity | null {
  validateSeverityThresholds(thresholds);
  const s = Math.abs(score);
  if (Number.isNaN(s)) return null;
  if (s >= thresholds.high) return 'high';
  if (s >= thresholds.medium) return 'medium';
  if (s >= thresholds.low) return 'low';
  return null;
}

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** True when `next` is strictly more severe than `previous` (re-alert on escalation only). */
export function isEscalation(previous: Severity | null, next: Severity | null): boolean {
  return next !== null && (previous === null || RANK[next] > RANK[previous]);
}
