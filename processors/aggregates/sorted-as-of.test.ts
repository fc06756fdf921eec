import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../engine/inMemoryStore.ts';
import { SortedAsOf } from './daily-aggregator.ts';
import { asOfPrice, assetKey, nextLatest, priceKey, type AsOfPrice, type PricePoint } from './prices.ts';
import { DAY_MS } from '../../core/time.ts';
import { windowStartOf } from './windowing.ts';
import { xorshift32 } from '../../core/xorshift.ts';

/** The close pass's as-of table must answer exactly as the per-time join (asOfPrice) does. */
describe('SortedAsOf', () => {
  it('matches asOfPrice for every time of the window, random ticks, several staleness limits', () => {
    const rand = xorshift32(12345);
    const asset = assetKey(1, '0x' + 'ab'.repeat(20));
    const ws = windowStartOf(Date.parse('2024-05-02T00:00:00Z'));
    for (let round = 0; round < 6; round++) {
      const points = new InMemoryKeyValueStore<PricePoint>('prices', 12);
      const latest = new InMemoryKeyValueStore<AsOfPrice>('price_latest');
      // Ticks from two days before the window to a day after, sparse or dense, inserted out of order.
      const n = round === 0 ? 0 : 5 + Math.floor(rand() * 200);
      for (let i = 0; i < n; i++) {
        const timeMs = ws - 2 * DAY_MS + Math.floor((rand() * 4 * DAY_MS) / 1000) * 1000;
        const point: PricePoint = { priceE: BigInt(Math.floor(rand() * 1e9)), source: `s${i}` };
        points.put(priceKey(asset, timeMs), point);
        const next = nextLatest(latest.get(asset), timeMs, point);
        if (next !== undefined) latest.put(asset, next);
      }
      const table = { points, latest };
      for (const staleness of [0, 60_000, 7_200_000, DAY_MS + 1, 2 * DAY_MS]) {
        const sorted = new SortedAsOf(table, asset, ws, staleness);
        for (let k = 0; k < 400; k++) {
          const t = k < 4 ? [ws, ws + DAY_MS - 1, ws + 1000, ws + DAY_MS - 1000][k]! : ws + Math.floor(rand() * DAY_MS);
          const expected = asOfPrice(table, asset, t, staleness);
          const actual = sorted.at(t);
          expect(actual === null ? null : { ...actual }, `t=${t} staleness=${staleness}`).toEqual(
            expected === null ? null : { priceE: expected.priceE, timestampMs: expected.timestampMs, source: expected.source },
          );
        }
      }
    }
  });
});
