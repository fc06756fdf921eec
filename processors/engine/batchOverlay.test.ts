import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import type { KeyRange, StateChange, StateView } from './state.ts';
import { BatchOverlay } from './batchOverlay.ts';

/** Randomised model check: the overlay over a committed store reads exactly like the store with the writes applied. */
describe('BatchOverlay', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const key = (): string => `k${String(rand(60)).padStart(2, '0')}`;

  it('matches a store with the same writes applied, for gets and every kind of range scan', () => {
    for (let round = 0; round < 200; round++) {
      const committed = new InMemoryKeyValueStore<number>('s');
      const model = new InMemoryKeyValueStore<number>('s');
      for (let i = 0; i < 30; i++) {
        const k = key();
        committed.put(k, i);
        model.put(k, i);
      }
      const overlay = new BatchOverlay({ s: committed } as StateView<Record<string, unknown>>, ['s']);
      for (let op = 0; op < 40; op++) {
        const r = rand(10);
        let change: StateChange<Record<string, unknown>>;
        if (r < 6) change = { store: 's', op: 'put', key: key(), value: 1000 + op };
        else if (r < 9) change = { store: 's', op: 'delete', key: key() };
        else {
          const [a, b] = [key(), key()].sort() as [string, string];
          change = { store: 's', op: 'deleteRange', gte: a, lt: b };
        }
        overlay.apply([change]);
        model.apply(change as never);
        const probe = key();
        expect(overlay.view.s?.get(probe)).toBe(model.get(probe));
        const [lo, hi] = [key(), key()].sort() as [string, string];
        const ranges: KeyRange[] = [
          {},
          { gte: lo, lt: hi },
          { gt: lo, lte: hi },
          { gte: lo, lte: hi, reverse: true },
          { lt: hi, reverse: true, limit: 3 },
          { gte: lo, limit: 2 },
        ];
        for (const range of ranges) expect([...(overlay.view.s?.range(range) ?? [])]).toEqual([...model.range(range)]);
      }
      // Replaying the batch's changes on the committed store yields the model.
      for (const change of overlay.changes()) committed.apply(change as never);
      expect([...committed.range({})]).toEqual([...model.range({})]);
    }
  });
});
