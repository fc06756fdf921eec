import { describe, expect, it } from 'vitest';
import { errorResult, freshnessVerdict } from './checks.ts';
import { dqRecordKey, dqRow } from './publish.ts';
import { anomalyRow } from '../anomalies/rows.ts';

describe('dq pure parts', () => {
  it('freshness: lag in minutes of the latest ingested block behind the head', () => {
    expect(freshnessVerdict(1_700_000_600_000, 1_700_000_000_000, 10)).toEqual({ status: 'pass', lagMinutes: 10 });
    expect(freshnessVerdict(1_700_000_660_000, 1_700_000_000_000, 10)).toEqual({ status: 'fail', lagMinutes: 11 });
    expect(freshnessVerdict(1_700_000_000_000, null, 10)).toEqual({ status: 'fail', lagMinutes: null });
    // No block yet: pending during the grace period (max lag, from the check's first run), fail after it.
    expect(freshnessVerdict(1_700_000_000_000, null, 10, 0)).toEqual({ status: 'pending', lagMinutes: null });
    expect(freshnessVerdict(1_700_000_000_000, null, 10, 599_999)).toEqual({ status: 'pending', lagMinutes: null });
    expect(freshnessVerdict(1_700_000_000_000, null, 10, 600_000)).toEqual({ status: 'fail', lagMinutes: null });
    // A stale block is a failure at once: the grace period is for a cold start only.
    expect(freshnessVerdict(1_700_000_660_000, 1_700_000_000_000, 10, 0)).toEqual({ status: 'fail', lagMinutes: 11 });
    // A warehouse ahead of the probed head (another RPC node behind) is not negative lag.
    expect(freshnessVerdict(1_700_000_000_000, 1_700_000_012_000, 10)).toEqual({ status: 'pass', lagMinutes: 0 });
  });

  it('maps a result to its table row and record key', () => {
    const r = errorResult(
      'block_gaps',
      1,
      '',
      Date.UTC(2025, 0, 15, 10, 30, 0, 123),
      Object.assign(new Error('boom'), { code: '241' }),
    );
    expect(r).toMatchObject({ status: 'error', observed: null, threshold: null });
    expect(JSON.parse(r.details)).toEqual({ error: 'boom', code: '241' });
    expect(dqRow(r)).toMatchObject({ check_name: 'block_gaps', checked_at: '2025-01-15 10:30:00.123', status: 'error' });
    expect(dqRecordKey({ ...r, check_name: 'price_staleness', subject: '0xabc' })).toBe('price_staleness:1:0xabc');
  });

  it('maps an anomaly to its table row (day as a date, times as DateTime64 text)', () => {
    const row = anomalyRow({
      anomaly_id: 'x',
      chain_id: 1,
      entity_type: 'token',
      entity_id: '0x00000000000000000000000000000000000000aa',
      token_address: null,
      metric: 'transfer_count',
      day: 20103,
      value: 1,
      baseline_center: 1,
      baseline_spread: 0.05,
      baseline_days: 14,
      score: 9,
      lower_bound: null,
      upper_bound: 2,
      method: 'robust_zscore',
      severity: 'medium',
      status: 'open',
      detected_at: Date.UTC(2025, 0, 15, 6, 30),
      updated_at: Date.UTC(2025, 0, 15, 7, 0),
      version: 3,
      source_version: 3,
    });
    expect(row).toMatchObject({
      day: '2025-01-15',
      detected_at: '2025-01-15 06:30:00.000',
      updated_at: '2025-01-15 07:00:00.000',
      version: 3,
    });
  });
});
