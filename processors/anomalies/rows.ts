import type { Anomaly } from '../../schemas/generated/types.ts';
import { isoDayOfEpochDay } from '../../core/time.ts';

const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The `anomalies` table row of an anomalies record (dwh/migrations/0005_meta.sql); for the ClickHouse sink. */
export function anomalyRow(a: Anomaly): Record<string, unknown> {
  return {
    anomaly_id: a.anomaly_id,
    chain_id: a.chain_id,
    entity_type: a.entity_type,
    entity_id: a.entity_id,
    token_address: a.token_address,
    metric: a.metric,
    day: isoDayOfEpochDay(a.day),
    value: a.value,
    baseline_center: a.baseline_center,
    baseline_spread: a.baseline_spread,
    baseline_days: a.baseline_days,
    score: a.score,
    lower_bound: a.lower_bound,
    upper_bound: a.upper_bound,
    method: a.method,
    severity: a.severity,
    status: a.status,
    detected_at: chTime(a.detected_at),
    updated_at: chTime(a.updated_at),
    version: a.version,
    source_version: a.source_version,
  };
}
