import { describe, expect, it } from 'vitest';
import { UnknownStoreError } from './errors.ts';
import type { Processor } from './processor.ts';
import { bigintCodec } from './state.ts';
import { StateTxn } from './stateTxn.ts';
import { createTestDriver } from './testDriver.ts';

type S = { totals: bigint };
/** Sums bigint amounts per key and emits the running total. */
const summer: Processor<S, { key: string; amount: bigint }, { key: string; total: bigint }> = {
  name: 'summer',
  stores: { totals: { codec: bigintCodec('totals'), doc: 'running total per key' } },
  outputTopics: ['totals'],
  process(state, record) {
    const txn = new StateTxn<S, { key: string; total: bigint }>(state);
    const total = (txn.get('totals', record.value.key) ?? 0n) + record.value.amount;
    txn.put('totals', record.value.key, total);
    txn.emit('totals', record.value.key, { key: record.value.key, total });
    return txn.result();
  },
};

describe('createTestDriver', () => {
  it('applies state changes and collects outputs, with bigint state round-tripped', () => {
    const driver = createTestDriver(summer, { initialState: { totals: [['a', 2n ** 255n]] } });
    driver.pipe({ key: 'a', amount: 1n });
    driver.pipe({ key: 'b', amount: 5n });
    driver.pipe({ key: 'a', amount: 2n ** 255n - 1n });
    expect(driver.store('totals').get('a')).toBe(2n ** 256n);
    expect(driver.outputs().map((o) => o.value.total)).toEqual([2n ** 255n + 1n, 5n, 2n ** 256n]);
    expect(driver.stats).toEqual({ records: 3, stateChanges: 3, stateChangesByStore: new Map([['totals', 3]]), outputs: 3 });
  });

  it('rejects writes to undeclared stores', () => {
    const bad: Processor<S, number, never> = {
      name: 'bad',
      stores: summer.stores,
      outputTopics: [],
      process: () => ({ stateChanges: [{ store: 'nope' as 'totals', op: 'delete', key: 'x' }], outputs: [] }),
    };
    expect(() => createTestDriver(bad).pipe(1)).toThrow(UnknownStoreError);
  });
});
