import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { REPO_ROOT } from '../../config/load.ts';
import { backoffDelayMs } from '../../core/retry.ts';

/** One supervised `oracul` child process. */
export interface ChildSpec {
  /** Stable name for logs, e.g. `worker-1`. */
  readonly name: string;
  /** Arguments after `scripts/oracul.mjs`, e.g. `['worker', '--state-dir', …]`. */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  readonly logger: Logger;
  /** First restart delay; doubles per consecutive crash up to `maxBackoffMs`. Default 1 s. */
  readonly minBackoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
  /** A child that ran this long counts as healthy again: its next crash restarts after `minBackoffMs`. Default 60 s. */
  readonly healthyAfterMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. Default 60 s (a worker commits or aborts its batch). */
  readonly stopTimeoutMs?: number;
  /** The module to fork; default `scripts/oracul.mjs` (tests fork small fixtures). */
  readonly modulePath?: string;
}

export interface ChildStatus {
  readonly name: string;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastExit: { code: number | null; signal: NodeJS.Signals | null; at: string } | undefined;
}

interface Slot {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  startedAt: number;
  restarts: number;
  consecutiveCrashes: number;
  lastExit: ChildStatus['lastExit'];
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

const CLI = join(REPO_ROOT, 'scripts', 'oracul.mjs');

/**
 * Runs `oracul` subcommands as child processes and restarts any that exits without being asked to (exponential
 * backoff, reset after a healthy run). Children get an IPC channel: `oracul worker` stops cleanly when that channel
 * closes, so a supervisor killed with SIGKILL leaves no orphans (see `stopWhenParentExits`).
 */
export class ProcessSupervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;
  private readonly stopTimeoutMs: number;

  constructor(private readonly options: SupervisorOptions) {
    this.minBackoffMs = options.minBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 60_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
  }

  start(spec: ChildSpec): void {
    if (this.stopping) throw new Error('supervisor is stopping');
    const slot: Slot = {
      spec,
      child: undefined,
      startedAt: 0,
      restarts: 0,
      consecutiveCrashes: 0,
      lastExit: undefined,
      timer: undefined,
      exited: Promise.resolve(),
    };
    this.slots.push(slot);
    this.launch(slot);
  }

  status(): ChildStatus[] {
    return this.slots.map((s) => ({ name: s.spec.name, pid: s.child?.pid, restarts: s.restarts, lastExit: s.lastExit }));
  }

  /** SIGTERM to every child, SIGKILL to those still running after the timeout; no restarts from here on. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      slot.child?.kill('SIGTERM');
    }
    const killer = setTimeout(() => {
      for (const slot of this.slots) {
        if (slot.child === undefined) continue;
        this.options.logger.warn({ msg: 'child did not stop in time: SIGKILL', child: slot.spec.name, pid: slot.child.pid });
        slot.child.kill('SIGKILL');
      }
    }, this.stopTimeoutMs);
    await Promise.all(this.slots.map((s) => s.exited));
    clearTimeout(killer);
  }

  private launch(slot: Slot): void {
    const { logger } = this.options;
    const child = fork(this.options.modulePath ?? CLI, [...slot.spec.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...slot.spec.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.startedAt = Date.now();
    logger.info({ msg: 'child started', child: slot.spec.name, pid: child.pid, args: slot.spec.args, restarts: slot.restarts });
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        slot.child = undefined;
        slot.lastExit = { code, signal, at: new Date().toISOString() };
        resolve();
        if (this.stopping) {
          logger.info({ msg: 'child stopped', child: slot.spec.name, pid: child.pid, code, signal });
          return;
        }
        const ranMs = Date.now() - slot.startedAt;
        slot.consecutiveCrashes = ranMs >= this.healthyAfterMs ? 1 : slot.consecutiveCrashes + 1;
        const delay = backoffDelayMs(slot.consecutiveCrashes, {
          initialDelayMs: this.minBackoffMs,
          maxDelayMs: this.maxBackoffMs,
          randomize: false,
        });
        logger.error({
          msg: 'child exited unexpectedly: restarting',
          child: slot.spec.name,
          pid: child.pid,
          code,
          signal,
          ran_ms: ranMs,
          restart_in_ms: delay,
          restarts: slot.restarts,
        });
        slot.timer = setTimeout(() => {
          slot.timer = undefined;
          if (this.stopping) return;
          slot.restarts++;
          this.launch(slot);
        }, delay);
      });
    });
    child.on('error', (err) => logger.error({ msg: 'child process error', child: slot.spec.name, err }));
  }
}

/**
 * In a child started by {@link ProcessSupervisor}: run `onParentGone` when the IPC channel to the parent closes (the
 * parent exited, even by SIGKILL). No-op in a process started any other way.
 */
export function stopWhenParentExits(onParentGone: () => void): void {
  if (process.send === undefined) return;
  process.once('disconnect', onParentGone);
}
