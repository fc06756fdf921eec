import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../engine/inMemoryStore.ts';
import { PRICE_DECIMALS, parseDecimal } from './decimal.ts';
import { InvalidPriceError } from './errors.ts';
import {
  asOfPrice,
  assetKey,
  latestPriceAtOrBefore,
  nextLatest,
  nextPriceDay,
  priceEntry,
  priceKey,
  type AsOfPrice,
  type PriceDay,
  type PricePoint,
} from './prices.ts';
import { price, TOKEN } from './testing/fixtures.ts';
import { HOUR_MS } from '../../core/time.ts';

const HOUR = HOUR_MS;
const at = (iso: string): number => Date.parse(iso);
const E = (s: string): bigint => parseDecimal(s, PRICE_DECIMALS);

function table(ticks: [string, string][]): InMemoryKeyValueStore<PricePoint> {
  const store = new InMemoryKeyValueStore<PricePoint>('prices', 12);
  for (const [iso, usd] of ticks) {
    const { asset, timeMs, point } = priceEntry(price(iso, usd));
    store.put(priceKey(asset, timeMs), point);
  }
  return store;
}

describe('as-of price join', () => {
  const asset = assetKey(1, TOKEN);
  const prices = table([
    ['2024-01-01T10:00:00Z', '1.00'],
    ['2024-01-01T11:00:00Z', '1.10'],
    ['2024-01-01T23:30:00Z', '1.30'],
  ]);

  it('takes the latest price at or before the transfer time', () => {
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T11:00:00Z'), 2 * HOUR)?.priceE).toBe(E('1.10'));
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T10:59:59.999Z'), 2 * HOUR)?.priceE).toBe(E('1.00'));
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T12:30:00Z'), 2 * HOUR)).toMatchObject({
      priceE: E('1.10'),
      timestampMs: at('2024-01-01T11:00:00Z'),
    });
  });

  it('looks across midnight into the previous day', () => {
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-02T00:10:00Z'), 2 * HOUR)?.priceE).toBe(E('1.30'));
  });

  it('is null when the price is older than the staleness limit, or missing', () => {
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T13:00:00Z'), 2 * HOUR)?.priceE).toBe(E('1.10'));
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T13:00:00.001Z'), 2 * HOUR)).toBeNull();
    expect(latestPriceAtOrBefore(prices, asset, at('2024-01-01T09:59:59Z'), 2 * HOUR)).toBeNull();
    expect(latestPriceAtOrBefore(prices, assetKey(1, '0x' + 'bb'.repeat(20)), at('2024-01-01T11:00:00Z'), 2 * HOUR)).toBeNull();
    expect(latestPriceAtOrBefore(prices, assetKey(10, TOKEN), at('2024-01-01T11:00:00Z'), 2 * HOUR)).toBeNull();
  });

  it('answers from the newest tick without a scan when it is not after the transfer, and scans otherwise', () => {
    const latest = new InMemoryKeyValueStore<AsOfPrice>('price_latest');
    let newest: AsOfPrice | undefined;
    for (const [iso, usd] of [
      ['2024-01-01T10:00:00Z', '1.00'],
      ['2024-01-01T23:30:00Z', '1.30'],
      ['2024-01-01T11:00:00Z', '1.10'], // out of order: not newer, leaves the newest alone
    ] as const) {
      const { timeMs, point } = priceEntry(price(iso, usd));
      newest = nextLatest(newest, timeMs, point) ?? newest;
    }
    latest.put(asset, newest as AsOfPrice);
    const table = { points: prices, latest };
    for (const iso of [
      '2024-01-02T00:10:00Z',
      '2024-01-01T12:30:00Z',
      '2024-01-01T13:30:00Z',
      '2024-01-02T02:00:00Z',
      '2024-01-01T09:00:00Z',
    ]) {
      const t = at(iso);
      expect(asOfPrice(table, asset, t, 2 * HOUR), iso).toEqual(latestPriceAtOrBefore(prices, asset, t, 2 * HOUR));
    }
    expect(asOfPrice(table, asset, at('2024-01-02T00:10:00Z'), 2 * HOUR)?.priceE).toBe(E('1.30'));
    expect(asOfPrice(table, assetKey(1, '0x' + 'bb'.repeat(20)), at('2024-01-02T00:10:00Z'), 2 * HOUR)).toBeNull();
  });

  it('rejects prices that are not non-negative decimals', () => {
    expect(() => priceEntry(price('2024-01-01T00:00:00Z', '-1'))).toThrow(InvalidPriceError);
    expect(() => priceEntry(price('2024-01-01T00:00:00Z', 'NaN'))).toThrow(InvalidPriceError);
  });
});

describe('daily OHLC', () => {
  it('is order-independent and survives a corrected tick', () => {
    const asset = assetKey(1, TOKEN);
    const prices = new InMemoryKeyValueStore<PricePoint>('prices', 12);
    let day: PriceDay | undefined;
    const add = (iso: string, usd: string): void => {
      const { timeMs, point } = priceEntry(price(iso, usd));
      const key = priceKey(asset, timeMs);
      const replaced = prices.get(key) !== undefined;
      prices.put(key, point);
      day = nextPriceDay(prices, day, replaced, asset, timeMs, point);
    };
    add('2024-01-01T12:00:00Z', '2');
    add('2024-01-01T06:00:00Z', '1');
    add('2024-01-01T18:00:00Z', '5');
    add('2024-01-01T20:00:00Z', '3');
    expect(day).toMatchObject({ open: E('1'), high: E('5'), low: E('1'), close: E('3') });
    add('2024-01-01T18:00:00Z', '2.5'); // correction of the high
    expect(day).toMatchObject({ open: E('1'), high: E('3'), low: E('1'), close: E('3') });
  });
});
