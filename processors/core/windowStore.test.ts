import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import { StateKeyError } from './errors.ts';
import { decodeWindowKey, encodeWindowKey, subEntryRange, windowsBefore } from './windowKey.ts';
import { windowView } from './windowStore.ts';

const DAY = 86_400_000;
const D1 = Date.parse('2024-01-01');

describe('window key layout and view', () => {
  it("orders by window start, then key; a key's sub-entries form one contiguous range", () => {
    const keys = [
      encodeWindowKey(D1 + DAY, 'a'),
      encodeWindowKey(D1, 'b', 'x'),
      encodeWindowKey(D1, 'b'),
      encodeWindowKey(D1, 'a', 'z'),
      encodeWindowKey(D1, 'a'),
      encodeWindowKey(D1, 'ab'),
    ].sort();
    expect(keys.map(decodeWindowKey).map((k) => `${k.windowStartMs === D1 ? 1 : 2}/${k.key}/${k.sub ?? ''}`)).toEqual([
      '1/a/',
      '1/ab/', // 'b' < '|': a key that extends another sorts between it and its sub-entries
      '1/a/z',
      '1/b/',
      '1/b/x',
      '2/a/',
    ]);
    const { gte, lt } = subEntryRange(D1, 'a');
    expect(keys.filter((k) => k >= gte && k < lt)).toEqual([encodeWindowKey(D1, 'a', 'z')]);
  });

  it('drops old windows with one range delete and reads through a window view', () => {
    const store = new InMemoryKeyValueStore<number>('w', 12);
    for (let d = 0; d < 4; d++) for (const key of ['x', 'y']) store.put(encodeWindowKey(D1 + d * DAY, key), d);
    store.put(encodeWindowKey(D1 + DAY, 'x', 'detail'), 99);
    const view = windowView(store);
    expect(view.fetch('y', D1 + 2 * DAY)).toBe(2);
    expect([...view.fetchWindow(D1 + DAY)]).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
    expect([...view.fetchRange('x', D1, D1 + 3 * DAY, DAY)]).toEqual([
      [D1, 0],
      [D1 + DAY, 1],
      [D1 + 2 * DAY, 2],
    ]);
    const { gte, lt } = windowsBefore(D1 + 2 * DAY);
    store.deleteRange(gte, lt);
    expect(store.entries().map(([k]) => decodeWindowKey(k).windowStartMs)).toEqual([
      D1 + 2 * DAY,
      D1 + 2 * DAY,
      D1 + 3 * DAY,
      D1 + 3 * DAY,
    ]);
    expect(() => view.fetch('a|b', D1)).toThrow(StateKeyError);
  });
});
