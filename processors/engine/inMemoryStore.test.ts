import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import type { KeyRange } from './state.ts';

/** Reference: a plain Map scanned and sorted on every query. */
function naiveRange(map: Map<string, number>, r: KeyRange): [string, number][] {
  let keys = [...map.keys()]
    .filter((k) => (r.gte === undefined || k >= r.gte) && (r.gt === undefined || k > r.gt))
    .filter((k) => (r.lte === undefined || k <= r.lte) && (r.lt === undefined || k < r.lt))
    .sort();
  if (r.reverse === true) keys = keys.reverse();
  if (r.limit !== undefined) keys = keys.slice(0, r.limit);
  return keys.map((k) => [k, map.get(k) as number]);
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('InMemoryKeyValueStore', () => {
  for (const prefix of [0, 1, 2, 3]) {
    it(`matches a naive sorted map under random operations (segment prefix ${prefix})`, () => {
      const rand = seeded(42 + prefix);
      const key = (): string => {
        const alphabet = 'abc|}';
        let k = '';
        const n = 1 + Math.floor(rand() * 5);
        for (let i = 0; i < n; i++) k += alphabet[Math.floor(rand() * alphabet.length)];
        return k;
      };
      const store = new InMemoryKeyValueStore<number>('s', prefix);
      const map = new Map<string, number>();
      for (let step = 0; step < 4000; step++) {
        const op = rand();
        if (op < 0.5) {
          const k = key();
          store.put(k, step);
          map.set(k, step);
        } else if (op < 0.7) {
          const k = key();
          store.delete(k);
          map.delete(k);
        } else if (op < 0.75) {
          const [a, b] = [key(), key()].sort() as [string, string];
          store.deleteRange(a, b);
          for (const k of [...map.keys()]) if (k >= a && k < b) map.delete(k);
        } else {
          const [a, b] = [key(), key()].sort() as [string, string];
          const variants: KeyRange[] = [
            { gte: a, lt: b },
            { gt: a, lte: b },
            { gte: a, lte: b, reverse: true },
            { gt: a, lt: b, reverse: true, limit: 2 },
            { lte: b, reverse: true, limit: 1 },
            {},
          ];
          for (const r of variants) expect([...store.range(r)], JSON.stringify(r)).toEqual(naiveRange(map, r));
        }
        expect(store.size).toBe(map.size);
      }
    });
  }

  it('point reads never sort', () => {
    const store = new InMemoryKeyValueStore<number>('s', 1);
    store.put('b1', 1);
    store.put('a1', 2);
    expect(store.get('b1')).toBe(1);
    expect(store.entries()).toEqual([
      ['a1', 2],
      ['b1', 1],
    ]);
  });
});
