import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeStateValue } from './checkpoint-format.ts';
import { LmdbTaskState } from './lmdbTaskState.ts';
import type { StateCodec } from './types.ts';
import { currentBootId, lostUnflushedCommits, markFlushed, markUnflushed } from './unsynced-state.ts';

const numbers: StateCodec<unknown> = { encode: (v) => v as number, decode: (p) => p };
const STORES = { counts: numbers };
const KILLED_WRITER = fileURLToPath(new URL('./testing/commit-then-kill.ts', import.meta.url));

describe('unflushed task state across restarts (ADR 0028)', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-unsynced-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the boot id the kernel publishes, and none where there is no such file', () => {
    const file = join(tempDir(), 'boot_id');
    writeFileSync(file, '6f1c0a2e-5b1d-4c8e-9f7a-1d2e3f4a5b6c\n');
    expect(currentBootId(file)).toBe('6f1c0a2e-5b1d-4c8e-9f7a-1d2e3f4a5b6c');
    expect(currentBootId(join(tempDir(), 'missing'))).toBeUndefined();
  });

  it('counts a state as lost only when another boot left it unflushed', () => {
    const dir = tempDir();
    expect(lostUnflushedCommits(dir, 'boot-a')).toBe(false); // no marker: new, or written flushed
    markUnflushed(dir, 'boot-a');
    expect(lostUnflushedCommits(dir, 'boot-a')).toBe(false); // a process crash: the page cache kept every commit
    expect(lostUnflushedCommits(dir, 'boot-b')).toBe(true);
    markFlushed(dir, 'boot-a');
    expect(lostUnflushedCommits(dir, 'boot-b')).toBe(false);
    writeFileSync(join(dir, 'unsynced-since-boot.json'), '{"bootId": 7');
    expect(lostUnflushedCommits(dir, 'boot-a')).toBe(true); // unreadable: nothing says it was flushed
  });

  /** A child process that commits a = 1, b = 2 at offset 3 into `dir` as boot `bootId`, then dies of SIGKILL. */
  const commitThenKill = (dir: string, bootId: string): void => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', KILLED_WRITER, dir, bootId], { encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
  };

  it('keeps every commit of a process killed with SIGKILL', async () => {
    const dir = tempDir();
    commitThenKill(dir, 'boot-a');
    const state = LmdbTaskState.open({ path: dir, stores: STORES, bootId: 'boot-a' });
    expect(state.wipedAfterRestart).toBe(false);
    expect([state.view('counts').get('a'), state.view('counts').get('b'), state.changelogOffset()]).toEqual([1, 2, 3]);
    await state.close();
  });

  it("wipes a killed process's state after a restart of the machine: its commits may not be on disk", async () => {
    const dir = tempDir();
    commitThenKill(dir, 'boot-a');
    const state = LmdbTaskState.open({ path: dir, stores: STORES, bootId: 'boot-b' });
    expect(state.wipedAfterRestart).toBe(true);
    expect([state.count('counts'), state.changelogOffset()]).toEqual([0, undefined]);
    await state.close();
  });

  it('keeps a cleanly closed state across a restart of the machine', async () => {
    const dir = tempDir();
    const state = LmdbTaskState.open({ path: dir, stores: STORES, bootId: 'boot-a' });
    state.commit(new Map([['counts', new Map([['a', encodeStateValue(1)]])]]), { offset: 1, checkpoints: new Map() });
    await state.close();
    const afterRestart = LmdbTaskState.open({ path: dir, stores: STORES, bootId: 'boot-b' });
    expect(afterRestart.wipedAfterRestart).toBe(false);
    expect([afterRestart.view('counts').get('a'), afterRestart.changelogOffset()]).toEqual([1, 1]);
    await afterRestart.close();
  });

  it('flushes every commit where no boot id is published, without a marker', async () => {
    const dir = tempDir();
    const state = LmdbTaskState.open({ path: dir, stores: STORES, bootId: null });
    state.commit(new Map([['counts', new Map([['a', encodeStateValue(1)]])]]), { offset: 1, checkpoints: new Map() });
    await state.close();
    expect(existsSync(join(dir, 'unsynced-since-boot.json'))).toBe(false);
    const again = LmdbTaskState.open({ path: dir, stores: STORES, bootId: null });
    expect([again.wipedAfterRestart, again.view('counts').get('a')]).toEqual([false, 1]);
    await again.close();
  });
});
