import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { createStreamingDetectorState, scoreNextPoint } from './detector/streaming-detector.ts';
import { hourlyParams } from './intraday-detector/params.ts';
import { anomalyId, HOURLY_METHOD } from './scoring/engine.ts';
import { DEFAULT_SCORING_PARAMS } from './scoring/params.ts';
import {
  createTokenAnomaliesProcessor,
  createTokenAnomaliesProcessorFromParams,
  type TokenMetricsInput,
} from './token-anomalies.ts';
import { DAY_MS, HOUR_MS, isoDay, isoHour } from '../../core/time.ts';

const HOUR = HOUR_MS;
const DAY = DAY_MS;
const TOKEN = '0x00000000000000000000000000000000000000bb';
const T0 = Date.UTC(2025, 0, 1);

const hourly = (highMinHistoryHours: number) =>
  hourlyParams({
    enabled: true,
    historyHours: 48,
    minHistoryHours: 24,
    highMinHistoryHours,
    maxGapHours: 168,
    severity: { low: 0.9125, medium: 0.95, high: 0.99 },
  });

/** Ordinary hours: 20-24 transfers, $10 each. */
const ordinary = (h: number): number => 20 + ((h * 7) % 5);

/** A token's days as the aggregator emits them: one cumulative update per hour at :30, the final at the day's last ms. */
class TokenFeed {
  private cum = 0;
  private version = 0;
  private day = '';
  constructor(readonly driver: ReturnType<typeof newDriver>) {}

  update(atMs: number, add: number): Anomaly[] {
    const day = isoDay(atMs);
    if (day !== this.day) {
      this.day = day;
      this.cum = 0;
      this.version = 0;
    }
    this.cum += add;
    return this.send({ atMs, final: false });
  }

  final(): Anomaly[] {
    return this.send({ atMs: Date.parse(`${this.day}T00:00:00Z`) + DAY - 1, final: true });
  }

  private send(o: { atMs: number; final: boolean }): Anomaly[] {
    const r: TokenMetricsInput = {
      date: this.day,
      chain_id: 1,
      token_address: TOKEN,
      volume_usd: (this.cum * 10).toFixed(6),
      transfer_count: this.cum,
      unique_addresses: 5,
      version: ++this.version,
      is_final: o.final,
      emitted_at: o.atMs,
    };
    return this.driver
      .pipe(r)
      .map((x) => x.value)
      .filter((a) => a.method === HOURLY_METHOD);
  }

  /** `days` ordinary days from T0; returns the hourly anomalies they raised. */
  warmUp(days: number): Anomaly[] {
    const out: Anomaly[] = [];
    for (let h = 0; h < days * 24; h++) {
      out.push(...this.update(T0 + h * HOUR + 30 * 60_000, ordinary(h)));
      if (h % 24 === 23) out.push(...this.final());
    }
    return out;
  }
}

const newDriver = (highMinHistoryHours = 0) =>
  createTestDriver(createTokenAnomaliesProcessorFromParams(DEFAULT_SCORING_PARAMS, hourly(highMinHistoryHours)));

describe('token scorer: the hourly streaming detector', () => {
  it('opens a burst while its hour runs, withdraws it when a retraction takes it back, finalises it at the hour close', () => {
    const feed = new TokenFeed(newDriver());
    expect(feed.warmUp(4)).toEqual([]);
    const burstHour = T0 + 4 * DAY + 10 * HOUR;
    const id = anomalyId({
      chainId: 1,
      entityType: 'token',
      entityId: TOKEN,
      tokenAddress: TOKEN,
      metric: 'transfer_count',
      day: isoHour(burstHour),
      method: HOURLY_METHOD,
    });
    for (let h = 0; h < 10; h++) feed.update(T0 + 4 * DAY + h * HOUR + 30 * 60_000, ordinary(4 * 24 + h));

    // 10:05: 400 transfers so far this hour (ordinary: 20-24) → open, both metrics.
    const open = feed.update(burstHour + 5 * 60_000, 400);
    const openTc = open.find((a) => a.metric === 'transfer_count');
    expect(open.map((a) => a.metric).sort()).toEqual(['transfer_count', 'volume_usd']);
    expect(openTc).toMatchObject({ anomaly_id: id, status: 'open', value: 400, severity: 'high', method: 'streaming_record' });
    expect(openTc?.score).toBeGreaterThanOrEqual(0.99);
    expect(openTc?.upper_bound).toBeGreaterThan(20); // the alarm floor: above the typical hour (this series is exactly periodic, so a little above)
    expect(openTc?.upper_bound).toBeLessThanOrEqual(400);
    expect(openTc?.day).toBe(Math.floor(burstHour / DAY));

    // 10:20: a reorg retracts the burst → withdrawn, severity kept, higher version.
    const withdrawn = feed.update(burstHour + 20 * 60_000, -400).find((a) => a.metric === 'transfer_count');
    expect(withdrawn).toMatchObject({ anomaly_id: id, status: 'withdrawn', severity: 'high', value: 0 });
    expect(withdrawn?.version).toBeGreaterThan(openTc?.version ?? Infinity);

    // 10:40: the burst lands again → open again; 11:30: the hour closes → final, same id and detected_at.
    const reopened = feed.update(burstHour + 40 * 60_000, 450).find((a) => a.metric === 'transfer_count');
    expect(reopened).toMatchObject({ anomaly_id: id, status: 'open', value: 450, detected_at: openTc?.detected_at });
    const fin = feed.update(burstHour + 90 * 60_000, 22).find((a) => a.metric === 'transfer_count');
    expect(fin).toMatchObject({ anomaly_id: id, status: 'final', value: 450, detected_at: openTc?.detected_at });
    expect(fin?.version).toBeGreaterThan(reopened?.version ?? Infinity);
    expect(fin?.updated_at).toBe(burstHour + 90 * 60_000);
  });

  it('scores the closed hours with the very scoreNextPoint of the NAB evaluation (same scores as a direct run)', () => {
    const driver = newDriver();
    const feed = new TokenFeed(driver);
    feed.warmUp(3);
    const params = hourly(0).detector;
    const direct = createStreamingDetectorState(params);
    for (let h = 0; h < 3 * 24; h++) scoreNextPoint(direct, params, ordinary(h), T0 + h * HOUR);
    // The stored state (after a JSON round trip through the store's codec) is the direct run's state.
    expect(driver.store('detectors').get(`1:${TOKEN}|transfer_count`)).toEqual(JSON.parse(JSON.stringify(direct)));
    const cursor = driver.store('series').get(`1:${TOKEN}`)?.hourly?.transfer_count;
    expect(cursor).toMatchObject({ hourMs: T0 + 3 * DAY, startCum: 0, cum: 0 });
  });

  it('keeps an hourly anomaly at medium until the history holds highMinHistoryHours hours', () => {
    const feed = new TokenFeed(newDriver(1000));
    feed.warmUp(4);
    const open = feed.update(T0 + 4 * DAY + 5 * 60_000, 400).find((a) => a.metric === 'transfer_count');
    expect(open).toMatchObject({ status: 'open', severity: 'medium' });
    expect(open?.score).toBeGreaterThanOrEqual(0.99);
  });

  it('is off with anomalies.hourly.enabled false, and builds from the validated config', () => {
    const off = loadConfig({ env: {}, overrides: { anomalies: { hourly: { enabled: false } } } });
    const offFeed = new TokenFeed(createTestDriver(createTokenAnomaliesProcessor(off)));
    offFeed.warmUp(1);
    expect(offFeed.driver.store('series').get(`1:${TOKEN}`)?.hourly).toBeUndefined();
    expect(() => loadConfig({ env: {}, overrides: { anomalies: { hourly: { severity: { low: 1.5 } } } } })).toThrow();
    const on = createTokenAnomaliesProcessor(loadConfig({ env: {} }));
    const feed = new TokenFeed(createTestDriver(on));
    feed.warmUp(1);
    expect(feed.driver.store('series').get(`1:${TOKEN}`)?.hourly?.volume_usd?.seq).toBe(24 + 1);
  });
});
