import { describe, expect, it } from 'vitest';
import { PRICE_DECIMALS, parseDecimal } from './decimal.ts';
import { InvalidPriceError } from './errors.ts';
import { PriceTable, assetKey, priceEntry, type AsOfPrice, type PriceDay } from './prices.ts';
import { price, TOKEN } from './testing/fixtures.ts';
import { DAY_MS, HOUR_MS } from '../../core/time.ts';
import { xorshift32 } from '../../core/xorshift.ts';
import { windowStartOf } from './windowing.ts';

const HOUR = HOUR_MS;
const at = (iso: string): number => Date.parse(iso);
const E = (s: string): bigint => parseDecimal(s, PRICE_DECIMALS);

function tableOf(ticks: [string, string][]): PriceTable {
  const table = new PriceTable();
  for (const [iso, usd] of ticks) table.add(price(iso, usd));
  return table;
}

describe('as-of price join', () => {
  const asset = assetKey(1, TOKEN);
  const prices = tableOf([
    ['2024-01-01T10:00:00Z', '1.00'],
    ['2024-01-01T23:30:00Z', '1.30'],
    ['2024-01-01T11:00:00Z', '1.10'], // out of order
  ]);

  it('takes the latest price at or before the transfer time', () => {
    expect(prices.asOf(asset, at('2024-01-01T11:00:00Z'), 2 * HOUR)?.priceE).toBe(E('1.10'));
    expect(prices.asOf(asset, at('2024-01-01T10:59:59.999Z'), 2 * HOUR)?.priceE).toBe(E('1.00'));
    expect(prices.asOf(asset, at('2024-01-01T12:30:00Z'), 2 * HOUR)).toMatchObject({
      priceE: E('1.10'),
      timestampMs: at('2024-01-01T11:00:00Z'),
    });
  });

  it('looks across midnight into the previous day', () => {
    expect(prices.asOf(asset, at('2024-01-02T00:10:00Z'), 2 * HOUR)?.priceE).toBe(E('1.30'));
  });

  it('is null when the price is older than the staleness limit, or missing', () => {
    expect(prices.asOf(asset, at('2024-01-01T13:00:00Z'), 2 * HOUR)?.priceE).toBe(E('1.10'));
    expect(prices.asOf(asset, at('2024-01-01T13:00:00.001Z'), 2 * HOUR)).toBeNull();
    expect(prices.asOf(asset, at('2024-01-01T09:59:59Z'), 2 * HOUR)).toBeNull();
    expect(prices.asOf(assetKey(1, '0x' + 'bb'.repeat(20)), at('2024-01-01T11:00:00Z'), 2 * HOUR)).toBeNull();
    expect(prices.asOf(assetKey(10, TOKEN), at('2024-01-01T11:00:00Z'), 2 * HOUR)).toBeNull();
  });

  it('keeps one tick per time: a later tick of the same time replaces the earlier', () => {
    const table = tableOf([
      ['2024-01-01T10:00:00Z', '1.00'],
      ['2024-01-01T10:00:00Z', '2.00'],
    ]);
    expect(table.size).toBe(1);
    expect(table.asOf(asset, at('2024-01-01T10:30:00Z'), 2 * HOUR)?.priceE).toBe(E('2.00'));
  });

  it('rejects prices that are not non-negative decimals, and leaves the table unchanged', () => {
    const table = new PriceTable();
    expect(() => priceEntry(price('2024-01-01T00:00:00Z', '-1'))).toThrow(InvalidPriceError);
    expect(() => table.add(price('2024-01-01T00:00:00Z', 'NaN'))).toThrow(InvalidPriceError);
    expect(table.size).toBe(0);
  });

  it('answers as a scan of every tick does, for random ticks inserted out of order and several staleness limits', () => {
    const rand = xorshift32(12345);
    const ws = windowStartOf(Date.parse('2024-05-02T00:00:00Z'));
    for (let round = 0; round < 6; round++) {
      const table = new PriceTable();
      const ticks = new Map<number, AsOfPrice>();
      const n = round === 0 ? 0 : 5 + Math.floor(rand() * 200);
      for (let i = 0; i < n; i++) {
        const timestamp = Math.floor((ws - 2 * DAY_MS + rand() * 4 * DAY_MS) / 1000);
        const usd = String(Math.floor(rand() * 1e9) / 1e4);
        table.add({ ...price(new Date(timestamp * 1000).toISOString(), usd), source: `s${i}` });
        ticks.set(timestamp * 1000, { priceE: E(usd), timestampMs: timestamp * 1000, source: `s${i}` });
      }
      expect(table.size).toBe(ticks.size);
      for (const staleness of [0, 60_000, 7_200_000, DAY_MS + 1, 2 * DAY_MS]) {
        for (let k = 0; k < 400; k++) {
          const t = ws - DAY_MS + Math.floor(rand() * 3 * DAY_MS);
          let expected: AsOfPrice | null = null;
          for (const tick of ticks.values())
            if (tick.timestampMs <= t && (expected === null || tick.timestampMs > expected.timestampMs)) expected = tick;
          if (expected !== null && t - expected.timestampMs > staleness) expected = null;
          expect(table.asOf(assetKey(1, TOKEN), t, staleness), `t=${t} staleness=${staleness}`).toEqual(expected);
        }
      }
    }
  });
});

describe('daily OHLC', () => {
  it('is order-independent and survives a corrected tick', () => {
    const asset = assetKey(1, TOKEN);
    const table = new PriceTable();
    const ws = at('2024-01-01T00:00:00Z');
    const day = (): PriceDay | undefined => table.day(asset, ws);
    table.add(price('2024-01-01T12:00:00Z', '2'));
    table.add(price('2024-01-01T06:00:00Z', '1'));
    table.add(price('2024-01-01T18:00:00Z', '5'));
    expect(day()).toMatchObject({ open: E('1'), high: E('5'), low: E('1'), close: E('5') });
    table.add(price('2024-01-01T20:00:00Z', '3'));
    table.add(price('2023-12-31T23:59:59Z', '0.5')); // the day before: not in this day's OHLC
    table.add(price('2024-01-02T00:00:00Z', '9')); // the next day
    expect(day()).toMatchObject({ open: E('1'), high: E('5'), low: E('1'), close: E('3') });
    table.add(price('2024-01-01T18:00:00Z', '2.5')); // correction of the high
    expect(day()).toMatchObject({
      openMs: at('2024-01-01T06:00:00Z'),
      open: E('1'),
      high: E('3'),
      low: E('1'),
      closeMs: at('2024-01-01T20:00:00Z'),
      close: E('3'),
    });
    expect(table.day(asset, ws - DAY_MS)).toMatchObject({ open: E('0.5'), close: E('0.5') });
    expect(table.day(asset, ws + 2 * DAY_MS)).toBeUndefined();
  });

  it('kept up to date as ticks arrive (newer, older, corrections) equals the OHLC computed from all ticks at once', () => {
    const asset = assetKey(1, TOKEN);
    const rand = xorshift32(777);
    const ws = at('2024-03-01T00:00:00Z');
    const live = new PriceTable();
    const ticks: ReturnType<typeof price>[] = [];
    let latest = ws;
    for (let i = 0; i < 600; i++) {
      // Mostly the next minute; sometimes an older second, sometimes a correction of an earlier tick.
      const r = rand();
      const timeMs =
        r < 0.8
          ? (latest += 300_000)
          : r < 0.9
            ? ws + Math.floor((rand() * (latest - ws)) / 1000) * 1000
            : ticks[Math.floor(rand() * ticks.length)]!.timestamp * 1000;
      const tick = { ...price(timeMs / 1000, String(1 + Math.floor(rand() * 1e6) / 1e4)), source: `s${i}` };
      ticks.push(tick);
      live.add(tick);
      const day = ws + Math.floor(rand() * 2) * DAY_MS;
      const fresh = new PriceTable();
      for (const t of ticks) fresh.add(t);
      expect(live.day(asset, day), `after tick ${i}`).toEqual(fresh.day(asset, day));
    }
  });
});
