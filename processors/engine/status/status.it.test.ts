import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../../config/index.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { ensureTopics } from '../../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../../core/logger.ts';
import { createSchemaRegistrySerdes } from '../../../schemas/index.ts';
import { testConfig, testStackEnv } from '../../../scripts/test/test-config.ts';
import { consumerGroupOf, startStreamWorker, type StreamWorker } from '../streamWorker.ts';
import { tokenAnomaliesStage } from '../../anomalies/anomaly-stages.ts';
import { collectStatus, formatStatus, readHeartbeats, type StatusReport } from './status.ts';
import { startHeartbeat, type Heartbeat } from './heartbeat.ts';

/**
 * `oracul status` against the real broker: a running stage worker (member, decoded assignment, heartbeat), a
 * stage that is not running (no members: a problem), and a sink group with committed offsets behind the end
 * (lag above --max-lag: a problem); stale heartbeats; the tombstone of a clean stop; the CLI's exit code.
 */
describe('oracul status: consumer groups and worker heartbeats', () => {
  const config = testConfig({ logLevel: 'warn' });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'status-it' } });
  const appId = `status-it-${randomUUID().slice(0, 8)}`;
  const sinkTopic = `${appId}-sink-input`;
  const sinkGroup = `${appId}-sink-test_table`;
  // The stage runs on topics of its own: its input is empty, so the stage's lag is exactly 0.
  const inputTopic = `${appId}.token.metrics.daily`;
  const kafkaTopics = {
    'token.metrics.daily': inputTopic,
    'token.metrics.daily.dlq': `${appId}.token.metrics.daily.dlq`,
    anomalies: `${appId}.anomalies`,
  } as const;
  const stage = tokenAnomaliesStage(config, { kafkaTopics });
  const partitions = config.kafka.topics.find((t) => t.name === 'token.metrics.daily')?.partitions ?? 0;
  const ownTopic = (name: string, count: number) =>
    ({ name, partitions: count, replicationFactor: 1, cleanupPolicy: 'delete', key: 'test' }) as const;
  let kafka: Kafka;
  let admin: Admin;
  let worker: StreamWorker;
  let heartbeat: Heartbeat;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'oracul-status-it-'));
    kafka = createKafka({ config, logger });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      [
        ownTopic(sinkTopic, 1),
        ownTopic(inputTopic, partitions),
        ownTopic(kafkaTopics['token.metrics.daily.dlq'], 1),
        ownTopic(kafkaTopics.anomalies, 1),
      ],
      logger,
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: sinkTopic,
      messages: Array.from({ length: 7 }, (_, i) => ({ key: String(i), value: `v${i}` })),
    });
    await producer.disconnect();
    await admin.setOffsets({ groupId: sinkGroup, topic: sinkTopic, partitions: [{ partition: 0, offset: '2' }] });

    worker = await startStreamWorker({
      kafka,
      logger,
      serdes: createSchemaRegistrySerdes({ config }),
      stage,
      appId,
      stateDir,
      topics: config.kafka.topics,
    });
    heartbeat = await startHeartbeat({ kafka, logger, appId, workers: [worker], intervalMs: 1_000 });
    // Until the group has settled with our member holding every input partition.
    const groupId = consumerGroupOf(appId, stage.name);
    await vi.waitFor(
      async () => {
        const [group] = (await admin.describeGroups([groupId])).groups;
        expect(group?.state).toBe('Stable');
        expect(group?.members).toHaveLength(1);
      },
      { timeout: 60_000, interval: 500 },
    );
  }, 180_000);

  afterAll(async () => {
    await heartbeat?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await admin?.deleteTopics({ topics: [sinkTopic, ...Object.values(kafkaTopics)] }).catch(() => undefined);
    await admin?.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  });

  let report: StatusReport;

  it('lists the running stage with its member and decoded assignment', async () => {
    await heartbeat.publishNow();
    report = await collectStatus({ kafka, logger, appId, stages: ['token-anomalies', 'address-anomalies'], maxLag: 3 });
    const running = report.groups.find((g) => g.group_id === consumerGroupOf(appId, 'token-anomalies'));
    expect(running).toMatchObject({ kind: 'stage', name: 'token-anomalies', state: 'Stable', lag: 0 });
    expect(running?.members).toHaveLength(1);
    expect(running?.members[0]?.assignment).toEqual({ [inputTopic]: Array.from({ length: partitions }, (_, i) => i) });
    expect(running?.partitions.map((p) => p.owner)).toEqual(Array(partitions).fill(running?.members[0]?.client_id));
  });

  it('reports a stage without members and a sink lagging above --max-lag as problems', () => {
    const missing = report.groups.find((g) => g.group_id === consumerGroupOf(appId, 'address-anomalies'));
    expect(missing?.members).toEqual([]);
    const sink = report.groups.find((g) => g.group_id === sinkGroup);
    expect(sink).toMatchObject({ kind: 'sink', name: 'test_table', lag: 5 });
    expect(sink?.partitions).toEqual([{ topic: sinkTopic, partition: 0, committed: 2, end: 7, lag: 5, owner: null }]);
    expect(report.problems).toEqual([
      `group ${consumerGroupOf(appId, 'address-anomalies')} has no members (stage address-anomalies is not running)`,
      `group ${sinkGroup} has no members (sink test_table is not running)`,
      `group ${sinkGroup} lags 5 records (> --max-lag 3)`,
    ]);
  });

  it('joins the worker heartbeat, marks it stale when old, and renders the tables', async () => {
    const own = report.workers.find((w) => w.worker_id === heartbeat.workerId);
    expect(own).toMatchObject({ state: 'running', stale: false, pid: process.pid, app_id: appId });
    expect(own?.stages.map((s) => [s.stage, s.group_id, s.last_error])).toEqual([
      ['token-anomalies', consumerGroupOf(appId, 'token-anomalies'), null],
    ]);
    const later = await collectStatus({ kafka, logger, appId, stages: ['token-anomalies'], nowMs: Date.now() + 120_000 });
    expect(later.workers.find((w) => w.worker_id === heartbeat.workerId)?.stale).toBe(true);
    const text = formatStatus(later);
    expect(text).toContain('STALE');
    expect(text).toContain(`${inputTopic}[${Array.from({ length: partitions }, (_, i) => i).join(',')}]`);
    expect(formatStatus(report)).toContain(`PROBLEM: group ${sinkGroup} lags 5 records (> --max-lag 3)`);
  });

  it('oracul status --json exits 1 with the problems', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'scripts/oracul.mjs'), 'status', '--app-id', appId, '--json', '--max-lag', '3'],
      { env: { ...process.env, ...testStackEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(1);
    const parsed = JSON.parse(stdout) as StatusReport;
    expect(parsed.problems).toContain(`group ${sinkGroup} lags 5 records (> --max-lag 3)`);
    expect(parsed.groups.find((g) => g.name === 'token-anomalies')?.members).toHaveLength(1);
  }, 60_000);

  it('a clean stop publishes a tombstone: the worker disappears from the heartbeats', async () => {
    await heartbeat.stop();
    const left = await readHeartbeats(kafka, logger, appId, 15_000);
    expect(left.find((w) => w.worker_id === heartbeat.workerId)).toBeUndefined();
  });
});
