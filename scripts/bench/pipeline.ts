/**
 * Benchmark: the aggregate stages end to end through the real local Kafka with Avro and exactly-once on —
 * transfers/s from the internal hops `erc20.transfer-batches.by-token` / `.by-address` (ADR 0018) to committed
 * `token.metrics.daily` and `address.flows.daily`, with W worker processes (`oracul worker`, default 2) sharing the
 * partitions.
 *
 *   npx tsx scripts/bench/pipeline.ts [--days 3] [--blocks-per-day 2000] [--transfers-per-block 20] [--workers 2]
 *                                     [--worker-node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--join-delay 0]
 *                                     [--addresses 100000]
 *   --addresses N: the synthetic chain's address pool (skewed). A mainnet day has ~1 M (address, token) windows for
 *   ~2.4 M legs (2.5 legs a window); with the chain's 5 tokens, 300 000 addresses give about that shape on a 1.2 M-transfer
 *   day, the default 100 000 give 5.3 legs a window.
 *   --join-delay S: the workers after the first start S seconds later, as when a worker joins a running backfill (the
 *   first then has to hand partitions over in a rebalance).
 *
 * Setup (untimed): the synthetic stream is decoded by the real decoder (in memory) and what it publishes
 * (`erc20.transfers`, the batches of both hops) and the prices are produced to Kafka in transactions. Timed: from the
 * workers' start until both stages' groups have committed their whole input. Prints transfers/s, input records/s,
 * the workers' peak RSS, the CPU the workers and the broker used in the window, the load average, and (untimed,
 * read back after the run) the Kafka records and payload bytes produced per transfer per topic: the decoder's
 * outputs as the set-up produced them, the stages' outputs and their changelogs. Then, in the same run, the paired
 * baseline: the same inputs through a bare transactional consume → produce loop with the same client that produces
 * what the stages produced (scripts/bench/bare-transactional-loop.ts), and the pipeline's rate as a share of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../config/load.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { readCommittedToEnd, resetTopics, waitForStages } from '../../processors/engine/testing/pipelineHarness.ts';
import type { AnyStageSpec } from '../../processors/engine/stage.ts';
import { changelogTopicsOf } from '../../processors/engine/streamWorker.ts';
import { addressFlowsStage } from '../../processors/aggregates/address-flows-stage.ts';
import { tokenMetricsStage } from '../../processors/aggregates/token-metrics-stage.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import type { Admin, Kafka } from 'kafkajs';
import type { OraculConfig } from '../../config/schema.ts';
import {
  deleteEarlierRunTopics,
  peakRssMiB,
  processCpuSeconds,
  produceSyntheticTransfers,
  stackPids,
  startBenchStack,
} from './bench-stack.ts';
import { numberArg, textArg } from './args.ts';
import { runBareTransactionalLoop } from './bare-transactional-loop.ts';
import { sampleStageProgress } from './stage-progress.ts';

const DAYS = numberArg('days', 3);
const BLOCKS_PER_DAY = numberArg('blocks-per-day', 2000);
const PER_BLOCK = numberArg('transfers-per-block', 20);
const WORKERS = numberArg('workers', 2);
/** Node flags for the worker processes (e.g. `--cpu-prof`: the profiles are written when they exit after the run). */
const WORKER_NODE_OPTIONS = (textArg('worker-node-options') ?? '').split(' ').filter((flag) => flag !== '');
/** Seconds between the first worker's start and the others' (0: all at once). */
const JOIN_DELAY_S = numberArg('join-delay', 0);
const ADDRESSES = numberArg('addresses', 100_000);

const stack = await startBenchStack(['kafka', 'registry']);
const { config, logger } = stack.common;
const kafka = createKafka({ config, logger, clientSuffix: 'bench-pipeline' });
const serdes = createSchemaRegistrySerdes({ config });
const appId = `bench-${Date.now()}`;
const stages = [tokenMetricsStage(), addressFlowsStage()];
const dirs: string[] = [];
const children: ChildProcess[] = [];
// However the bench ends (a crash skips the clean-up below), its workers must not outlive it.
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
try {
  await serdes.registerAll();
  const admin = kafka.admin();
  await admin.connect();
  await deleteEarlierRunTopics(admin, 'bench-');
  await resetTopics(admin, config, logger, stages, appId);

  // ---- setup (untimed): decode the synthetic chain and produce its transfers ----
  const { transfers, legs, inputRecords, prices } = await produceSyntheticTransfers({
    kafka,
    serdes,
    appId,
    seed: 3,
    days: DAYS,
    blocksPerDay: BLOCKS_PER_DAY,
    transfersPerBlock: PER_BLOCK,
    addresses: ADDRESSES,
  });

  // Nothing to measure (e.g. a decoder change that emits nothing): fail now, not in a bare loop waiting for input.
  if (transfers === 0 || inputRecords === 0) throw new Error(`the synthetic chain produced ${transfers} transfers`);

  // ---- timed: W worker processes run both aggregate stages until every input is committed ----
  const env = {
    ...process.env,
    ORACUL_ENV: 'test',
    ORACUL_LOG_LEVEL: 'warn',
    ORACUL_KAFKA_BROKERS: config.kafka.brokers.join(','),
    ORACUL_KAFKA_SCHEMA_REGISTRY_URL: config.kafka.schemaRegistryUrl,
  };
  const started = performance.now();
  for (let w = 0; w < WORKERS; w++) {
    if (w === 1 && JOIN_DELAY_S > 0) await sleep(JOIN_DELAY_S * 1000);
    const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-pipeline-'));
    dirs.push(dir);
    const child = spawn(
      process.execPath,
      [
        ...WORKER_NODE_OPTIONS,
        'scripts/oracul.mjs',
        'worker',
        '--app-id',
        appId,
        '--state-dir',
        dir,
        '--stage',
        ...stages.map((s) => s.name),
      ],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
  }
  const kafkaPid = (await stackPids(config, ['kafka'])).kafka;
  const kafkaCpuBefore = kafkaPid === undefined ? null : processCpuSeconds(kafkaPid);
  const progress = sampleStageProgress(admin, appId, stages, started);
  await waitForStages(admin, appId, stages, { timeoutMs: 1_800_000 });
  const seconds = (performance.now() - started) / 1000;
  const phases = await progress.stop();
  const load = loadavg();
  const workerCpu = children.map((c) => (c.pid === undefined ? null : processCpuSeconds(c.pid)));
  const kafkaCpu = kafkaPid === undefined || kafkaCpuBefore === null ? null : (processCpuSeconds(kafkaPid) ?? 0) - kafkaCpuBefore;
  const rss = await Promise.all(children.map((c) => peakRssMiB(c.pid)));

  console.log(
    `pipeline benchmark — ${WORKERS} worker processes${JOIN_DELAY_S > 0 ? ` (all but the first started ${JOIN_DELAY_S} s later)` : ''}, exactly-once, Avro, local Kafka (${config.kafka.brokers.join(',')})`,
  );
  console.log(
    `  input: ${transfers.toLocaleString('en')} transfers (${legs.toLocaleString('en')} address legs) in ${inputRecords.toLocaleString('en')} batch records, ${prices.toLocaleString('en')} prices, ${DAYS} days`,
  );
  console.log(
    `  time from worker start to all input committed (incl. startup, group join, global-table bootstrap): ${seconds.toFixed(1)} s`,
  );
  console.log(
    `  throughput: ${Math.round(transfers / seconds).toLocaleString('en')} transfers/s (${Math.round(inputRecords / seconds).toLocaleString('en')} input records/s across both stages)`,
  );
  console.log(
    `  first committed offset after ${phases.firstCommitS?.toFixed(1) ?? '?'} s (start-up, group join, global tables, restores); 10 % → 90 % of the input in ${phases.steadyS?.toFixed(1) ?? '?'} s: ${phases.steadyS === null ? '?' : Math.round((0.8 * transfers) / phases.steadyS).toLocaleString('en')} transfers/s steady`,
  );
  console.log(`  target ≥ 50,000 transfers/s on an idle machine (issue 14): ${transfers / seconds >= 50_000 ? 'met' : 'MISSED'}`);
  console.log(`  workers' peak RSS: ${rss.map((r) => `${r ?? '?'} MiB`).join(', ')}`);
  const cpu = (s: number | null): string => (s === null ? '?' : `${s.toFixed(1)} s`);
  console.log(
    `  process CPU in the window: workers ${workerCpu.map(cpu).join(' + ')}, kafka ${cpu(kafkaCpu)}; load average at the end ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const volumes = await producedPerTopic(kafka, admin, config, stages, appId);
  printPerTransfer(volumes, transfers);
  await printBareLoop({ admin, volumes, inputRecords, transfers, pipelineSeconds: seconds });
  await admin.disconnect();
} finally {
  for (const child of children) child.kill('SIGTERM');
  // A graceful stop (profiles, if asked for, are written at exit), then whatever is left is killed.
  await Promise.race([
    Promise.all(children.map((c) => (c.exitCode === null ? new Promise((resolve) => c.once('exit', resolve)) : null))),
    new Promise((resolve) => setTimeout(resolve, 15_000)),
  ]);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.stop();
}

/**
 * The paired baseline, in the same run: the same input topics through a bare transactional consume → produce loop
 * with the same client, producing what the stages produced per input record (scripts/bench/bare-transactional-loop.ts).
 * The pipeline's time includes its workers' start (process, compile, group join, global tables); the loop's only
 * its group join.
 */
async function printBareLoop(run: {
  admin: Admin;
  volumes: readonly TopicVolume[];
  inputRecords: number;
  transfers: number;
  pipelineSeconds: number;
}): Promise<void> {
  const inputs = new Set<string>(['erc20.transfers', ...stages.map((s) => s.inputTopic)]);
  const outputs = run.volumes.filter((v) => !inputs.has(v.topic));
  const records = outputs.reduce((n, v) => n + v.records, 0);
  const bytes = outputs.reduce((n, v) => n + v.bytes, 0);
  const bare = await runBareTransactionalLoop({
    kafka,
    admin: run.admin,
    logger,
    appId,
    inputTopics: stages.map((s) => s.inputTopic),
    inputRecords: run.inputRecords,
    outputsPerInput: records / run.inputRecords,
    bytesPerOutput: records === 0 ? 1 : bytes / records,
    partitions: 6,
  });
  const bareRate = run.transfers / bare.seconds;
  const rate = run.transfers / run.pipelineSeconds;
  console.log(
    `  baseline, bare transactional consume → produce (same inputs, ${bare.producedRecords.toLocaleString('en')} records of ${Math.round(bytes / Math.max(1, records))} B, ${bare.transactions} transactions, 1 process): ${bare.seconds.toFixed(1)} s, ${bare.cpuSeconds.toFixed(1)} s CPU → ${Math.round(bareRate).toLocaleString('en')} transfers/s`,
  );
  console.log(
    `  pipeline / bare loop: ${((rate / bareRate) * 100).toFixed(1)} % (target ≥ 50 %); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

interface TopicVolume {
  readonly topic: string;
  readonly records: number;
  readonly bytes: number;
}

/**
 * What the hops and the stages produced, per topic: committed records and their key + value bytes (the payload;
 * Kafka's batch framing and transaction markers are not counted). The inputs were produced by the set-up exactly as
 * the decoder stage would produce them; changelogs are summed into one line per stage.
 */
async function producedPerTopic(
  kafka: Kafka,
  admin: Admin,
  config: OraculConfig,
  stages: readonly AnyStageSpec[],
  appId: string,
): Promise<TopicVolume[]> {
  const named = new Set<string>(['erc20.transfers']);
  for (const stage of stages) for (const t of [stage.inputTopic, ...stage.processor.outputTopics]) named.add(t);
  const existing = new Set(await admin.listTopics());
  const volumes: TopicVolume[] = [];
  for (const topic of named) if (existing.has(topic)) volumes.push(await volumeOf(kafka, admin, topic, topic));
  for (const stage of stages) {
    const changelogs = changelogTopicsOf(appId, stage, config.kafka.topics)
      .map((t) => t.name)
      .filter((t) => existing.has(t));
    const parts = await Promise.all(changelogs.map((t) => volumeOf(kafka, admin, t, t)));
    volumes.push({
      topic: `changelogs of ${stage.name} (${changelogs.length} topics)`,
      records: parts.reduce((n, v) => n + v.records, 0),
      bytes: parts.reduce((n, v) => n + v.bytes, 0),
    });
  }
  return volumes;
}

async function volumeOf(kafka: Kafka, admin: Admin, topic: string, label: string): Promise<TopicVolume> {
  let records = 0;
  let bytes = 0;
  const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
  if (offsets.every((p) => Number(p.high) === 0)) return { topic: label, records, bytes };
  await readCommittedToEnd(
    kafka,
    admin,
    topic,
    async ({ message }) => {
      records++;
      bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
    },
    300_000,
  );
  return { topic: label, records, bytes };
}

function printPerTransfer(volumes: readonly TopicVolume[], transfers: number): void {
  console.log('  Kafka records and payload bytes (key + value) produced per transfer, per topic:');
  for (const v of volumes)
    console.log(
      `    ${v.topic.padEnd(48)} ${(v.records / transfers).toFixed(3).padStart(8)} records  ${(v.bytes / transfers).toFixed(1).padStart(8)} bytes`,
    );
  const records = volumes.reduce((n, v) => n + v.records, 0);
  const bytes = volumes.reduce((n, v) => n + v.bytes, 0);
  console.log(
    `    ${'all of the above'.padEnd(48)} ${(records / transfers).toFixed(3).padStart(8)} records  ${(bytes / transfers).toFixed(1).padStart(8)} bytes`,
  );
}
