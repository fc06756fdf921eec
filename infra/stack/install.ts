import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { withFileLock } from './file-lock.ts';
import type { StackPaths } from './paths.ts';

export const INSTALL_MARKER = '.oracul-installed';

/** What was installed; a different version or recipe means install again. */
export interface InstallMarker {
  readonly name: string;
  readonly version: string;
  /** Hash of what defines the install besides the version (e.g. the Kafka pom). */
  readonly recipe: string;
  readonly installed_at: string;
}

export interface EnsureInstalledParameters {
  name: string;
  version: string;
  recipe?: string;
  targetDir: string;
  paths: StackPaths;
  logger: Logger;
  signal?: AbortSignal;
  /** Fills an empty staging folder; it becomes targetDir only once this resolves. */
  populate: (stagingDir: string) => Promise<void>;
}

export async function readInstallMarker(dir: string): Promise<InstallMarker | undefined> {
  const text = await readFile(join(dir, INSTALL_MARKER), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as InstallMarker;
  } catch {
    return undefined;
  }
}

export function markerMatches(marker: InstallMarker | undefined, version: string, recipe: string): boolean {
  return marker !== undefined && marker.version === version && marker.recipe === recipe;
}

/**
 * Idempotent, crash-safe and concurrency-safe install: a marker with the pinned
 * version short-circuits; otherwise one process (under a lock) fills a staging
 * folder and renames it into place, so a killed install never looks complete.
 * Returns true when something was installed.
 */
export async function ensureInstalled(p: EnsureInstalledParameters): Promise<boolean> {
  const recipe = p.recipe ?? '';
  if (markerMatches(await readInstallMarker(p.targetDir), p.version, recipe)) return false;
  return withFileLock(
    p.paths.installLockDir(`${p.name}-${p.version}`),
    async () => {
      // Another process may have finished while we waited for the lock.
      if (markerMatches(await readInstallMarker(p.targetDir), p.version, recipe)) return false;
      const started = performance.now();
      p.logger.info({ msg: 'installing', version: p.version, target_dir: p.targetDir });
      const staging = `${p.targetDir}.partial-${process.pid}`;
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      try {
        await p.populate(staging);
        const marker: InstallMarker = { name: p.name, version: p.version, recipe, installed_at: new Date().toISOString() };
        await writeFile(join(staging, INSTALL_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
        await rm(p.targetDir, { recursive: true, force: true });
        await rename(staging, p.targetDir);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
      p.logger.info({ msg: 'installed', version: p.version, duration_ms: Math.round(performance.now() - started) });
      return true;
    },
    {
      timeoutMs: 15 * 60_000,
      signal: p.signal,
      onWait: (owner) => p.logger.info({ msg: 'waiting for another install to finish', owner_pid: owner }),
    },
  );
}
