import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_CHECKPOINT, storeRecords } from './checkpoint.ts';
import { encodeStateValue, parseRecordKey, type StoreDelta } from './checkpoint-format.ts';
import { LmdbTaskState, type RestoredRecord } from './lmdbTaskState.ts';
import type { Plain, StateCodec } from './types.ts';

const numbers: StateCodec<number> = { encode: (v) => v, decode: (p) => p as number };
const objects: StateCodec<{ a: string; n: number }> = {
  encode: (v) => ({ a: v.a, n: v.n }),
  decode: (p) => p as unknown as { a: string; n: number },
};
const STORES = { counts: numbers as StateCodec<unknown>, objs: objects as StateCodec<unknown> };

/** A store delta from Plain values (undefined deletes). */
function delta(entries: Record<string, Plain | undefined>): StoreDelta {
  return new Map(Object.entries(entries).map(([k, v]) => [k, v === undefined ? undefined : encodeStateValue(v)]));
}

/** The changelog records a commit of `d` writes, as a restore reads them back. */
function restoredOf(store: string, d: StoreDelta, committed?: Iterable<readonly [string, Buffer]>): RestoredRecord[] {
  const written = storeRecords(store, EMPTY_CHECKPOINT, d, committed === undefined ? undefined : () => committed);
  return written.records.filter((r) => r.value !== null).map((r) => ({ key: parseRecordKey(r.key), value: r.value as Buffer }));
}

describe('LmdbTaskState', () => {
  const dirs: string[] = [];
  const open = (path?: string): LmdbTaskState => {
    const dir = path ?? mkdtempSync(join(tmpdir(), 'oracul-lmdb-'));
    dirs.push(dir);
    return LmdbTaskState.open({ path: dir, stores: STORES });
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('applies a batch, its checkpoints and the changelog position atomically, and survives a reopen', async () => {
    const state = open();
    const checkpoint = { ...EMPTY_CHECKPOINT, nextSeq: 1, deltaBytes: 40 };
    state.commit(
      new Map([
        ['counts', delta({ a: 1, b: 2 })],
        ['objs', delta({ x: { a: 'hello', n: 7 } })],
      ]),
      { offset: 3, checkpoints: new Map([['counts', checkpoint]]) },
    );
    expect(state.view<number>('counts').get('a')).toBe(1);
    expect(state.view<{ a: string }>('objs').get('x')).toEqual({ a: 'hello', n: 7 });
    expect(state.changelogOffset()).toBe(3);
    const path = state.path;
    await state.close();
    const again = open(path);
    expect(again.view<number>('counts').get('b')).toBe(2);
    expect(again.checkpointOf('counts')).toEqual(checkpoint);
    expect(again.checkpointOf('objs')).toEqual(EMPTY_CHECKPOINT);
    again.commit(new Map([['counts', delta({ a: undefined })]]), { offset: 5, checkpoints: new Map() });
    expect(again.view<number>('counts').get('a')).toBeUndefined();
    expect(again.count('counts')).toBe(1);
    expect(again.changelogOffset()).toBe(5);
    expect([again.has('counts', 'a'), again.has('counts', 'b')]).toEqual([false, true]);
    expect([...again.entries('counts')].map(([k, v]) => [k, [...v]])).toEqual([['b', [...encodeStateValue(2)]]]);
    await again.close();
  });

  it('range-scans in key order with every bound kind, forward and reverse', async () => {
    const state = open();
    const values: Record<string, number> = {};
    for (const k of ['a', 'b', 'c', 'd', 'e']) values[k] = k.charCodeAt(0);
    state.commit(new Map([['counts', delta(values)]]), undefined);
    const keys = (range: Parameters<ReturnType<typeof state.view>['range']>[0]): string[] =>
      [...state.view<number>('counts').range(range)].map(([k]) => k);
    expect(keys({})).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(keys({ gte: 'b', lt: 'd' })).toEqual(['b', 'c']);
    expect(keys({ gt: 'b', lte: 'd' })).toEqual(['c', 'd']);
    expect(keys({ gte: 'b', lte: 'd', reverse: true })).toEqual(['d', 'c', 'b']);
    expect(keys({ gt: 'a', lt: 'e', reverse: true, limit: 2 })).toEqual(['d', 'c']);
    expect(state.keysInRange('counts', 'b', 'e')).toEqual(['b', 'c', 'd']);
    await state.close();
  });

  it('applies restored deltas in order; a snapshot replaces the store; a reset forgets everything', async () => {
    const state = open();
    state.commit(new Map([['counts', delta({ stale: 9 })]]), undefined);
    const entries = state.applyRestored(
      [...restoredOf('counts', delta({ k1: 10, k2: 20 })), ...restoredOf('counts', delta({ k1: undefined }))],
      { offset: 42, checkpoints: new Map() },
    );
    expect(entries).toBe(3);
    expect(state.view<number>('counts').get('k1')).toBeUndefined();
    expect(state.view<number>('counts').get('k2')).toBe(20);
    expect(state.view<number>('counts').get('stale')).toBe(9);
    expect(state.changelogOffset()).toBe(42);
    // A snapshot (part 0 clears the store first), then the delta of the same commit.
    const snapshot = [['s1', encodeStateValue(1)] as const];
    state.applyRestored(restoredOf('counts', delta({ s2: 2 }), snapshot), { offset: 50, checkpoints: new Map() });
    expect([...state.view<number>('counts').range({})]).toEqual([
      ['s1', 1],
      ['s2', 2],
    ]);
    state.resetAll();
    expect(state.count('counts')).toBe(0);
    expect(state.changelogOffset()).toBeUndefined();
    await state.close();
  });

  it('wipes a disk written in the previous layout (values were not the changelog bytes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-lmdb-'));
    dirs.push(dir);
    const { open: openLmdb } = await import('lmdb');
    const old = openLmdb({ path: dir, maxDbs: 64, compression: false });
    const db = old.openDB<Plain, string>({ name: 'counts' });
    await db.put('old', 1);
    await old.openDB<Plain, string>({ name: '__meta' }).put('changelog:counts', 7);
    await old.close();
    const state = open(dir);
    expect(state.count('counts')).toBe(0);
    expect(state.changelogOffset()).toBeUndefined();
    await state.close();
  });
});
