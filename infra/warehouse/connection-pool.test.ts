import { describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.ts';
import type { ChdbNative, NativeHandle } from './engine-binding.ts';

function fakeNative() {
  let next = 0;
  const open = new Set<number>();
  const native = {
    CreateConnection: () => {
      next += 1;
      open.add(next);
      return next as unknown as NativeHandle;
    },
    CloseConnection: (handle: NativeHandle) => {
      open.delete(handle as unknown as number);
    },
  } as unknown as ChdbNative;
  return { native, open };
}

describe('ConnectionPool', () => {
  it('reuses a connection only for the same preamble, and only when told it is clean', () => {
    const { native, open } = fakeNative();
    const pool = new ConnectionPool(native, '/data', 4);
    const a = pool.acquire('SET readonly = 1');
    expect(a.prepared).toBe(false);
    pool.release(a, true);
    const again = pool.acquire('SET readonly = 1');
    expect([again.prepared, again.connection]).toEqual([true, a.connection]);
    const other = pool.acquire('SET max_threads = 1');
    expect(other.prepared).toBe(false);
    pool.release(again, false); // e.g. after a SET statement or an error
    expect(open.has(a.connection as unknown as number)).toBe(false);
    pool.release(other, true);
    pool.closeAll();
    expect(open.size).toBe(0);
  });

  it('keeps at most maxIdle connections, evicting the least recently used preamble', () => {
    const { native, open } = fakeNative();
    const pool = new ConnectionPool(native, '/data', 2);
    const leases = ['a', 'b', 'c'].map((p) => pool.acquire(p));
    for (const lease of leases) pool.release(lease, true);
    expect(open.size).toBe(2);
    expect(pool.acquire('a').prepared).toBe(false);
    expect(pool.acquire('c').prepared).toBe(true);
  });
});
