import { spawn } from 'node:child_process';
import { isProcessAlive as alive } from '../../infra/stack/process-control.ts';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../config/index.ts';
import { stackStatus } from '../../infra/stack/index.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { collectStatus } from '../../processors/engine/status/index.ts';
import { oraculStages } from '../../processors/topology.ts';
import { testConfig, testStackEnv } from '../test/test-config.ts';

describe('oracul start (against the running test stack)', () => {
  it('bootstraps, stays up until SIGINT, then shuts down cleanly without stopping a stack it did not start', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'scripts/oracul.mjs'), 'start', '--gateway-port', '0', '--no-devnet'],
      {
        env: { ...process.env, ...testStackEnv(), ORACUL_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    // Each wait ends when its line is logged or the process exits (then the expectation after it says why); vi.waitFor
    // throws at its timeout.
    const logged = (line: string) => () => expect(output.includes(line) || child.exitCode !== null).toBe(true);
    await vi.waitFor(logged('"msg":"oracul is up"'), { timeout: 90_000, interval: 200 });
    expect(output).toContain('"msg":"oracul is up"');
    // The gateway starts after the pipeline, on a free port (--gateway-port 0): its URL is in the log.
    // The whole platform starts first (stages, sinks, on a loaded machine tens of seconds): a longer wait.
    await vi.waitFor(logged('"msg":"gateway started"'), { timeout: 180_000, interval: 200 });
    const started = output
      .split('\n')
      .filter((line) => line.includes('"gateway started"'))
      .map((line) => JSON.parse(line) as { healthz?: string })[0];
    expect(started?.healthz ?? '', `no gateway URL in the log:\n${output.slice(-4000)}`).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/healthz$/,
    );
    const health = await fetch(started?.healthz as string);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // `oracul status` sees every stage of the process as a member of its group, and the process's heartbeat.
    const statusLogger = createLogger({ level: 'silent' });
    const kafka = createKafka({ config: testConfig(), logger: statusLogger, clientSuffix: 'status' });
    const stages = oraculStages({ config: testConfig() }).map((s) => s.name);
    const report = await collectStatus({ kafka, logger: statusLogger, appId: 'oracul', stages });
    for (const stage of stages) {
      expect(report.groups.find((g) => g.name === stage)?.members.length, stage).toBeGreaterThan(0);
    }
    const worker = report.workers.find((w) => w.pid === child.pid);
    expect(worker?.stages.map((s) => s.stage).sort()).toEqual([...stages].sort());
    expect(worker?.sinks.length).toBeGreaterThan(0);
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
  }, 360_000);

  it('--workers 2 runs the stages in supervised child processes: restarted when killed, gone when start is killed', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'scripts/oracul.mjs'), 'start', '--workers', '2', '--no-gateway', '--no-devnet', '--no-prices'],
      { env: { ...process.env, ...testStackEnv(), ORACUL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const statusLogger = createLogger({ level: 'silent' });
    const kafka = createKafka({ config: testConfig(), logger: statusLogger, clientSuffix: 'status-workers' });
    const stages = oraculStages({ config: testConfig() }).map((s) => s.name);
    const workerPids = async (): Promise<number[]> => {
      const report = await collectStatus({ kafka, logger: statusLogger, appId: 'oracul', stages });
      return report.workers
        .filter((w) => w.pid !== child.pid && alive(w.pid) && w.stages.length === stages.length)
        .map((w) => w.pid);
    };
    try {
      // Two children, each running every stage (they share the partitions through the groups).
      let pids: number[] = [];
      await vi.waitFor(
        async () => {
          pids = await workerPids().catch(() => []);
          expect(pids.length === 2 || child.exitCode !== null).toBe(true);
        },
        { timeout: 240_000, interval: 2_000 },
      );
      expect(pids.length, `no two worker children:\n${output.slice(-4000)}`).toBe(2);

      // A child killed with SIGKILL is restarted by the supervisor.
      process.kill(pids[0] as number, 'SIGKILL');
      await vi.waitFor(() => expect(output).toContain('"msg":"child exited unexpectedly: restarting"'), {
        timeout: 120_000,
        interval: 200,
      });
      let after: number[] = [];
      await vi.waitFor(
        async () => {
          after = await workerPids().catch(() => []);
          expect(after.filter((p) => p !== pids[0]).length).toBe(2);
        },
        { timeout: 180_000, interval: 2_000 },
      );

      // `oracul start` killed with SIGKILL: its children notice the closed IPC channel and stop (no orphans).
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await vi.waitFor(() => expect(after.filter(alive)).toEqual([]), { timeout: 90_000, interval: 500 });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 600_000);
});
