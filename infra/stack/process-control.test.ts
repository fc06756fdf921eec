import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  isOwnProcess,
  isProcessAlive,
  readPidRecord,
  spawnDetached,
  terminateProcess,
  writePidRecord,
} from './process-control.ts';

describe('process control', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oracul-proc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const spawnNode = (script: string, marker: string) =>
    spawnDetached(
      { command: process.execPath, args: ['-e', script, '--', marker], cwd: dir },
      join(dir, 'svc.log'),
      'test service',
    );

  it('round-trips a pid record and ignores garbage', async () => {
    const file = join(dir, 'svc.pid');
    await writePidRecord(file, { pid: 42, component: 'kafka', version: '3.9.1', ports: [9092], started_at: 'now' });
    expect(await readPidRecord(file)).toMatchObject({ pid: 42, ports: [9092] });
    expect(await readPidRecord(join(dir, 'none.pid'))).toBeUndefined();
  });

  it('recognises its own process by marker and stops it with SIGTERM', async () => {
    const child = await spawnNode("console.log('up'); setInterval(() => {}, 1000)", '--marker=svc-a');
    const pid = child.pid ?? -1;
    expect(isOwnProcess(pid, '--marker=svc-a')).toBe(true);
    expect(isOwnProcess(pid, '--marker=other')).toBe(false);
    expect(await terminateProcess(pid, 5_000)).toBe('terminated');
    expect(isProcessAlive(pid)).toBe(false);
    expect(await readFile(join(dir, 'svc.log'), 'utf8')).toContain('test service');
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const child = await spawnNode(
      "process.on('SIGTERM', () => {}); console.log('stubborn: handler installed'); setInterval(() => {}, 1000)",
      '--marker=stubborn',
    );
    const pid = child.pid ?? -1;
    // Only once it ignores SIGTERM (a fixed sleep was too short for a loaded machine: the child died of the SIGTERM).
    await vi.waitFor(async () => expect(await readFile(join(dir, 'svc.log'), 'utf8')).toContain('stubborn: handler installed'), {
      timeout: 15_000,
      interval: 50,
    });
    expect(await terminateProcess(pid, 300)).toBe('killed');
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('reports a missing process as not running', async () => {
    expect(await terminateProcess(4194999, 100)).toBe('not-running');
  });
});
