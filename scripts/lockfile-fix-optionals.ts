/**
 * chdb declares optional platform packages (`@chdb/lib-darwin-*`, `@chdb/lib-linux-arm64-gnu`) that the
 * registry does not serve. `npm install` silently leaves them out of package-lock.json, and then `npm ci`
 * refuses the lock as out of sync. This adds a platform-guarded entry for every optional dependency a locked
 * package declares but the lock lacks, so npm ci skips them on other platforms instead of failing.
 * Run after changing dependencies: `npx tsx scripts/lockfile-fix-optionals.ts` (`--check` only reports).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../config/index.ts';

interface LockEntry {
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}
interface Lockfile {
  packages: Record<string, LockEntry>;
}

/** Platform constraints read off the package name (`lib-darwin-arm64`, `lib-linux-x64-gnu`). */
function platformOf(name: string): Pick<LockEntry, 'os' | 'cpu' | 'libc'> | undefined {
  const m = /-(darwin|linux|win32)-(arm64|x64|ia32)(?:-(gnu|musl))?$/.exec(name);
  if (!m) return undefined;
  const [, os, cpu, libc] = m;
  return { os: [os!], cpu: [cpu!], ...(libc ? { libc: [libc === 'gnu' ? 'glibc' : 'musl'] } : {}) };
}

export function missingOptionals(lock: Lockfile): Map<string, LockEntry> {
  const missing = new Map<string, LockEntry>();
  for (const entry of Object.values(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const key = `node_modules/${name}`;
      const platform = platformOf(name);
      if (lock.packages[key] || !platform) continue;
      missing.set(key, { version, optional: true, ...platform });
    }
  }
  return missing;
}

export function lockfilePath(): string {
  return join(REPO_ROOT, 'package-lock.json');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const lock = JSON.parse(readFileSync(lockfilePath(), 'utf8')) as Lockfile;
  const missing = missingOptionals(lock);
  if (process.argv.includes('--check')) {
    for (const key of missing.keys()) console.log(`missing from lock: ${key}`);
    process.exit(missing.size > 0 ? 1 : 0);
  }
  // Appended, not re-sorted: npm restores its own order the next time it writes the lock.
  lock.packages = { ...lock.packages, ...Object.fromEntries(missing) };
  writeFileSync(lockfilePath(), `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.size} platform-guarded optional entries`);
}
