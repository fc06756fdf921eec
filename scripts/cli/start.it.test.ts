import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../config/index.ts';
import { stackStatus } from '../../infra/stack/index.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { testConfig, testStackEnv } from '../test/test-config.ts';

describe('oracul start (against the running test stack)', () => {
  it('bootstraps, stays up until SIGINT, then shuts down cleanly without stopping a stack it did not start', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/oracul.mjs'), 'start'], {
      env: { ...process.env, ...testStackEnv(), ORACUL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 90_000;
    while (!output.includes('"msg":"oracul is up"') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('"msg":"oracul is up"');
    // Still running a while later: it must not exit on its own once bootstrapped.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(child.exitCode, `exited early; last output:\n${output.slice(-4000)}`).toBeNull();

    child.kill('SIGINT');
    const code = await exited;
    expect(code, `exit code ${code}; last output:\n${output.slice(-4000)}`).toBe(0);
    expect(output).toContain('"msg":"shutting down","reason":"SIGINT"');

    const logger = createLogger({ level: 'silent' });
    const rows = await stackStatus({ config: testConfig(), logger, shutdown: createShutdown(logger) });
    expect(rows.map((r) => [r.component, r.health])).toEqual([
      ['kafka', 'healthy'],
      ['registry', 'healthy'],
      ['warehouse', 'healthy'],
    ]);
  });
});
