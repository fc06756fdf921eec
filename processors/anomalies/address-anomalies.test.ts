import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { StateTxn } from '../engine/stateTxn.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { createAddressAnomaliesProcessorFromParams, type AddressFlowsInput } from './address-anomalies.ts';
import { DEFAULT_SCORING_PARAMS, type AnomalyScoringParams } from './scoring/params.ts';
import { addVolume, logAddExp, logContribution, nthLargest, rankKey } from './scoring/top-n.ts';
import { SCORER_STORES, type ScorerStores } from './scoring/engine.ts';
import { addDays, HOUR_MS } from '../../core/time.ts';

const HOUR = HOUR_MS;
const TOKEN = '0x00000000000000000000000000000000000000bb';
const addr = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;
const day = (i: number): string => addDays('2025-01-01', i);
const startOf = (i: number): number => Date.UTC(2025, 0, 1 + i);

function flow(
  i: number,
  address: string,
  inflow: number,
  outflow: number,
  patch: Partial<AddressFlowsInput> = {},
): AddressFlowsInput {
  return {
    date: day(i),
    chain_id: 1,
    address,
    token_address: TOKEN,
    inflow_usd: inflow.toFixed(6),
    outflow_usd: outflow.toFixed(6),
    net_flow_usd: (inflow - outflow).toFixed(6),
    version: 1,
    is_final: true,
    emitted_at: startOf(i + 1),
    ...patch,
  };
}

const params = (topN: number, candidateFactor: number): AnomalyScoringParams => ({
  ...DEFAULT_SCORING_PARAMS,
  topN: { topN, candidateFactor, decayHalfLifeDays: 7 },
});

describe('top-N helpers (Space-Saving with forward decay)', () => {
  it('log-sum-exp and contributions match hand values', () => {
    expect(logAddExp(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 12);
    // ln(100) + ln2/7 × 20089 (2025-01-01) = 4.605170 + 1989.233387 = 1993.838557
    expect(logContribution(100, 20089, 7)).toBeCloseTo(1993.8385573672367, 9);
    expect(logContribution(0, 20089, 7)).toBeNull();
    // One half-life later the same volume weighs twice as much in forward-decay form: ln 2 more.
    expect((logContribution(100, 20096, 7) as number) - (logContribution(100, 20089, 7) as number)).toBeCloseTo(Math.LN2, 9);
  });

  it('rank keys sort by weight, then entity', () => {
    const keys = [rankKey(12.5, 'b'), rankKey(-3, 'z'), rankKey(2003.04, 'a'), rankKey(12.5, 'a')].sort();
    expect(keys.map((k) => k.split('|')[1])).toEqual(['z', 'a', 'b', 'a']);
  });

  it('evicts the least candidate and lets the newcomer inherit its weight', () => {
    const view = createTestDriver(createAddressAnomaliesProcessorFromParams(params(1, 2)));
    const stores = {
      series: view.store('series'),
      anomalies: view.store('anomalies'),
      meta: view.store('meta'),
      candidates: view.store('candidates'),
      rank: view.store('rank'),
      detectors: view.store('detectors'),
    };
    const txn = new StateTxn<ScorerStores, Anomaly>(stores);
    let meta = { count: 0, threshold: null as number | null };
    meta = addVolume(txn, meta, 2, 'a', Math.log(10)).meta;
    meta = addVolume(txn, meta, 2, 'b', Math.log(3)).meta;
    expect(meta.count).toBe(2);
    const change = addVolume(txn, meta, 2, 'c', Math.log(1));
    expect(change.evicted).toBe('b');
    expect(txn.get('candidates', 'c')).toBeCloseTo(Math.log(4), 12); // 3 inherited + 1
    expect(nthLargest(txn, 1)).toBeCloseTo(Math.log(10), 12);
    expect(nthLargest(txn, 3)).toBeNull();
    expect(Object.keys(SCORER_STORES)).toEqual(['series', 'anomalies', 'meta', 'candidates', 'rank', 'detectors']);
  });
});

describe('address anomaly scorer', () => {
  it('scores net flow only on the closed day, on the identity scale', () => {
    const driver = createTestDriver(createAddressAnomaliesProcessorFromParams(params(10, 2)));
    const a = addr(1);
    // Day -1 is the pair's first day (launchDays: kept out of the baseline), then 14 baseline days.
    for (let i = -1; i < 14; i++) driver.pipe(flow(i, a, 300, 200, { version: 1 })); // net 100 every day
    // Update at 10:00 with net +5000: net flow is not monotone, so nothing yet; inflow 5200 > its upper bound is.
    const open = driver.pipe(flow(14, a, 5200, 200, { is_final: false, emitted_at: startOf(14) + 10 * HOUR }));
    expect(open.map((o) => [o.value.metric, o.value.status])).toEqual([['inflow_usd', 'open']]);
    const fin = driver.pipe(flow(14, a, 5200, 200, { version: 2 })).map((o) => o.value);
    const net = fin.find((x) => x.metric === 'net_flow_usd') as Anomaly;
    // Constant history 100: spread = max(0, minSpread 1) = 1, z = (5000 − 100) / 1, bounds 100 ∓ 5.
    expect(net).toMatchObject({ status: 'final', value: 5000, baseline_center: 100, baseline_spread: 1, score: 4900 });
    expect(net.lower_bound).toBe(95);
    expect(net.upper_bound).toBe(105);
    expect(net.entity_id).toBe(a);
    expect(net.token_address).toBe(TOKEN);
    expect(fin.find((x) => x.metric === 'inflow_usd')?.status).toBe('final');
  });

  it('keeps history for at most topN × candidateFactor pairs and scores only the top-N', () => {
    const driver = createTestDriver(createAddressAnomaliesProcessorFromParams(params(1, 2)));
    const big = addr(1);
    const mid = addr(2);
    for (let i = -1; i < 14; i++) {
      driver.pipe(flow(i, big, 1_000_000, 1_000_000));
      driver.pipe(flow(i, mid, 1000, 1000));
      driver.pipe(flow(i, addr(100 + i), 1, 1)); // a new small address every day: churns the last slot
    }
    expect(driver.store('candidates').get(`1:${big}:${TOKEN}`)).toBeDefined();
    // Capacity 2: the big one and one of the small ones (each newcomer evicts the least: mid survives the first).
    const series = [...driver.store('series').range({})].map(([k]) => k);
    expect(series.length).toBeLessThanOrEqual(2);
    expect(series).toContain(`1:${big}:${TOKEN}`);
    // Day 14: both spike. Only the top-1 (big) is scored.
    const out = [
      ...driver.pipe(flow(14, big, 50_000_000, 1_000_000, { is_final: false, emitted_at: startOf(14) + HOUR })),
      ...driver.pipe(flow(14, mid, 50_000, 1000, { is_final: false, emitted_at: startOf(14) + HOUR })),
    ].map((o) => o.value);
    expect(out.map((x) => [x.entity_id, x.metric])).toEqual([[big, 'inflow_usd']]);
  });
});
