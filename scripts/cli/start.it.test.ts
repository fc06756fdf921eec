import { spawn } from 'node:child_process';
import { isProcessAlive as alive } from '../../infra/stack/process-control.ts';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../config/index.ts';
import { stackStatus } from '../../infra/stack/index.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { collectStatus } from '../../processors/runtime/status/index.ts';
import { oraculStages } from '../../processors/runtime/topology.ts';
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

    const deadline = Date.now() + 90_000;
    while (!output.includes('"msg":"oracul is up"') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('"msg":"oracul is up"');
    // The gateway starts after the pipeline, on a free port (--gateway-port 0): its URL is in the log.
    // The whole platform starts first (stages, sinks, on a loaded machine tens of seconds): a longer wait.
    const gatewayDeadline = Date.now() + 180_000;
    while (!output.includes('"msg":"gateway started"') && Date.now() < gatewayDeadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
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
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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
      const deadline = Date.now() + 240_000;
      let pids: number[] = [];
      while (pids.length < 2 && Date.now() < deadline && child.exitCode === null) {
        await sleep(2_000);
        pids = await workerPids().catch(() => []);
      }
      expect(pids.length, `no two worker children:\n${output.slice(-4000)}`).toBe(2);

      // A child killed with SIGKILL is restarted by the supervisor.
      process.kill(pids[0] as number, 'SIGKILL');
      const restartDeadline = Date.now() + 120_000;
      while (!output.includes('"msg":"child exited unexpectedly: restarting"') && Date.now() < restartDeadline) await sleep(200);
      expect(output).toContain('"msg":"child exited unexpectedly: restarting"');
      const restarted = Date.now() + 180_000;
      let after: number[] = [];
      while (Date.now() < restarted) {
        after = await workerPids().catch(() => []);
        if (after.length === 2 && !after.includes(pids[0] as number)) break;
        await sleep(2_000);
      }
      expect(after.filter((p) => p !== pids[0]).length).toBe(2);

      // `oracul start` killed with SIGKILL: its children notice the closed IPC channel and stop (no orphans).
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const orphanDeadline = Date.now() + 90_000;
      while (after.some(alive) && Date.now() < orphanDeadline) await sleep(500);
      expect(after.filter(alive)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 600_000);
});
