import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnhealthyError } from '../../core/errors.ts';
import type { ComponentContext, HealthResult, StackComponent } from './types.ts';
import { waitUntilHealthy } from './wait-healthy.ts';

function fakeComponent(health: () => HealthResult): StackComponent {
  return {
    name: 'kafka',
    version: 'test',
    host: '127.0.0.1',
    ports: [{ role: 'broker', port: 1 }],
    processMarker: 'x',
    stopGraceMs: 10,
    unavailableReason: () => undefined,
    install: async () => undefined,
    prepareLaunch: async () => ({ command: 'true', args: [], cwd: '/' }),
    health: async () => health(),
  };
}

describe('waitUntilHealthy', () => {
  let dir: string;
  let logFile: string;
  const ctx = { logger: pino({ level: 'silent' }) } as unknown as ComponentContext;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oracul-wait-'));
    logFile = join(dir, 'kafka.log');
    await writeFile(logFile, `${Array.from({ length: 100 }, (_, i) => `log line ${i}`).join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns once the check passes', async () => {
    let n = 0;
    const component = fakeComponent(() => ({ healthy: ++n >= 3, detail: `probe ${n}` }));
    await expect(
      waitUntilHealthy({ component, ctx, timeoutMs: 5_000, intervalMs: 10, logFile, exitReason: () => undefined }),
    ).resolves.toEqual({
      healthy: true,
      detail: 'probe 3',
    });
  });

  it('fails fast when the process exits, with the last 40 log lines', async () => {
    const component = fakeComponent(() => ({ healthy: false, detail: 'refused' }));
    const error = await waitUntilHealthy({
      component,
      ctx,
      timeoutMs: 60_000,
      logFile,
      exitReason: () => 'process exited with code 1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnhealthyError);
    const e = error as ServiceUnhealthyError;
    expect(e.code).toBe('ORACUL_SERVICE_UNHEALTHY');
    expect(e.message).toContain('kafka: process exited with code 1 before becoming healthy');
    expect(e.message).toContain('log line 99');
    expect(e.details.log_tail).toHaveLength(40);
    expect(e.message).not.toContain('log line 59\n');
  });

  it('times out with the last probe result', async () => {
    const component = fakeComponent(() => ({ healthy: false, detail: 'ECONNREFUSED' }));
    await expect(
      waitUntilHealthy({ component, ctx, timeoutMs: 50, intervalMs: 10, logFile, exitReason: () => undefined }),
    ).rejects.toThrow(/not healthy after 0 s \(last check: ECONNREFUSED\)/);
  });
});
