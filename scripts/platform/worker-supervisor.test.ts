import { spawn } from 'node:child_process';
import { isProcessAlive as alive } from '../../infra/stack/process-control.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../config/load.ts';
import { createLogger } from '../../core/logger.ts';
import { ProcessSupervisor } from './worker-supervisor.ts';

const FIXTURE = join(REPO_ROOT, 'scripts/platform/testing/child-fixture.mjs');
const logger = createLogger({ level: 'silent' });
/** Waits until `condition` holds; throws (failing the test) after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 50 });
}

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ProcessSupervisor (real child processes)', () => {
  it('restarts a crashing child with growing backoff, and stops restarting once stopped', async () => {
    // The children are real; the supervisor's restart timers are fake, so "no restart after stop" is proved by
    // running every pending timer, not by sleeping (vi.waitFor advances fake time by its interval on each check).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const supervisor = new ProcessSupervisor({ logger, modulePath: FIXTURE, minBackoffMs: 100, maxBackoffMs: 400 });
    supervisor.start({ name: 'crasher', args: ['crash', '50'] });
    await until(() => (supervisor.status()[0]?.restarts ?? 0) >= 3, 20_000);
    const [status] = supervisor.status();
    expect(status?.lastExit?.code).toBe(3);
    const stopped = supervisor.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    const restarts = supervisor.status()[0]?.restarts;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(supervisor.status()[0]?.restarts).toBe(restarts);
  }, 30_000);

  it('stops children with SIGTERM and waits for them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-supervisor-'));
    dirs.push(dir);
    const supervisor = new ProcessSupervisor({ logger, modulePath: FIXTURE });
    supervisor.start({ name: 'a', args: ['serve', join(dir, 'a.pid')] });
    supervisor.start({ name: 'b', args: ['serve', join(dir, 'b.pid')] });
    await until(() => existsSync(join(dir, 'a.pid')) && existsSync(join(dir, 'b.pid')), 10_000);
    const pids = ['a', 'b'].map((n) => Number(readFileSync(join(dir, `${n}.pid`), 'utf8')));
    await supervisor.stop();
    expect(pids.map(alive)).toEqual([false, false]);
    expect(supervisor.status().map((s) => s.lastExit?.code)).toEqual([0, 0]);
  }, 20_000);

  it('leaves no orphan when the supervisor itself is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-supervisor-'));
    dirs.push(dir);
    const pidFile = join(dir, 'child.pid');
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/platform/testing/worker-supervisor-fixture.ts', FIXTURE, pidFile],
      { cwd: REPO_ROOT, stdio: 'ignore' },
    );
    await until(() => existsSync(pidFile), 30_000);
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(child)).toBe(true);
    parent.kill('SIGKILL');
    await until(() => !alive(child), 10_000);
  }, 60_000);
});
