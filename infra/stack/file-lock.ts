import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError } from '../../core/errors.ts';
import { isProcessAlive } from './process-control.ts';

export interface FileLockOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once when the lock is busy, so the user knows why `up` waits. */
  onWait?: (ownerPid: number | undefined) => void;
}

/** A lock whose owner wrote nothing for this long after mkdir is a crash leftover. */
const ORPHAN_AFTER_MS = 10_000;

/**
 * Cross-process mutual exclusion with an atomic mkdir. The owner's pid is kept
 * inside, so a lock left by a killed `stack up` is taken over instead of blocking forever.
 */
export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  await mkdir(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner'), `${process.pid}\n`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(lockDir);
    if (owner.stale) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!warned) {
      options.onWait?.(owner.pid);
      warned = true;
    }
    if (Date.now() > deadline) {
      throw new RetryableError(
        'ORACUL_STACK_LOCK_TIMEOUT',
        `lock ${lockDir} still held by pid ${owner.pid ?? '?'} after ${options.timeoutMs} ms`,
        {
          details: { lock: lockDir, owner_pid: owner.pid },
        },
      );
    }
    await sleep(200, undefined, { signal: options.signal });
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function readOwner(lockDir: string): Promise<{ pid: number | undefined; stale: boolean }> {
  const text = await readFile(join(lockDir, 'owner'), 'utf8').catch(() => undefined);
  const pid = text === undefined ? undefined : Number.parseInt(text, 10);
  if (pid !== undefined && Number.isInteger(pid)) return { pid, stale: !isProcessAlive(pid) };
  // mkdir done but owner not written yet, or the writer crashed in between.
  const created = await stat(lockDir).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  return { pid: undefined, stale: created === undefined || Date.now() - created > ORPHAN_AFTER_MS };
}
