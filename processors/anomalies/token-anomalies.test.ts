import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { DEFAULT_SCORING_PARAMS, type AnomalyScoringParams } from './scoring/params.ts';
import { createTokenAnomaliesProcessorFromParams, type TokenMetricsInput } from './token-anomalies.ts';
import { loadConfig } from '../../config/load.ts';
import { createTokenAnomaliesProcessor } from './index.ts';
import { DEFAULT_HOURLY_PARAMS } from './intraday-detector/params.ts';
import { addDays, HOUR_MS } from '../../core/time.ts';

const HOUR = HOUR_MS;
const TOKEN = '0x00000000000000000000000000000000000000AA';
const day = (i: number): string => addDays('2025-01-01', i);
const startOf = (i: number): number => Date.UTC(2025, 0, 1 + i);

function rec(i: number, patch: Partial<TokenMetricsInput> & { hour?: number }): TokenMetricsInput {
  const { hour, ...rest } = patch;
  return {
    date: day(i),
    chain_id: 1,
    token_address: TOKEN,
    volume_usd: '999.000000',
    transfer_count: 999,
    unique_addresses: 999,
    version: 1,
    is_final: false,
    emitted_at: startOf(i) + (hour ?? 12) * HOUR,
    ...rest,
  };
}

/**
 * The token's launch day (day -1, kept out of the baseline: launchDays) and 14 quiet days: one update at noon and
 * the final record, every metric 999 (log1p = ln 1000).
 */
function warmUp(driver: ReturnType<typeof newDriver>): void {
  for (let i = -1; i < 14; i++) {
    driver.pipe(rec(i, { transfer_count: 500, volume_usd: '500', unique_addresses: 500, version: 1 }));
    driver.pipe(rec(i, { version: 2, is_final: true, emitted_at: startOf(i + 1) + 60_000 }));
  }
}

// The lib's own spread floor (0.05) instead of the token class's 0.15, so the hand-computed bounds below stay small.
const PARAMS: AnomalyScoringParams = {
  ...DEFAULT_SCORING_PARAMS,
  monotone: {
    ...DEFAULT_SCORING_PARAMS.monotone,
    baseline: { ...DEFAULT_SCORING_PARAMS.monotone.baseline, minSpread: 0.05 },
  },
};
// These tests are about the daily scorer; the hourly detector has its own (token-anomalies.hourly.test.ts).
const NO_HOURLY = { ...DEFAULT_HOURLY_PARAMS, enabled: false };
const newDriver = () => createTestDriver(createTokenAnomaliesProcessorFromParams(PARAMS, NO_HOURLY));
const values = (outs: readonly { value: Anomaly }[]): Anomaly[] => outs.map((o) => o.value);

describe('token anomaly scorer', () => {
  it('emits nothing before minHistoryDays final days, even for a spike', () => {
    const driver = newDriver();
    for (let i = 0; i < 13; i++) driver.pipe(rec(i, { version: 1, is_final: true }));
    expect(driver.pipe(rec(13, { transfer_count: 1_000_000, version: 1 }))).toEqual([]);
  });

  it('flags a spike before midnight, re-versions it only on material change, finalises it at close', () => {
    const driver = newDriver();
    warmUp(driver);
    expect(driver.outputs()).toEqual([]);

    // Day 14 (2025-01-15), 06:30: transfer_count already 9999 > upper bound expm1(ln 1000 + 5 × 0.05) = 1283.03.
    const open = values(driver.pipe(rec(14, { transfer_count: 9999, version: 1, hour: 6.5 })));
    expect(open).toHaveLength(1);
    const a = open[0] as Anomaly;
    expect(a).toMatchObject({
      anomaly_id: '22e65688931875cf28885f145adc1c32b1855c8ba49707589dd7b131926f2460',
      chain_id: 1,
      entity_type: 'token',
      entity_id: TOKEN.toLowerCase(),
      token_address: TOKEN.toLowerCase(),
      metric: 'transfer_count',
      day: 20103, // 2025-01-15 as days since 1970-01-01
      value: 9999,
      baseline_days: 14,
      method: 'robust_zscore',
      severity: 'high',
      status: 'open',
      version: 1,
      source_version: 1,
      detected_at: startOf(14) + 6.5 * HOUR,
    });
    // A constant history: leave-one-out errors are all 0, so the spread is the 0.05 floor.
    expect(a.baseline_center).toBeCloseTo(999, 9);
    expect(a.baseline_spread).toBe(0.05);
    expect(a.score).toBeCloseTo(Math.log(10) / 0.05, 9); // 46.0517
    expect(a.upper_bound).toBeCloseTo(1283.0254166877412, 6);
    expect(a.lower_bound).toBeCloseTo(Math.expm1(Math.log(1000) - 0.25), 6); // 777.80

    // +1% : same anomaly, no new version.
    expect(driver.pipe(rec(14, { transfer_count: 10_099, version: 2, hour: 7 }))).toEqual([]);
    // +10% over the last emitted value: a new version of the same id.
    const moved = values(driver.pipe(rec(14, { transfer_count: 11_000, version: 3, hour: 8 })));
    expect(moved).toMatchObject([{ anomaly_id: a.anomaly_id, status: 'open', version: 3, value: 11_000 }]);

    // The final record: status final, same id and detected_at, higher version.
    const fin = values(driver.pipe(rec(14, { transfer_count: 11_000, version: 4, is_final: true, emitted_at: startOf(15) })));
    expect(fin).toHaveLength(1);
    expect(fin[0]).toMatchObject({ anomaly_id: a.anomaly_id, status: 'final', version: 4, detected_at: a.detected_at });

    // A retraction re-emits the closed day, back to normal: withdrawn, severity kept.
    const withdrawn = values(driver.pipe(rec(14, { transfer_count: 999, version: 5, is_final: true, emitted_at: startOf(15) })));
    expect(withdrawn).toMatchObject([{ anomaly_id: a.anomaly_id, status: 'withdrawn', severity: 'high', version: 5 }]);
  });

  it('ignores a replayed older source version and updates of a closed day', () => {
    const driver = newDriver();
    warmUp(driver);
    driver.pipe(rec(14, { transfer_count: 9999, version: 5 }));
    expect(driver.pipe(rec(14, { transfer_count: 50_000, version: 4 }))).toEqual([]);
    driver.pipe(rec(14, { transfer_count: 9999, version: 6, is_final: true }));
    expect(driver.pipe(rec(14, { transfer_count: 90_000, version: 7 }))).toEqual([]);
  });

  it('grades severity by |z| with the configured thresholds', () => {
    const driver = newDriver();
    warmUp(driver);
    // Values at z = 6 (low), 8 (medium), 12 (high) on the 0.05 spread: expm1(ln 1000 + z × 0.05).
    const atZ = (z: number): number => Math.expm1(Math.log(1000) + z * 0.05);
    const out = values([
      ...driver.pipe(rec(14, { transfer_count: atZ(6), version: 1, hour: 3 })),
      ...driver.pipe(rec(14, { transfer_count: atZ(8), version: 2, hour: 4 })),
      ...driver.pipe(rec(14, { transfer_count: atZ(12), version: 3, hour: 5 })),
    ]);
    expect(out.map((o) => o.severity)).toEqual(['low', 'medium', 'high']);
    expect(out.map((o) => Math.round(o.score * 1e6) / 1e6)).toEqual([6, 8, 12]);
  });

  it('builds from the validated config and keeps state JSON-safe', () => {
    const config = loadConfig({
      env: {},
      overrides: { anomalies: { minHistoryDays: 3, severity: { high: 40 }, hourly: { enabled: false } } },
    });
    const driver = createTestDriver(createTokenAnomaliesProcessor(config));
    // Day 0 is the launch (kept out of the baseline), days 1-3 the baseline.
    for (let i = 0; i < 4; i++) driver.pipe(rec(i, { version: 1, is_final: true }));
    const out = values(driver.pipe(rec(4, { transfer_count: 9999, version: 1 })));
    // z = ln(10) / 0.15 (the token class's floor) = 15.4: medium under high 40, made high by the 10x effect.
    expect(out).toMatchObject([{ metric: 'transfer_count', severity: 'high', baseline_days: 3 }]);
    expect(out[0]?.baseline_spread).toBe(0.15);
    expect(driver.store('series').get(`1:${TOKEN.toLowerCase()}`)?.metrics.transfer_count?.finalDays).toHaveLength(4);
  });
});
