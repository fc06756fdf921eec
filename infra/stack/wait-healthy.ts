import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnhealthyError } from '../../core/errors.ts';
import { readLogTail, sinceLastBanner } from './log-tail.ts';
import { LOG_BANNER_PREFIX } from './process-control.ts';
import type { ComponentContext, HealthResult, StackComponent } from './types.ts';

export const LOG_TAIL_LINES = 40;

export interface WaitUntilHealthyParameters {
  component: StackComponent;
  ctx: ComponentContext;
  timeoutMs: number;
  intervalMs?: number;
  /** Why the process is gone (exit code...), or undefined while it runs; checked before each probe. */
  exitReason: () => string | undefined;
  logFile: string;
}

/**
 * Polls the component's health check until it passes. Fails fast when the
 * process dies, and on timeout; both errors carry the end of the component's
 * log, which is where the reason (bad flag, port taken, OOM) always is.
 */
export async function waitUntilHealthy(p: WaitUntilHealthyParameters): Promise<HealthResult> {
  const started = Date.now();
  let last: HealthResult = { healthy: false, detail: 'not checked yet' };
  for (;;) {
    p.ctx.signal?.throwIfAborted();
    const exited = p.exitReason();
    if (exited !== undefined) throw await unhealthyError(p.component.name, `${exited} before becoming healthy`, p.logFile);
    last = await p.component.health(p.ctx);
    if (last.healthy) return last;
    if (Date.now() - started > p.timeoutMs) {
      throw await unhealthyError(
        p.component.name,
        `not healthy after ${Math.round(p.timeoutMs / 1000)} s (last check: ${last.detail})`,
        p.logFile,
      );
    }
    await sleep(p.intervalMs ?? 250, undefined, { signal: p.ctx.signal });
  }
}

export async function unhealthyError(component: string, reason: string, logFile: string): Promise<ServiceUnhealthyError> {
  // Lines of earlier runs would mislead: keep only what this start wrote.
  const tail = sinceLastBanner(await readLogTail(logFile, LOG_TAIL_LINES).catch(() => []), LOG_BANNER_PREFIX);
  const shown =
    tail.length > 0 ? `\n--- last ${tail.length} lines of ${logFile} ---\n${tail.join('\n')}` : ` (no output in ${logFile})`;
  return new ServiceUnhealthyError(component, `${reason}${shown}`, { details: { log_file: logFile, log_tail: tail } });
}
