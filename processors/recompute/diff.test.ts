import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { anomalyRow } from '../anomalies/rows.ts';
import { diffAnomalies, diffMart, fingerprint, type MartSpec, type StoredMart } from './diff.ts';

const SPEC: MartSpec = { table: 'token_metrics_daily', keyColumns: ['token_address'], visible: ['transfer_count', 'volume_usd'] };
const DAY = '2024-03-05';

function stored(rows: { key: string; transfer_count: string; volume_usd: string; maxVersion: number }[]): StoredMart {
  return {
    visible: new Map(rows.map((r) => [r.key, fingerprint(r, SPEC.visible)])),
    maxVersion: new Map(rows.map((r) => [r.key, r.maxVersion])),
  };
}

describe('diffMart', () => {
  it('writes only rows whose visible values changed, at the next version; stored keys not produced get a deletion row', () => {
    const before = stored([
      { key: '0xa', transfer_count: '3', volume_usd: '3000.100000', maxVersion: 4 },
      { key: '0xb', transfer_count: '1', volume_usd: '5', maxVersion: 2 },
      { key: '0xc', transfer_count: '7', volume_usd: '1', maxVersion: 9 },
    ]);
    const diff = diffMart(SPEC, before, 1, DAY, [
      { token_address: '0xa', transfer_count: 3, volume_usd: '3000.1', version: 1 }, // same value, other text
      { token_address: '0xb', transfer_count: 2, volume_usd: '5', version: 1 }, // changed
      { token_address: '0xd', transfer_count: 1, volume_usd: null, version: 6 }, // new: its own version is higher
    ]);
    expect(diff.writes).toEqual([
      { token_address: '0xb', transfer_count: 2, volume_usd: '5', version: 3 },
      { token_address: '0xd', transfer_count: 1, volume_usd: null, version: 6 },
      {
        token_address: '0xc',
        date: DAY,
        chain_id: 1,
        transfer_count: 0,
        is_final: true,
        emitted_at: '2024-03-05 23:59:59.999',
        version: 10,
      },
    ]);
    expect(diff.removed).toBe(1);
    expect([...diff.versions]).toEqual([
      ['0xa', 4],
      ['0xb', 3],
      ['0xd', 6],
    ]);
  });

  it('writes nothing when the stored day already shows the computed rows', () => {
    const before = stored([{ key: '0xa', transfer_count: '3', volume_usd: '10', maxVersion: 2 }]);
    const diff = diffMart(SPEC, before, 1, DAY, [{ token_address: '0xa', transfer_count: 3, volume_usd: '10.000', version: 1 }]);
    expect(diff).toEqual({ writes: [], versions: new Map([['0xa', 2]]), removed: 0 });
  });
});

describe('diffAnomalies', () => {
  const anomaly = (id: string, value: number, version: number): Anomaly => ({
    anomaly_id: id,
    chain_id: 1,
    entity_type: 'token',
    entity_id: '0xa',
    token_address: '0xa',
    metric: 'transfer_count',
    day: 19_787,
    value,
    baseline_center: 10,
    baseline_spread: 2,
    baseline_days: 7,
    score: (value - 10) / 2,
    lower_bound: null,
    upper_bound: 16,
    method: 'zscore',
    severity: 'high',
    status: 'final',
    detected_at: Date.parse('2024-03-05T06:00:00Z'),
    updated_at: Date.parse('2024-03-06T01:00:00Z'),
    version,
    source_version: 1,
  });

  it('rewrites changed anomalies keeping their first detection, withdraws the ones no longer raised, once', () => {
    const unchanged = anomalyRow(anomaly('same', 40, 3));
    const changed = { ...anomalyRow(anomaly('changed', 40, 5)), detected_at: '2024-03-05 01:00:00.000' };
    const stale = anomalyRow(anomaly('stale', 50, 2));
    const withdrawn = { ...anomalyRow(anomaly('gone', 60, 4)), status: 'withdrawn' };
    const storedRows = new Map(Object.entries({ same: unchanged, changed, stale, gone: withdrawn }));

    const diff = diffAnomalies(storedRows, [anomaly('same', 40, 1), anomaly('changed', 41, 1)], DAY);
    expect(diff.removed).toBe(1);
    expect(diff.writes).toEqual([
      { ...anomalyRow(anomaly('changed', 41, 1)), version: 6, detected_at: '2024-03-05 01:00:00.000' },
      { ...stale, status: 'withdrawn', version: 3, updated_at: '2024-03-05 23:59:59.999' },
    ]);
  });
});
