import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import { StateTxn } from './stateTxn.ts';
import type { StateView } from './state.ts';

type S = { a: number; b: string };

function view(): StateView<S> {
  const a = new InMemoryKeyValueStore<number>('a');
  for (const [k, v] of [
    ['k1', 1],
    ['k2', 2],
    ['k3', 3],
    ['k4', 4],
  ] as const)
    a.put(k, v);
  const b = new InMemoryKeyValueStore<string>('b');
  return { a, b };
}

describe('StateTxn', () => {
  it('reads its own writes and coalesces changes', () => {
    const txn = new StateTxn<S, never>(view());
    txn.put('a', 'k1', 10);
    txn.put('a', 'k1', 11);
    txn.delete('a', 'k2');
    txn.put('b', 'x', 'y');
    expect(txn.get('a', 'k1')).toBe(11);
    expect(txn.get('a', 'k2')).toBeUndefined();
    expect(txn.get('a', 'k3')).toBe(3);
    expect(txn.result().stateChanges).toEqual([
      { store: 'a', op: 'put', key: 'k1', value: 11 },
      { store: 'a', op: 'delete', key: 'k2' },
      { store: 'b', op: 'put', key: 'x', value: 'y' },
    ]);
  });

  it('merges pending writes and range deletes into range scans', () => {
    const txn = new StateTxn<S, never>(view());
    txn.put('a', 'k0', 0);
    txn.put('a', 'k25', 25);
    txn.delete('a', 'k2');
    txn.put('a', 'k3', 30);
    expect([...txn.range('a', {})]).toEqual([
      ['k0', 0],
      ['k1', 1],
      ['k25', 25],
      ['k3', 30],
      ['k4', 4],
    ]);
    expect([...txn.range('a', { lte: 'k3', reverse: true, limit: 2 })]).toEqual([
      ['k3', 30],
      ['k25', 25],
    ]);
    txn.deleteRange('a', 'k1', 'k4');
    txn.put('a', 'k35', 35);
    expect([...txn.range('a', {})]).toEqual([
      ['k0', 0],
      ['k35', 35],
      ['k4', 4],
    ]);
    expect(txn.get('a', 'k1')).toBeUndefined();
    expect(txn.result().stateChanges[0]).toEqual({ store: 'a', op: 'deleteRange', gte: 'k1', lt: 'k4' });
  });
});
