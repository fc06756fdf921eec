import { describe, expect, it } from 'vitest';
import { createTestDriver } from '../engine/testDriver.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { splitOutputs, type LateEvent } from './daily-aggregator.ts';
import { RetractionMismatchError, WindowingConfigError } from './errors.ts';
import { CLOCK_KEY } from './partition-clock.ts';
import { addr, price, retraction, transfer, ZERO } from './testing/fixtures.ts';
import {
  createTokenMetricsDailyProcessor,
  tokenBucketCodec,
  tokenWindowCodec,
  type TokenMetricsDaily,
  type TokenWindow,
} from './token-metrics-daily.ts';
import { StateSerdeError } from '../engine/errors.ts';
import type { Plain, StateCodec } from '../engine/state.ts';
import { decodeStateValue, encodeStateValue } from '../../state/checkpoint-format.ts';
import type { WindowingConfig } from './windowing.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time.ts';

const TOPIC = 'token.metrics.daily';
const LATE = 'erc20.transfers.late';

function setup(windowing: Partial<WindowingConfig> = {}) {
  const driver = createTestDriver(createTokenMetricsDailyProcessor({ windowing: { updates: 'every_record', ...windowing } }));
  const rows = (): TokenMetricsDaily[] => splitOutputs<TokenMetricsDaily, Erc20Transfer>(driver.drainOutputs(TOPIC)).windows;
  const late = (): LateEvent<Erc20Transfer>[] => driver.drainOutputs(LATE).map((o) => o.value as LateEvent<Erc20Transfer>);
  return { driver, rows, late };
}

const pick = (r: TokenMetricsDaily) => ({
  date: r.date,
  final: r.is_final,
  v: r.version,
  n: r.transfer_count,
  volume: r.volume_raw,
});

describe('token_metrics_daily windows', () => {
  it('assigns transfers to UTC days at midnight', () => {
    const { driver, rows } = setup();
    driver.pipe(transfer({ at: '2024-01-01T23:59:59Z' }));
    driver.pipe(transfer({ at: '2024-01-02T00:00:00Z' }));
    expect(rows().map((r) => r.date)).toEqual(['2024-01-01', '2024-01-02']);
  });

  it('emits an update per change and one final when the watermark passes end + grace, the partition numbering versions', () => {
    const { driver, rows } = setup();
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 5n }));
    driver.pipe(transfer({ at: '2024-01-01T11:00:00Z', amount: 7n }));
    driver.pipe(transfer({ at: '2024-01-02T00:30:00Z', amount: 1n }));
    driver.pipe(transfer({ at: '2024-01-02T00:59:59Z', amount: 1n })); // watermark 23:59:59: still open
    expect(rows().map(pick)).toEqual([
      { date: '2024-01-01', final: false, v: 1, n: 1, volume: 5n },
      { date: '2024-01-01', final: false, v: 2, n: 2, volume: 12n },
      { date: '2024-01-02', final: false, v: 3, n: 1, volume: 1n },
      { date: '2024-01-02', final: false, v: 4, n: 2, volume: 2n },
    ]);
    driver.pipe(transfer({ at: '2024-01-02T01:00:00Z', amount: 1n })); // watermark reaches 2024-01-02T00:00
    expect(rows().map(pick)).toEqual([
      { date: '2024-01-02', final: false, v: 5, n: 3, volume: 3n },
      { date: '2024-01-01', final: true, v: 6, n: 2, volume: 12n },
    ]);
  });

  it('routes late events to the late topic with a counter, and their retractions too', () => {
    const { driver, rows, late } = setup();
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z' }));
    driver.pipe(transfer({ at: '2024-01-02T01:00:00Z' }));
    rows();
    const tooLate = transfer({ at: '2024-01-01T12:00:00Z', amount: 99n });
    driver.pipe(tooLate);
    expect(rows()).toEqual([]);
    expect(late()).toEqual([
      {
        late_reason: 'window_closed',
        window_start: Date.parse('2024-01-01'),
        stream_time_ms: Date.parse('2024-01-02T01:00:00Z'),
        event: tooLate,
      },
    ]);
    driver.pipe(retraction(tooLate));
    expect(late().map((l) => l.late_reason)).toEqual(['retraction_of_late_event']);
    expect(rows()).toEqual([]);
    expect(driver.store('meta').get(CLOCK_KEY)?.lateEvents).toBe(2);
  });

  it('retracts exactly from an open window (counted multisets)', () => {
    const { driver, rows } = setup();
    const [X, Y, Z] = [addr(10), addr(11), addr(12)];
    const a = transfer({ at: '2024-01-01T10:00:00Z', from: X, to: Y, amount: 1n, tx: '0x' + '01'.repeat(32) });
    const b = transfer({ at: '2024-01-01T10:00:12Z', from: X, to: Z, amount: 2n, tx: '0x' + '02'.repeat(32) });
    const c = transfer({ at: '2024-01-01T10:00:12Z', from: Y, to: X, amount: 4n, tx: '0x' + '02'.repeat(32) });
    driver.pipeAll([a, b, c]);
    expect(rows().at(-1)).toMatchObject({ unique_addresses: 3, tx_count: 2, transfer_count: 3, volume_raw: 7n });
    driver.pipe(retraction(b));
    expect(rows()).toEqual([
      expect.objectContaining({
        unique_addresses: 2,
        tx_count: 2,
        transfer_count: 2,
        volume_raw: 5n,
        version: 4,
        is_final: false,
      }),
    ]);
    driver.pipe(retraction(c));
    expect(rows()).toEqual([expect.objectContaining({ unique_addresses: 2, tx_count: 1, transfer_count: 1, volume_raw: 1n })]);
  });

  it('retracts from a final window by re-emitting the final with a higher version', () => {
    const { driver, rows } = setup();
    const t1 = transfer({ at: '2024-01-01T10:00:00Z', amount: 5n });
    driver.pipe(t1);
    driver.pipe(transfer({ at: '2024-01-01T11:00:00Z', amount: 7n }));
    driver.pipe(transfer({ at: '2024-01-02T05:00:00Z' }));
    const final = rows().find((r) => r.is_final);
    expect(final).toMatchObject({ date: '2024-01-01', version: 4, transfer_count: 2 });
    driver.pipe(retraction(t1));
    expect(rows()).toEqual([
      expect.objectContaining({ date: '2024-01-01', is_final: true, version: 5, transfer_count: 1, volume_raw: 7n }),
    ]);
    expect(driver.store('meta').get(CLOCK_KEY)?.finalRetractions).toBe(1);
  });

  it('refuses a retraction of something never added, leaving state untouched', () => {
    const { driver } = setup();
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', from: addr(1), to: addr(2) }));
    expect(() => driver.pipe(retraction(transfer({ at: '2024-01-01T10:00:00Z', from: addr(3), to: addr(4) })))).toThrow(
      RetractionMismatchError,
    );
    expect(() => driver.pipe(retraction(transfer({ at: '2024-01-05T10:00:00Z' })))).toThrow(RetractionMismatchError);
  });

  it('closes days on an idle partition only when caught up', () => {
    const { driver, rows } = setup();
    driver.advanceWallClock(Date.parse('2024-01-01T22:00:00Z'));
    driver.pipe(transfer({ at: '2024-01-01T21:58:00Z' }));
    rows();
    driver.advanceWallClock(3 * HOUR_MS + 5 * MINUTE_MS); // 2024-01-02T01:05: idle for 3 h 5 min
    driver.punctuate({ caughtUp: false }); // backfilling: no advance
    expect(rows()).toEqual([]);
    driver.punctuate({ caughtUp: true }); // stream time → 01:00, watermark → 00:00: the day closes
    // The partition's versions start at its first wall clock in µs (ADR 0027): the update was its first.
    const base = Date.parse('2024-01-01T22:00:00Z') * 1000;
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: true, v: base + 2, n: 1, volume: 1n }]);
    driver.pipe(transfer({ at: '2024-01-01T23:00:00Z' }));
    expect(driver.outputs(LATE)).toHaveLength(1);
  });

  it('does not idle-advance while input is recent', () => {
    const { driver, rows } = setup();
    driver.advanceWallClock(Date.parse('2024-01-02T01:10:00Z'));
    driver.pipe(transfer({ at: '2024-01-01T23:00:00Z' }));
    rows();
    driver.advanceWallClock(60_000);
    driver.punctuate();
    expect(rows()).toEqual([]);
  });

  it('coalesces updates per window until the next punctuation or the next hour of stream time (on_punctuate)', () => {
    const { driver, rows } = setup({ updates: 'on_punctuate' });
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 1n }));
    driver.pipe(transfer({ at: '2024-01-01T10:40:00Z', amount: 2n }));
    expect(rows()).toEqual([]);
    driver.punctuate({ caughtUp: false });
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: false, v: 1, n: 2, volume: 3n }]);
    driver.punctuate({ caughtUp: false });
    expect(rows()).toEqual([]);
    driver.pipe(transfer({ at: '2024-01-01T12:00:00Z', amount: 8n })); // a later hour, nothing pending
    expect(rows()).toEqual([]);
    // Stream time enters a later hour: the pending change is emitted at its own hour's stream time, before the record.
    driver.pipe(transfer({ at: '2024-01-02T00:10:00Z', amount: 4n }));
    const crossing = rows();
    expect(crossing.map(pick)).toEqual([{ date: '2024-01-01', final: false, v: 2, n: 3, volume: 11n }]);
    expect(crossing[0]!.emitted_at).toBe(Date.parse('2024-01-01T12:00:00Z'));
    driver.pipe(transfer({ at: '2024-01-02T02:00:00Z', amount: 16n })); // emits 01-02's hour 00, then closes 01-01
    expect(rows().map(pick)).toEqual([
      { date: '2024-01-02', final: false, v: 3, n: 1, volume: 4n },
      { date: '2024-01-01', final: true, v: 4, n: 3, volume: 11n },
    ]);
    driver.punctuate({ caughtUp: false });
    expect(rows().map(pick)).toEqual([{ date: '2024-01-02', final: false, v: 5, n: 2, volume: 20n }]);
  });

  it('emits at most one update per window per wall-clock interval, and no slot boundary inside a day-long slot', () => {
    const { driver, rows } = setup({ updates: 'on_punctuate', updateBoundaryMs: DAY_MS, updateIntervalMs: 10_000 });
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 1n }));
    driver.pipe(transfer({ at: '2024-01-01T15:00:00Z', amount: 2n })); // a later hour: no boundary inside the day
    expect(rows()).toEqual([]);
    driver.punctuate({ caughtUp: false }); // the first emitting punctuation
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: false, v: 1, n: 2, volume: 3n }]);
    driver.pipe(transfer({ at: '2024-01-01T16:00:00Z', amount: 4n }));
    driver.advanceWallClock(9_999);
    driver.punctuate({ caughtUp: false }); // within the interval: still pending
    expect(rows()).toEqual([]);
    driver.advanceWallClock(1);
    driver.punctuate({ caughtUp: false });
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: false, v: 2, n: 3, volume: 7n }]);
    // A drained task (no backlog) is not throttled: what it processed shows at the next punctuation.
    driver.pipe(transfer({ at: '2024-01-01T16:30:00Z', amount: 64n }));
    driver.advanceWallClock(1);
    driver.punctuate({ caughtUp: false, drained: true });
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: false, v: 3, n: 4, volume: 71n }]);
    // A day-long slot has no boundary at all: the pending change goes out in the day's final, not in an update.
    driver.pipe(transfer({ at: '2024-01-01T17:00:00Z', amount: 8n }));
    driver.pipe(transfer({ at: '2024-01-02T00:30:00Z', amount: 16n }));
    expect(rows()).toEqual([]);
    driver.pipe(transfer({ at: '2024-01-02T02:00:00Z', amount: 32n }));
    expect(rows().map(pick)).toEqual([{ date: '2024-01-01', final: true, v: 4, n: 5, volume: 79n }]);
  });

  it('rejects an update slot that does not divide a day', () => {
    expect(() => createTokenMetricsDailyProcessor({ windowing: { updateBoundaryMs: 7 * HOUR_MS } })).toThrow(
      WindowingConfigError,
    );
    expect(() => createTokenMetricsDailyProcessor({ windowing: { updateIntervalMs: -1 } })).toThrow(/interval/);
  });

  it('carries each change in an update of the hour it happened in, whatever the punctuation cadence', () => {
    // In order, with gaps of hours and several transfers per hour, over two days.
    const times = [0, 5, 59, 61, 62, 180, 181, 600, 1439, 1441, 1500, 1501, 1502, 2000, 2878].map(
      (minute) => Date.parse('2024-01-01T00:00:00Z') + minute * 60_000,
    );
    const truth = new Map<number, number>();
    for (const t of times) truth.set(Math.floor(t / HOUR_MS), (truth.get(Math.floor(t / HOUR_MS)) ?? 0) + 1);
    for (const every of [1, 2, 5, 100]) {
      const { driver, rows } = setup({ updates: 'on_punctuate' });
      const byHour = new Map<number, number>();
      const lastCount = new Map<string, number>();
      const attribute = (): void => {
        for (const r of rows()) {
          const delta = r.transfer_count - (lastCount.get(r.date) ?? 0);
          lastCount.set(r.date, r.transfer_count);
          if (delta === 0) continue;
          expect(r.is_final, `a final carrying ${delta} unemitted transfers (every ${every})`).toBe(false);
          const hour = Math.floor(r.emitted_at / HOUR_MS);
          byHour.set(hour, (byHour.get(hour) ?? 0) + delta);
        }
      };
      times.forEach((at, i) => {
        driver.pipe(transfer({ at: new Date(at).toISOString() }));
        if ((i + 1) % every === 0) driver.punctuate({ caughtUp: false });
        attribute();
      });
      driver.punctuate({ caughtUp: false });
      attribute();
      expect(byHour, `punctuation every ${every} records`).toEqual(truth);
    }
  });

  it('purges windows after retention; a later retraction is routed late, not applied', () => {
    const { driver, late } = setup();
    const old = transfer({ at: '2024-01-01T10:00:00Z' });
    driver.pipe(old);
    driver.pipe(transfer({ at: '2024-01-03T23:00:00Z' }));
    expect(
      driver
        .store('windows')
        .entries()
        .map(([k]) => k.slice(0, 12)),
    ).toContain(Date.parse('2024-01-01').toString(16).padStart(12, '0'));
    driver.pipe(transfer({ at: '2024-01-04T01:00:00Z' })); // watermark 01-04T00:00, minus 2 days retention: 01-01 purged
    for (const store of ['windows', 'buckets', 'distinct'] as const) {
      expect(
        driver
          .store(store)
          .entries()
          .some(([k]) => k.startsWith(Date.parse('2024-01-01').toString(16).padStart(12, '0'))),
      ).toBe(false);
    }
    late();
    driver.pipe(retraction(old));
    expect(late().map((l) => l.late_reason)).toEqual(['window_purged']);
  });
});

describe('token_metrics_daily values', () => {
  it('counts mints and burns in volume, separately too, and excludes the zero address from unique addresses', () => {
    const { driver, rows } = setup();
    const A = addr(1);
    const B = addr(2);
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', from: ZERO, to: A, amount: 10n }));
    driver.pipe(transfer({ at: '2024-01-01T10:01:00Z', from: A, to: ZERO, amount: 3n }));
    driver.pipe(transfer({ at: '2024-01-01T10:02:00Z', from: A, to: B, amount: 2n }));
    expect(rows().at(-1)).toMatchObject({
      volume_raw: 15n,
      minted_raw: 10n,
      burned_raw: 3n,
      unique_addresses: 2,
      transfer_count: 3,
    });
  });

  it('keeps 2^255-sized amounts exact (volume can exceed uint256)', () => {
    const { driver, rows } = setup();
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 2n ** 255n }));
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 2n ** 256n - 1n }));
    expect(rows().at(-1)?.volume_raw).toBe(2n ** 255n + 2n ** 256n - 1n);
  });

  it('prices with the as-of join, nulls stale and unknown, and recomputes the final against late prices', () => {
    const { driver, rows } = setup();
    driver.pipe(price('2024-01-01T09:00:00Z', '2.00'));
    driver.pipe(transfer({ at: '2024-01-01T10:00:00Z', amount: 1_500_000_000_000_000_000n }));
    expect(rows().at(-1)).toMatchObject({
      volume_usd: '3',
      unpriced_transfer_count: 0,
      price_open: '2',
      price_close: '2',
      price_source: 'test',
    });
    driver.pipe(transfer({ at: '2024-01-01T12:00:00Z', amount: 1_500_000_000_000_000_000n })); // 3 h after the last price
    expect(rows().at(-1)).toMatchObject({ volume_usd: null, unpriced_transfer_count: 1 });
    driver.pipe(price('2024-01-01T11:30:00Z', '4.00')); // arrives late, but before the close
    driver.pipe(transfer({ at: '2024-01-02T01:00:00Z', amount: 1n, decimals: null }));
    const [, final] = rows();
    expect(final).toMatchObject({
      date: '2024-01-01',
      is_final: true,
      volume_usd: '9',
      unpriced_transfer_count: 0,
      price_open: '2',
      price_high: '4',
      price_low: '2',
      price_close: '4',
      price_staleness_s: 44999,
    });
    driver.pipe(transfer({ at: '2024-01-02T01:00:01Z', amount: 1n }));
    expect(rows().at(-1)).toMatchObject({
      date: '2024-01-02',
      volume_usd: null,
      unpriced_transfer_count: 2,
      price_open: null,
      price_staleness_s: 48601,
    });
  });

  it('retracts exactly when token metadata arrived between a transfer and its retraction', () => {
    const { driver, rows } = setup();
    driver.pipe(price('2024-01-01T09:00:00Z', '2'));
    const before = transfer({ at: '2024-01-01T10:00:00Z', amount: 10n ** 18n, decimals: null });
    driver.pipe(before);
    driver.pipe(transfer({ at: '2024-01-01T10:30:00Z', amount: 3n * 10n ** 18n, decimals: 18 }));
    driver.pipe({ ...retraction(before), decimals: 18 }); // re-derived with the now known decimals
    driver.pipe(transfer({ at: '2024-01-02T01:00:00Z', amount: 1n }));
    expect(rows().find((r) => r.is_final)).toMatchObject({
      transfer_count: 1,
      volume_raw: 3n * 10n ** 18n,
      volume_usd: '6',
      unpriced_transfer_count: 0,
    });
  });

  it('rounds USD once, half to even, from exact sums', () => {
    const { driver, rows } = setup();
    driver.pipe(price('2024-01-01T00:00:00Z', '0.0000015'));
    // 3 transfers of 1 token unit at 6 decimals: each 0.0000015 USD; the sum 0.0000045 rounds to 0.000004 (even).
    for (let i = 0; i < 3; i++) driver.pipe(transfer({ at: '2024-01-01T01:00:00Z', amount: 1_000_000n, decimals: 6 }));
    expect(rows().at(-1)?.volume_usd).toBe('0.000004');
  });
});

describe('token window and bucket layout (ADR 0026)', () => {
  const window: TokenWindow = {
    chain_id: 1,
    token_address: addr(9),
    symbol: null,
    decimals: 6,
    volume_raw: 2n ** 255n + 3n,
    minted_raw: 2n ** 53n,
    burned_raw: 2n ** 53n - 1n,
    transfer_count: 4,
    tx_count: 3,
    unique_addresses: 5,
    usd_scaled: -(2n ** 70n),
    unpriced_count: 1,
    version: 7,
    final: true,
  };
  const through = <V>(c: StateCodec<V>, v: V): V => c.decode(decodeStateValue(encodeStateValue(c.encode(v))), 'k');

  it('round-trips exact amounts on both sides of 2^53 and above 2^255', () => {
    expect(through(tokenWindowCodec, window)).toEqual(window);
    for (const b of [
      { raw: 0n, count: 1 },
      { raw: 2n ** 256n - 1n, count: 2 },
    ])
      expect(through(tokenBucketCodec, b)).toEqual(b);
  });

  it('reads entries written in the keyed layout before it, and refuses malformed ones with the store and key', () => {
    const keyed = {
      ...window,
      volume_raw: window.volume_raw.toString(),
      minted_raw: window.minted_raw.toString(),
      burned_raw: window.burned_raw.toString(),
      usd_scaled: window.usd_scaled.toString(),
    };
    expect(tokenWindowCodec.decode(keyed, 'k')).toEqual(window);
    expect(tokenBucketCodec.decode({ raw: '12', count: 1 }, 'k')).toEqual({ raw: 12n, count: 1 });
    const plain = tokenWindowCodec.encode(window) as Plain[];
    expect(() => tokenWindowCodec.decode(plain.slice(0, -1), 'wk')).toThrow(/windows, key wk: expected \[1/);
    expect(() => tokenWindowCodec.decode([...plain.slice(0, 5), 'x', ...plain.slice(6)], 'wk')).toThrow(StateSerdeError);
    expect(() => tokenBucketCodec.decode([2, 1, 1], 'bk')).toThrow(/buckets, key bk/);
  });
});
