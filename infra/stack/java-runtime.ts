import { readdir, readFile, realpath } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { NonRetryableError } from '../../core/errors.ts';

/** Java feature releases a component runs on (inclusive). */
export interface JavaRange {
  readonly min: number;
  readonly max?: number;
}

export interface JavaHome {
  readonly home: string;
  readonly major: number;
}

/** Major version from a JDK's `release` file: JAVA_VERSION="17.0.15" → 17, "1.8.0_402" → 8. */
export function parseJavaReleaseMajor(releaseText: string): number | undefined {
  const match = /^JAVA_VERSION="([^"]+)"/m.exec(releaseText);
  if (!match?.[1]) return undefined;
  const parts = match[1].split(/[.+_-]/).map(Number);
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major !== undefined && Number.isInteger(major) ? major : undefined;
}

export function inRange(major: number, range: JavaRange): boolean {
  return major >= range.min && (range.max === undefined || major <= range.max);
}

/**
 * JAVA_HOME wins when it fits; otherwise the oldest fitting JDK, because each
 * component is tested on the lowest Java it supports (Kafka 3.9 breaks on 24+).
 */
export function pickJavaHome(candidates: readonly JavaHome[], range: JavaRange, javaHomeEnv?: string): JavaHome | undefined {
  const preferred = candidates.find((c) => c.home === javaHomeEnv && inRange(c.major, range));
  if (preferred) return preferred;
  return [...candidates].filter((c) => inRange(c.major, range)).sort((a, b) => a.major - b.major)[0];
}

export function javaBinary(java: JavaHome): string {
  return join(java.home, 'bin', 'java');
}

export function describeRange(range: JavaRange): string {
  return range.max === undefined ? `${range.min}+` : `${range.min}-${range.max}`;
}

/** Candidate JDKs: JAVA_HOME, /usr/lib/jvm/*, and the one behind `java` on PATH. */
export async function discoverJavaHomes(env: NodeJS.ProcessEnv = process.env, jvmRoot = '/usr/lib/jvm'): Promise<JavaHome[]> {
  const homes = new Set<string>();
  if (env.JAVA_HOME) homes.add(await realpathOr(env.JAVA_HOME));
  try {
    for (const entry of await readdir(jvmRoot)) homes.add(await realpathOr(join(jvmRoot, entry)));
  } catch {
    // No /usr/lib/jvm (not Debian): PATH and JAVA_HOME still count.
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      homes.add(dirname(dirname(await realpath(join(dir, 'java')))));
      break;
    } catch {
      continue;
    }
  }
  const found: JavaHome[] = [];
  for (const home of homes) {
    const major = await readFile(join(home, 'release'), 'utf8').then(parseJavaReleaseMajor, () => undefined);
    if (major !== undefined) found.push({ home, major });
  }
  return found;
}

export async function findJavaHome(component: string, range: JavaRange, env: NodeJS.ProcessEnv = process.env): Promise<JavaHome> {
  const candidates = await discoverJavaHomes(env);
  const picked = pickJavaHome(candidates, range, env.JAVA_HOME ? await realpathOr(env.JAVA_HOME) : undefined);
  if (picked) return picked;
  const seen = candidates.map((c) => `${c.home} (${c.major})`).join(', ') || 'none';
  throw new NonRetryableError('ORACUL_STACK_JAVA_MISSING', `${component} needs Java ${describeRange(range)}; found ${seen}`, {
    details: { component, min: range.min, max: range.max, found: candidates },
  });
}

async function realpathOr(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}
