import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchSpec } from './types.ts';

/** What a pid file holds: enough to recognise our own process later. */
export interface PidRecord {
  readonly pid: number;
  readonly component: string;
  readonly version: string;
  readonly ports: readonly number[];
  readonly started_at: string;
}

export async function readPidRecord(file: string): Promise<PidRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isPidRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isPidRecord(v: unknown): v is PidRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return Number.isInteger(r.pid) && typeof r.component === 'string' && typeof r.version === 'string' && Array.isArray(r.ports);
}

export async function writePidRecord(file: string, record: PidRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // Write-then-rename: a concurrent reader never sees half a record.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, file);
}

export async function removePidRecord(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Alive and not a zombie (a detached child we spawned stays a zombie until this process exits). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = readProcStat(pid);
  return state !== 'Z' && state !== 'X';
}

function readProcStat(pid: number): string | undefined {
  try {
    // Format: "pid (comm) S ..."; comm may contain spaces and parentheses.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The command line of a process, or undefined where /proc is not available. */
export function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * A system property naming the component and its state dir. It is inert for the
 * JVM but shows in /proc/<pid>/cmdline, which is how a pid file is matched to
 * our own process (and the dev stack's Kafka is never mistaken for the test stack's).
 */
export function jvmProcessMarker(component: string, stateRoot: string): string {
  return `-Doracul.stack=${component}:${stateRoot}`;
}

/** A live process whose command line carries the component's marker: pid reuse cannot fool it. */
export function isOwnProcess(pid: number, marker: string): boolean {
  if (!isProcessAlive(pid)) return false;
  const commandLine = processCommandLine(pid);
  // Without /proc (not Linux) the pid file is all we have.
  return commandLine === undefined || commandLine.includes(marker);
}

const MAX_LOG_BYTES = 50 * 1024 * 1024;

/** Starts the line written before each launch, so a log tail can be cut to the current run. */
export const LOG_BANNER_PREFIX = '===== oracul stack';

/**
 * Starts a long-running service in its own process group, detached from this CLI,
 * with stdout and stderr appended to its log (rotated once past 50 MiB).
 */
export async function spawnDetached(spec: LaunchSpec, logFile: string, banner: string): Promise<ChildProcess> {
  await mkdir(dirname(logFile), { recursive: true });
  const size = await stat(logFile).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_LOG_BYTES) await rename(logFile, `${logFile}.1`);
  const log = await open(logFile, 'a');
  try {
    await log.write(`\n${LOG_BANNER_PREFIX} ${new Date().toISOString()} ${banner} =====\n`);
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return child;
  } finally {
    await log.close();
  }
}

export type TerminateOutcome = 'not-running' | 'terminated' | 'killed';

/**
 * SIGTERM to the process group, then SIGKILL after the grace period. The group
 * matters for wrappers (node → child) that would otherwise leave an orphan holding the port.
 */
export async function terminateProcess(pid: number, graceMs: number): Promise<TerminateOutcome> {
  if (!isProcessAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
  return 'killed';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Not a group leader (started by something else): signal the process alone.
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(100);
  }
  return !isProcessAlive(pid);
}
