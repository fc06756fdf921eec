import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.ts';

describe('withFileLock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oracul-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs holders one at a time', async () => {
    const lock = join(dir, 'serial.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(
        lock,
        async () => {
          events.push(`${name}:in`);
          await sleep(100);
          events.push(`${name}:out`);
        },
        { timeoutMs: 5_000 },
      );
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toHaveLength(4);
    expect(events[0]?.replace(/:.*/, '')).toBe(events[1]?.replace(/:.*/, ''));
  });

  it('takes over a lock whose owner process is gone', async () => {
    const lock = join(dir, 'stale.lock');
    await mkdir(lock);
    // Above Linux's pid_max (4194304): no such process can exist.
    await writeFile(join(lock, 'owner'), '4194999\n');
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 1_000 })).resolves.toBe('ran');
  });

  it('gives up after the timeout while a live owner holds it', async () => {
    const lock = join(dir, 'held.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), `${process.pid}\n`);
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ORACUL_STACK_LOCK_TIMEOUT',
    });
    await rm(lock, { recursive: true });
  });
});
