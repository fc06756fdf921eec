import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeChangelogValue, encodeChangelogValue } from './changelog.ts';
import { LmdbTaskState } from './lmdbTaskState.ts';
import type { Plain, StateCodec } from './types.ts';

const numbers: StateCodec<number> = { encode: (v) => v, decode: (p) => p as number };
const objects: StateCodec<{ a: string; n: number }> = {
  encode: (v) => ({ a: v.a, n: v.n }),
  decode: (p) => p as unknown as { a: string; n: number },
};

describe('LmdbTaskState', () => {
  const dirs: string[] = [];
  const open = (path?: string): LmdbTaskState => {
    const dir = path ?? mkdtempSync(join(tmpdir(), 'oracul-lmdb-'));
    dirs.push(dir);
    return LmdbTaskState.open({
      path: dir,
      stores: { counts: numbers as StateCodec<unknown>, objs: objects as StateCodec<unknown> },
    });
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('applies a batch and its changelog offsets atomically, and survives a reopen', async () => {
    const state = open();
    state.commit(
      new Map([
        [
          'counts',
          new Map<string, Plain | undefined>([
            ['a', 1],
            ['b', 2],
          ]),
        ],
        ['objs', new Map<string, Plain | undefined>([['x', { a: 'hello', n: 7 }]])],
      ]),
      { counts: 3, objs: 2 },
    );
    expect(state.view<number>('counts').get('a')).toBe(1);
    expect(state.view<{ a: string }>('objs').get('x')).toEqual({ a: 'hello', n: 7 });
    expect(state.changelogOffset('counts')).toBe(3);
    const path = state.path;
    await state.close();
    const again = LmdbTaskState.open({
      path,
      stores: { counts: numbers as StateCodec<unknown>, objs: objects as StateCodec<unknown> },
    });
    expect(again.view<number>('counts').get('b')).toBe(2);
    expect(again.changelogOffset('objs')).toBe(2);
    again.commit(new Map([['counts', new Map<string, Plain | undefined>([['a', undefined]])]]), { counts: 5 });
    expect(again.view<number>('counts').get('a')).toBeUndefined();
    expect(again.count('counts')).toBe(1);
    await again.close();
  });

  it('range-scans in key order with every bound kind, forward and reverse', async () => {
    const state = open();
    const delta = new Map<string, Plain | undefined>();
    for (const k of ['a', 'b', 'c', 'd', 'e']) delta.set(k, k.charCodeAt(0));
    state.commit(new Map([['counts', delta]]), {});
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

  it('records restored changelog entries with the next offset, and a reset forgets both', async () => {
    const state = open();
    state.applyRestored(
      'counts',
      [
        ['k1', 10],
        ['k2', 20],
        ['k1', undefined],
      ],
      42,
    );
    expect(state.view<number>('counts').get('k1')).toBeUndefined();
    expect(state.view<number>('counts').get('k2')).toBe(20);
    expect(state.changelogOffset('counts')).toBe(42);
    state.resetStore('counts');
    expect(state.count('counts')).toBe(0);
    expect(state.changelogOffset('counts')).toBeUndefined();
    await state.close();
  });
});

describe('changelog values', () => {
  it('round-trip Plain values and encode deletes as tombstones', () => {
    const value: Plain = { a: [1, 'x', null, true], big: '340282366920938463463374607431768211456' };
    expect(decodeChangelogValue(encodeChangelogValue(value))).toEqual(value);
    expect(encodeChangelogValue(undefined)).toBeNull();
    expect(decodeChangelogValue(null)).toBeUndefined();
  });
});
