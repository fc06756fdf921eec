import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureInstalled, readInstallMarker } from './install.ts';
import { stackPaths } from './paths.ts';

describe('ensureInstalled', () => {
  let root: string;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'oracul-install-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const params = (targetDir: string, populate: (staging: string) => Promise<void>, version = '1.0.0') => ({
    name: 'tool',
    version,
    recipe: 'r1',
    targetDir,
    paths: stackPaths({ stack: { dir: root, stateDir: join(root, 'state') } } as never, root),
    logger,
    populate,
  });

  it('installs once, even when called concurrently, and records the version', async () => {
    const target = join(root, 'tool-1.0.0');
    let calls = 0;
    const populate = async (staging: string) => {
      calls += 1;
      await sleep(50);
      await writeFile(join(staging, 'bin'), 'x');
    };
    const results = await Promise.all([ensureInstalled(params(target, populate)), ensureInstalled(params(target, populate))]);
    expect(calls).toBe(1);
    expect(results.sort()).toEqual([false, true]);
    expect(await readFile(join(target, 'bin'), 'utf8')).toBe('x');
    expect(await readInstallMarker(target)).toMatchObject({ name: 'tool', version: '1.0.0', recipe: 'r1' });
    expect(await ensureInstalled(params(target, populate))).toBe(false);
  });

  it('leaves nothing that looks installed when populate fails', async () => {
    const target = join(root, 'tool-2.0.0');
    const failing = async () => {
      throw new Error('download failed');
    };
    await expect(ensureInstalled(params(target, failing, '2.0.0'))).rejects.toThrow('download failed');
    expect(await readInstallMarker(target)).toBeUndefined();
  });
});
