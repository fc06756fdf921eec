/**
 * Scaling demo: the aggregate stages run as `oracul worker` processes sharing the partitions of
 * `erc20.transfer-batches.by-token` / `.by-address` (6 each). Two workers start on a backlog; their throughput is
 * measured; a third joins: the groups rebalance, the moved tasks restore their state from the changelogs on the
 * newcomer's empty disk, and the throughput is measured again. Everything runs on the bench stack
 * (ORACUL_BENCH_PORT_OFFSET, default 700; use 750 beside other benches).
 *
 *   npx tsx scripts/bench/scaling.ts [--days 3] [--blocks-per-day 2000] [--transfers-per-block 20] [--window-s 20]
 *
 * Setup (untimed): the synthetic stream is decoded by the real decoder (in memory) and what it publishes (the batch
 * records of both internal hops, one per block and partition, and `erc20.transfers`) and the prices are produced to
 * Kafka in transactions. Throughput = input (batch) records committed per second by the two stages' consumer groups
 * (sum over partitions), sampled every second. Prints the figures, the rebalance and
 * restore time seen by the third worker (its `partitions assigned`, `state restored` and `task started` logs), and
 * the workers' peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Admin } from 'kafkajs';
import { REPO_ROOT } from '../../config/load.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { resetTopics, waitForStages } from '../../processors/engine/testing/pipelineHarness.ts';
import { consumerGroupOf } from '../../processors/engine/streamWorker.ts';
import { addressFlowsStage } from '../../processors/aggregates/address-flows-stage.ts';
import { tokenMetricsStage } from '../../processors/aggregates/token-metrics-stage.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import { deleteEarlierRunTopics, peakRssMiB, produceSyntheticTransfers, startBenchStack } from './bench-stack.ts';
import { numberArg } from './args.ts';

const DAYS = numberArg('days', 3);
const BLOCKS_PER_DAY = numberArg('blocks-per-day', 2000);
const PER_BLOCK = numberArg('transfers-per-block', 20);
const WINDOW_S = numberArg('window-s', 20);

interface WorkerEvent {
  readonly atMs: number;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}
interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly startedAtMs: number;
  readonly events: WorkerEvent[];
}

const WATCHED = new Set(['partitions assigned', 'restoring state from changelog', 'state restored', 'task started']);

const stack = await startBenchStack(['kafka', 'registry']);
const { config, logger } = stack.common;
const kafka = createKafka({ config, logger, clientSuffix: 'bench-scaling' });
const serdes = createSchemaRegistrySerdes({ config });
const appId = `scaling-${Date.now()}`;
const stages = [tokenMetricsStage(), addressFlowsStage()];
const dirs: string[] = [];
const workers: Worker[] = [];
const admin: Admin = kafka.admin();

/** Input records committed so far by both stages' groups (sum over partitions). */
async function committedInput(): Promise<number> {
  let total = 0;
  for (const stage of stages) {
    const [offsets] = await admin.fetchOffsets({ groupId: consumerGroupOf(appId, stage.name), topics: [stage.inputTopic] });
    for (const p of offsets?.partitions ?? []) total += Math.max(0, Number(p.offset));
  }
  return total;
}

/** Records/s committed over `seconds`, sampled every second; also returns the per-second samples. */
async function measure(seconds: number): Promise<{ perS: number; samples: number[] }> {
  const samples: number[] = [];
  let previous = await committedInput();
  const first = previous;
  const started = performance.now();
  for (let i = 0; i < seconds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await committedInput();
    samples.push(now - previous);
    previous = now;
  }
  return { perS: (previous - first) / ((performance.now() - started) / 1000), samples };
}

function startWorker(name: string): Worker {
  const dir = mkdtempSync(join(tmpdir(), `oracul-bench-scaling-${name}-`));
  dirs.push(dir);
  const env = {
    ...process.env,
    ORACUL_ENV: 'test',
    ORACUL_LOG_LEVEL: 'info',
    ORACUL_KAFKA_BROKERS: config.kafka.brokers.join(','),
    ORACUL_KAFKA_SCHEMA_REGISTRY_URL: config.kafka.schemaRegistryUrl,
  };
  const child = spawn(
    process.execPath,
    ['scripts/oracul.mjs', 'worker', '--app-id', appId, '--state-dir', dir, '--stage', ...stages.map((s) => s.name)],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const worker: Worker = { name, child, startedAtMs: performance.now(), events: [] };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.msg === 'string' && WATCHED.has(parsed.msg)) {
        worker.events.push({ atMs: performance.now(), msg: parsed.msg, fields: parsed });
      }
    } catch {
      // not a log line
    }
  });
  workers.push(worker);
  return worker;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en');

try {
  await serdes.registerAll();
  await admin.connect();
  await deleteEarlierRunTopics(admin, 'scaling-');
  await resetTopics(admin, config, logger, stages, appId);

  // ---- setup (untimed): decode the synthetic chain and produce its transfers ----
  const { transfers, legs, inputRecords } = await produceSyntheticTransfers({
    kafka,
    serdes,
    appId,
    seed: 5,
    days: DAYS,
    blocksPerDay: BLOCKS_PER_DAY,
    transfersPerBlock: PER_BLOCK,
  });
  const totalInput = inputRecords;

  // ---- two workers ----
  const a = startWorker('w1');
  const b = startWorker('w2');
  // Steady state: both have their tasks and something is committed.
  while (
    (await committedInput()) === 0 ||
    a.events.every((e) => e.msg !== 'task started') ||
    b.events.every((e) => e.msg !== 'task started')
  ) {
    if (a.child.exitCode !== null || b.child.exitCode !== null) throw new Error('a worker exited during start-up');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const before = await measure(WINDOW_S);
  const doneBefore = await committedInput();
  if (doneBefore >= totalInput * 0.8) {
    console.warn(`only ${fmt(totalInput - doneBefore)} records left: raise --days or --blocks-per-day for a longer phase 2`);
  }

  // ---- a third worker joins ----
  const joinAt = performance.now();
  const c = startWorker('w3');
  // Rebalanced: the newcomer got partitions of both groups and started (restored) its tasks.
  const deadline = Date.now() + 300_000;
  const joinedGroups = (): number =>
    new Set(c.events.filter((e) => e.msg === 'partitions assigned').map((e) => e.fields.group)).size;
  while (joinedGroups() < stages.length || c.events.filter((e) => e.msg === 'task started').length === 0) {
    if (Date.now() > deadline) throw new Error('the third worker got no partitions within 5 min');
    if (c.child.exitCode !== null) throw new Error('the third worker exited');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Let every task of the newcomer start (the assignment is complete once no new task starts for 2 s).
  let tasks = -1;
  while (tasks !== c.events.filter((e) => e.msg === 'task started').length) {
    tasks = c.events.filter((e) => e.msg === 'task started').length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const lastTaskStarted = Math.max(...c.events.filter((e) => e.msg === 'task started').map((e) => e.atMs));
  const after = await measure(WINDOW_S);

  await waitForStages(admin, appId, stages, { timeoutMs: 1_800_000 });
  const rss = await Promise.all(workers.map((w) => peakRssMiB(w.child.pid)));
  const restored = c.events.filter((e) => e.msg === 'state restored');
  const restoredRecords = restored.reduce((k, e) => k + Number(e.fields.restored_records ?? 0), 0);
  const restoreMs = restored.reduce((k, e) => Math.max(k, Number(e.fields.duration_ms ?? 0)), 0);
  const firstAssigned = Math.min(...c.events.filter((e) => e.msg === 'partitions assigned').map((e) => e.atMs));
  const assignedTo = c.events
    .filter((e) => e.msg === 'partitions assigned')
    .map((e) => `${String(e.fields.group).replace(`${appId}-`, '')} ${JSON.stringify(e.fields.partitions)}`);

  console.log(`scaling demo — aggregate stages (token-metrics-daily, address-flows-daily), exactly-once, Avro, local Kafka`);
  console.log(
    `  input: ${fmt(transfers)} transfers (${fmt(legs)} address legs) in ${fmt(totalInput)} batch records, 6 partitions per input topic`,
  );
  console.log(
    `  2 workers: ${fmt(before.perS)} input records/s over ${WINDOW_S} s (per second: ${before.samples.map(fmt).join(' ')})`,
  );
  console.log(
    `  3rd worker joined: partitions after ${((firstAssigned - joinAt) / 1000).toFixed(1)} s (${assignedTo.join('; ')})`,
  );
  console.log(
    `  restore on its empty disk: ${restored.length} task(s), ${fmt(restoredRecords)} changelog records, longest ${fmt(restoreMs)} ms; all its tasks running ${((lastTaskStarted - joinAt) / 1000).toFixed(1)} s after start`,
  );
  console.log(
    `  3 workers: ${fmt(after.perS)} input records/s over ${WINDOW_S} s (per second: ${after.samples.map(fmt).join(' ')})`,
  );
  console.log(
    `  ratio after/before: ${(after.perS / before.perS).toFixed(2)} (machine: ${(await import('node:os')).cpus().length} cores)`,
  );
  console.log(`  workers' peak RSS: ${rss.map((r, i) => `${workers[i]!.name} ${r ?? '?'} MiB`).join(', ')}`);
} finally {
  for (const w of workers) w.child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await admin.disconnect().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.stop();
}
