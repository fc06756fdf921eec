import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../../core/errors.ts';
import { xorshift32 } from '../../../core/xorshift.ts';
import { CountedPairs, PairUnderflowError, PairsCorruptError, pairHash, type PairChanges } from './counted-pairs.ts';
import { thrown } from './testing/thrown.ts';

const key = (row: number, member: number): string => `${row}:${member}`;

function contents(table: CountedPairs): Map<string, number> {
  const pairs = new Map<string, number>();
  table.forEach((row, member, count) => pairs.set(key(row, member), count));
  expect(pairs.size).toBe(table.size); // no pair twice
  return pairs;
}

/** One add or remove of (row, member) on the table and the reference, checking the result, the count and the size. */
function applyStep(table: CountedPairs, reference: Map<string, number>, row: number, member: number, add: boolean): void {
  const k = key(row, member);
  const before = reference.get(k) ?? 0;
  if (add) {
    expect(table.add(row, member)).toBe(before === 0);
    reference.set(k, before + 1);
  } else {
    expect(table.remove(row, member)).toBe(before === 1);
    if (before === 1) reference.delete(k);
    else reference.set(k, before - 1);
  }
  expect(table.count(row, member)).toBe(reference.get(k) ?? 0);
  expect(table.size).toBe(reference.size);
}

/** Applies one random add or remove (an absent pair's removal must throw); returns the pair's key, '' when refused. */
function randomStep(table: CountedPairs, reference: Map<string, number>, rand: () => number, ids: number): string {
  const row = Math.floor(rand() * ids);
  const member = Math.floor(rand() * ids);
  const k = key(row, member);
  const add = rand() < 0.55;
  if (!add && !reference.has(k)) {
    expect(() => table.remove(row, member)).toThrow(PairUnderflowError);
    return '';
  }
  applyStep(table, reference, row, member, add);
  return k;
}

describe('CountedPairs', () => {
  it('matches a Map reference step by step over small id ranges (collisions, growth, long probe runs)', () => {
    const rand = xorshift32(1);
    const table = new CountedPairs(16);
    const reference = new Map<string, number>();
    for (let step = 0; step < 40_000; step++) {
      randomStep(table, reference, rand, step < 20_000 ? 12 : 40);
      if (step % 1000 === 999) expect(contents(table)).toEqual(reference);
    }
    expect(reference.size).toBeGreaterThan(300);
    expect(table.capacity).toBeGreaterThan(16);
  });

  it('matches a Map reference over the whole int32 id range', () => {
    const rand = xorshift32(2);
    const table = new CountedPairs();
    const reference = new Map<string, number>();
    const seen: [number, number][] = [];
    for (let step = 0; step < 30_000; step++) {
      // Revisit earlier pairs often, or random ids would almost never repeat.
      const old = seen.length > 0 && rand() < 0.6 ? seen[Math.floor(rand() * seen.length)]! : undefined;
      const row = old?.[0] ?? Math.floor(rand() * 2 ** 31);
      const member = old?.[1] ?? Math.floor(rand() * 2 ** 31);
      if (old === undefined) seen.push([row, member]);
      applyStep(table, reference, row, member, rand() < 0.6 || !reference.has(key(row, member)));
    }
    expect(contents(table)).toEqual(reference);
    expect(table.add(2 ** 31 - 1, 2 ** 31 - 1)).toBe(true);
    expect(table.count(2 ** 31 - 1, 2 ** 31 - 1)).toBe(1);
  });

  it('deletes by backward shift inside one long cluster (wrapping the end) and still finds every other pair', () => {
    const rand = xorshift32(3);
    // Pairs whose home is slot 0…7 or 4088…4095 at every capacity up to 4096: one cluster that wraps around.
    const pairs: [number, number][] = [];
    for (let row = 0; pairs.length < 1500; row++) {
      const home = pairHash(row, 77) & 4095;
      if (home < 8 || home >= 4088) pairs.push([row, 77]);
    }
    const table = new CountedPairs(16);
    const reference = new Map<string, number>();
    for (const [row, member] of pairs) {
      const times = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < times; i++) table.add(row, member);
      reference.set(key(row, member), times);
    }
    expect(table.capacity).toBe(4096);
    const order = pairs.map((pair) => ({ pair, r: rand() })).sort((a, b) => a.r - b.r);
    for (const [n, { pair }] of order.entries()) {
      const [row, member] = pair;
      const times = reference.get(key(row, member))!;
      for (let i = 1; i <= times; i++) expect(table.remove(row, member)).toBe(i === times);
      reference.delete(key(row, member));
      expect(table.count(row, member)).toBe(0);
      expect(table.size).toBe(reference.size);
      if (n % 25 === 0) for (const [r, m] of pairs) expect(table.count(r, m)).toBe(reference.get(key(r, m)) ?? 0);
    }
    expect(table.size).toBe(0);
    expect(contents(table).size).toBe(0);
  });

  it('keeps every count through growth, below a load of 0.6', () => {
    const rand = xorshift32(4);
    const table = new CountedPairs(16);
    const reference = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const row = Math.floor(rand() * 5000);
      const member = Math.floor(rand() * 100_000);
      table.add(row, member);
      reference.set(key(row, member), (reference.get(key(row, member)) ?? 0) + 1);
    }
    expect(table.capacity).toBe(2 ** Math.ceil(Math.log2(table.size / 0.6)));
    expect(table.size / table.capacity).toBeLessThanOrEqual(0.6);
    expect(contents(table)).toEqual(reference);
    for (const [k, count] of reference) {
      const [row, member] = k.split(':').map(Number) as [number, number];
      expect(table.count(row, member)).toBe(count);
    }
  });

  it('lists exactly the keys changed since the last take, once each, and a copy plus the delta is the table', () => {
    const rand = xorshift32(5);
    const table = new CountedPairs(16);
    const reference = new Map<string, number>();
    let copy = CountedPairs.decode(table.encode());
    let changed = new Set<string>();
    let zeroed = new Set<string>();
    let takes = 0;
    let removedInTakes = 0;
    let readded = 0;
    for (let step = 0; step < 40_000; step++) {
      // The id range widens (the table grows between takes); takes are frequent, then rare (long generations).
      const ids = 4 + Math.floor(step / 800);
      const takeChance = Math.floor(step / 5000) % 2 === 0 ? 0.01 : 0.001;
      let k: string;
      if (rand() < 0.03) {
        const row = Math.floor(rand() * ids);
        const member = Math.floor(rand() * ids);
        const count = rand() < 0.3 ? 0 : 1 + Math.floor(rand() * 4);
        const set = key(row, member);
        k = (reference.get(set) ?? 0) === count ? '' : set; // setting the same count is no change
        table.setCount(row, member, count);
        if (count === 0) reference.delete(set);
        else reference.set(set, count);
      } else {
        k = randomStep(table, reference, rand, ids);
      }
      if (k !== '') {
        changed.add(k);
        if (!reference.has(k)) zeroed.add(k);
        else if (zeroed.has(k)) readded++;
      }
      if (rand() < takeChance) {
        const changes = table.takeChanges();
        const listed = new Map<string, number>();
        for (let i = 0; i < changes.rows.length; i++) listed.set(key(changes.rows[i]!, changes.members[i]!), changes.counts[i]!);
        expect(listed.size).toBe(changes.rows.length);
        expect(new Set(listed.keys())).toEqual(changed);
        for (const [k, count] of listed) expect(count).toBe(reference.get(k) ?? 0);
        removedInTakes += [...listed.values()].filter((count) => count === 0).length;
        copy.applyChanges(CountedPairs.decodeChanges(CountedPairs.encodeChanges(changes)));
        expect(contents(copy)).toEqual(reference);
        expect(table.takeChanges().rows.length).toBe(0);
        copy = CountedPairs.decode(table.encode());
        changed = new Set();
        zeroed = new Set();
        takes++;
      }
    }
    expect(takes).toBeGreaterThan(100);
    expect(removedInTakes).toBeGreaterThan(200);
    expect(readded).toBeGreaterThan(200);
    expect(table.capacity).toBeGreaterThanOrEqual(2048);
  });

  it('undoes rolled-back batches and savepoints exactly; takes list exactly what committed work changed', () => {
    const rand = xorshift32(8);
    const table = new CountedPairs(16);
    let committed = new Map<string, number>();
    const changed = new Set<string>();
    let [batches, rollbacks, savepointRollbacks, takes] = [0, 0, 0, 0];
    for (let round = 0; round < 1500; round++) {
      const ids = 6 + Math.floor(round / 100);
      table.beginBatch();
      let working = new Map(committed);
      let pending = new Set<string>();
      let savepoint = { working: new Map(working), pending: new Set(pending) };
      const steps = rand() < 0.1 ? 300 : 1 + Math.floor(rand() * 30);
      for (let i = 0; i < steps; i++) {
        const r = rand();
        if (r < 0.04) {
          table.savepoint();
          savepoint = { working: new Map(working), pending: new Set(pending) };
        } else if (r < 0.07) {
          table.rollbackToSavepoint();
          [working, pending] = [new Map(savepoint.working), new Set(savepoint.pending)];
          savepointRollbacks++;
        } else if (r < 0.1) {
          const [row, member, count] = [Math.floor(rand() * ids), Math.floor(rand() * ids), Math.floor(rand() * 3)];
          const k = key(row, member);
          if ((working.get(k) ?? 0) !== count) pending.add(k);
          table.setCount(row, member, count);
          if (count === 0) working.delete(k);
          else working.set(k, count);
        } else {
          const k = randomStep(table, working, rand, ids);
          if (k !== '') pending.add(k);
        }
      }
      if (rand() < 0.35) {
        table.rollbackBatch();
        rollbacks++;
      } else {
        table.commitBatch();
        committed = working;
        for (const k of pending) changed.add(k);
        batches++;
      }
      expect(contents(table)).toEqual(committed);
      if (rand() < 0.2) {
        // Work outside a batch is kept and listed too.
        const k = randomStep(table, committed, rand, ids);
        if (k !== '') changed.add(k);
      }
      if (rand() < 0.1) {
        const changes = table.takeChanges();
        const listed = new Map<string, number>();
        for (let i = 0; i < changes.rows.length; i++) listed.set(key(changes.rows[i]!, changes.members[i]!), changes.counts[i]!);
        expect(listed.size).toBe(changes.rows.length);
        expect(new Set(listed.keys())).toEqual(changed);
        for (const [k, count] of listed) expect(count).toBe(committed.get(k) ?? 0);
        changed.clear();
        takes++;
      }
    }
    expect([batches, rollbacks, savepointRollbacks, takes].every((n) => n > 100)).toBe(true);
    expect(table.capacity).toBeGreaterThan(16);
  });

  it('lists after a rollback what was listed before it, with the counts it had, and no key twice', () => {
    const table = new CountedPairs(16);
    const [A, B, C] = [
      [1, 1],
      [2, 2],
      [3, 3],
    ] as const;
    table.add(...B);
    table.takeChanges();
    table.add(...A);
    table.add(...A);
    table.beginBatch();
    table.remove(...A);
    table.remove(...A); // A deleted: its listing keeps count 0 …
    table.add(...A); // … and re-adding it finds that listing through the removed keys
    table.remove(...B); // B listed anew, and remembered as removed at that position
    table.add(...C);
    table.rollbackBatch();
    expect([table.count(...A), table.count(...B), table.count(...C)]).toEqual([2, 1, 0]);
    // B's stale position (dropped by the rollback, then reused by C's listing below) must not be taken for B's.
    table.add(...C);
    table.remove(...B);
    const changes = table.takeChanges();
    expect([...changes.rows]).toEqual([1, 3, 2]);
    expect([...changes.counts]).toEqual([2, 1, 0]);
  });

  it('refuses batch misuse', () => {
    const table = new CountedPairs();
    expect(() => table.commitBatch()).toThrow(/no batch/);
    expect(() => table.rollbackBatch()).toThrow(/no batch/);
    expect(() => table.savepoint()).toThrow(/no batch/);
    expect(() => table.rollbackToSavepoint()).toThrow(/no batch/);
    table.beginBatch();
    expect(() => table.beginBatch()).toThrow(/do not nest/);
    expect(() => table.takeChanges()).toThrow(/batch/);
    table.add(1, 1);
    expect(() => table.remove(2, 2)).toThrow(PairUnderflowError);
    table.rollbackBatch();
    expect(table.size).toBe(0);
    expect(table.takeChanges().rows.length).toBe(0);
  });

  it('tracks a pair removed and added again (in another slot) once', () => {
    const table = new CountedPairs(16);
    const cluster: [number, number][] = [];
    for (let row = 0; cluster.length < 6; row++) if ((pairHash(row, 1) & 15) === 3) cluster.push([row, 1]);
    for (const [row, member] of cluster) table.add(row, member);
    table.takeChanges();
    const [first, second] = cluster as [[number, number], [number, number]];
    expect(table.remove(...first)).toBe(true); // the rest of the cluster shifts back
    expect(table.add(...first)).toBe(true); // and the pair lands at the cluster's end
    expect(table.remove(...second)).toBe(true);
    const changes = table.takeChanges();
    expect([...changes.rows]).toEqual([first[0], second[0]]);
    expect([...changes.members]).toEqual([1, 1]);
    expect([...changes.counts]).toEqual([1, 0]);
  });

  it('round-trips snapshots in the documented little-endian layout, from any byte offset', () => {
    const table = new CountedPairs();
    table.add(0x01020304, 5);
    table.add(0x01020304, 5);
    expect([...table.encode()]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0, 2, 0, 0, 0]);
    const delta = CountedPairs.encodeChanges(table.takeChanges());
    expect([...delta]).toEqual([2, 0, 0, 0, 1, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0, 2, 0, 0, 0]);

    const rand = xorshift32(6);
    for (let i = 0; i < 20_000; i++) table.add(Math.floor(rand() * 3000), Math.floor(rand() * 3000));
    const bytes = table.encode();
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const restored = CountedPairs.decode(shifted.subarray(3));
    expect(restored.size).toBe(table.size);
    expect(contents(restored)).toEqual(contents(table));
    expect(restored.takeChanges().rows.length).toBe(0);
    expect(CountedPairs.decode(new CountedPairs().encode()).size).toBe(0);
  });

  it('refuses a retraction of an absent pair and changes nothing', () => {
    const table = new CountedPairs();
    table.add(1, 2);
    table.add(3, 4);
    table.takeChanges();
    for (const [row, member] of [
      [1, 3],
      [2, 1],
      [0, 0],
      [-1, 2],
      [1.5, 2],
    ] as const) {
      const error = thrown(() => table.remove(row, member));
      expect(error).toBeInstanceOf(PairUnderflowError);
      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as PairUnderflowError).code).toBe('ORACUL_PAIR_UNDERFLOW');
      expect((error as PairUnderflowError).details).toEqual({ row, member });
    }
    expect(table.remove(1, 2)).toBe(true);
    expect(() => table.remove(1, 2)).toThrow(PairUnderflowError);
    const changes = table.takeChanges();
    expect([...changes.rows]).toEqual([1]);
    expect([...changes.counts]).toEqual([0]);
    expect(table.count(3, 4)).toBe(1);
    expect(table.size).toBe(1);
  });

  it('leaves the table byte-identical after a refused retraction', () => {
    const table = new CountedPairs();
    for (let i = 0; i < 100; i++) table.add(i % 7, i);
    const before = table.encode();
    expect(() => table.remove(6, 0)).toThrow(PairUnderflowError);
    expect(table.encode()).toEqual(before);
    expect(table.takeChanges().rows.length).toBe(100);
  });

  it('throws PairsCorruptError on corrupt bytes', () => {
    const table = new CountedPairs();
    table.add(1, 2);
    table.add(3, 4);
    const good = table.encode();
    const corrupt = (mutate: (view: DataView) => void, bytes = good): Uint8Array => {
      const copy = bytes.slice();
      mutate(new DataView(copy.buffer));
      return copy;
    };
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 7),
      good.subarray(0, good.length - 1),
      new Uint8Array([...good, 0]),
      corrupt((v) => v.setUint32(0, 2, true)),
      corrupt((v) => v.setUint32(0, 0, true)),
      corrupt((v) => v.setUint32(4, 3, true)),
      corrupt((v) => v.setUint32(4, 0xffffffff, true)),
      corrupt((v) => v.setInt32(8, -1, true)),
      corrupt((v) => v.setInt32(12, -5, true)),
      corrupt((v) => v.setInt32(16, 0, true)),
      corrupt((v) => v.setInt32(28, -1, true)),
      corrupt((v) => {
        v.setInt32(20, v.getInt32(8, true), true); // the first pair twice
        v.setInt32(24, v.getInt32(12, true), true);
      }),
    ];
    for (const bytes of bad) {
      const error = thrown(() => CountedPairs.decode(bytes));
      expect(error).toBeInstanceOf(PairsCorruptError);
      expect((error as PairsCorruptError).code).toBe('ORACUL_PAIRS_CORRUPT');
    }
    const delta = CountedPairs.encodeChanges(table.takeChanges());
    for (const bytes of [
      good,
      delta.subarray(0, 19),
      corrupt((v) => v.setInt32(16, -1, true), delta),
      corrupt((v) => v.setInt32(12, -1, true), delta),
    ]) {
      expect(() => CountedPairs.decodeChanges(bytes)).toThrow(PairsCorruptError);
    }
    expect(CountedPairs.decodeChanges(corrupt((v) => v.setInt32(16, 0, true), delta)).counts[0]).toBe(0);
  });

  it('refuses ids and counts an Int32Array would truncate, and a bad delta changes nothing', () => {
    const table = new CountedPairs();
    for (const [row, member] of [
      [-1, 0],
      [0, -1],
      [1.5, 0],
      [0, 2 ** 31],
      [Number.NaN, 0],
    ] as const) {
      expect(() => table.add(row, member)).toThrow(RangeError);
      expect(() => table.setCount(row, member, 1)).toThrow(RangeError);
    }
    expect(() => table.setCount(1, 1, -1)).toThrow(RangeError);
    expect(() => table.setCount(1, 1, 0.5)).toThrow(RangeError);
    expect(table.size).toBe(0);
    const bad: PairChanges = {
      rows: Int32Array.of(1, 2, -3),
      members: Int32Array.of(1, 2, 3),
      counts: Int32Array.of(1, 1, 1),
    };
    expect(() => table.applyChanges(bad)).toThrow(RangeError);
    expect(table.size).toBe(0);
    expect(() => table.applyChanges({ rows: Int32Array.of(1), members: Int32Array.of(), counts: Int32Array.of(1) })).toThrow(
      RangeError,
    );
    expect(table.takeChanges().rows.length).toBe(0);
  });

  it('sets counts outright, deleting at 0, and a no-op set is no change', () => {
    const table = new CountedPairs();
    table.setCount(4, 5, 3);
    expect(table.count(4, 5)).toBe(3);
    expect(table.size).toBe(1);
    expect(table.remove(4, 5)).toBe(false);
    expect(table.count(4, 5)).toBe(2);
    table.takeChanges();
    table.setCount(4, 5, 2);
    table.setCount(9, 9, 0);
    expect(table.takeChanges().rows.length).toBe(0);
    table.setCount(4, 5, 0);
    expect(table.count(4, 5)).toBe(0);
    expect(table.size).toBe(0);
    const changes = table.takeChanges();
    expect([...changes.rows, ...changes.members, ...changes.counts]).toEqual([4, 5, 0]);
  });
});
