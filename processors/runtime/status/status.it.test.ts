import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../config/index.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { ensureTopics } from '../../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../../core/logger.ts';
import { createSchemaRegistrySerdes } from '../../../schemas/index.ts';
import { testConfig, testStackEnv } from '../../../scripts/test/test-config.ts';
import { consumerGroupOf, startStreamWorker, type StreamWorker } from '../streamWorker.ts';
import { tokenAnomaliesStage } from '../topology.ts';
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
  const stage = tokenAnomaliesStage(config);
  const partitions = config.kafka.topics.find((t) => t.name === 'token.metrics.daily')?.partitions ?? 0;
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
      [...config.kafka.topics, { name: sinkTopic, partitions: 1, replicationFactor: 1, cleanupPolicy: 'delete', key: 'test' }],
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
    for (let i = 0; i < 120; i++) {
      const [group] = (await admin.describeGroups([groupId])).groups;
      if (group?.state === 'Stable' && group.members.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 180_000);

  afterAll(async () => {
    await heartbeat?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await admin?.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  });

  let report: StatusReport;

  it('lists the running stage with its member and decoded assignment', async () => {
    // token.metrics.daily is shared with the other integration tests on this stack: it may hold their records,
    // which the worker consumes first. Wait until it has caught up: lag 0, or 1 per partition at most where the
    // partition ends with a transaction's commit marker (the committed offset points past the last record).
    const deadline = Date.now() + 180_000;
    for (;;) {
      await heartbeat.publishNow();
      report = await collectStatus({
        kafka,
        logger,
        appId,
        stages: ['token-anomalies', 'address-anomalies'],
        maxLag: 3,
      });
      const lag = report.groups.find((g) => g.group_id === consumerGroupOf(appId, 'token-anomalies'))?.lag;
      if ((lag !== undefined && lag <= partitions) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const running = report.groups.find((g) => g.group_id === consumerGroupOf(appId, 'token-anomalies'));
    expect(running).toMatchObject({ kind: 'stage', name: 'token-anomalies', state: 'Stable' });
    expect(running?.members).toHaveLength(1);
    expect(running?.members[0]?.assignment).toEqual({
      'token.metrics.daily': Array.from({ length: partitions }, (_, i) => i),
    });
    expect(running?.partitions.map((p) => p.owner)).toEqual(Array(partitions).fill(running?.members[0]?.client_id));
    expect(running?.lag).toBeLessThanOrEqual(partitions);
  }, 240_000);

  it('reports a stage without members and a sink lagging above --max-lag as problems', () => {
    const missing = report.groups.find((g) => g.group_id === consumerGroupOf(appId, 'address-anomalies'));
    expect(missing?.members).toEqual([]);
    const sink = report.groups.find((g) => g.group_id === sinkGroup);
    expect(sink).toMatchObject({ kind: 'sink', name: 'test_table', lag: 5 });
    expect(sink?.partitions).toEqual([{ topic: sinkTopic, partition: 0, committed: 2, end: 7, lag: 5, owner: null }]);
    // (The running stage's own lag line, if the shared topic's commit markers put it above 3, is not under test.)
    expect(report.problems.filter((p) => !p.startsWith(`group ${consumerGroupOf(appId, 'token-anomalies')} lags`))).toEqual([
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
    expect(text).toContain(`token.metrics.daily[${Array.from({ length: partitions }, (_, i) => i).join(',')}]`);
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
