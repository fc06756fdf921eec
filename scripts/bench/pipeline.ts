/**
 * Benchmark: the aggregate stages end to end through the real local Kafka with Avro and exactly-once on —
 * transfers/s from `erc20.transfers` (+ its by-address repartition) to committed `token.metrics.daily` and
 * `address.flows.daily`, with W worker processes (`oracul worker`, default 2) sharing the partitions.
 *
 *   npx tsx scripts/bench/pipeline.ts [--days 3] [--blocks-per-day 2000] [--transfers-per-block 20] [--workers 2]
 *
 * Setup (untimed): the synthetic stream is decoded by the real decoder (in memory) and its transfers, by-address
 * copies and prices are produced to Kafka in transactions. Timed: from the workers' start until both stages'
 * groups have committed their whole input. Prints transfers/s, records/s and the workers' peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../config/load.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { resetTopics, waitForStages } from '../../processors/runtime/testing/pipelineHarness.ts';
import { addressFlowsStage, tokenMetricsStage } from '../../processors/runtime/topology.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import { peakRssMiB, produceSyntheticTransfers, startBenchStack } from './bench-stack.ts';
import { numberArg } from './args.ts';

const DAYS = numberArg('days', 3);
const BLOCKS_PER_DAY = numberArg('blocks-per-day', 2000);
const PER_BLOCK = numberArg('transfers-per-block', 20);
const WORKERS = numberArg('workers', 2);

const stack = await startBenchStack(['kafka', 'registry']);
const { config, logger } = stack.common;
const kafka = createKafka({ config, logger, clientSuffix: 'bench-pipeline' });
const serdes = createSchemaRegistrySerdes({ config });
const appId = `bench-${Date.now()}`;
const stages = [tokenMetricsStage(), addressFlowsStage()];
const dirs: string[] = [];
const children: ChildProcess[] = [];
try {
  await serdes.registerAll();
  const admin = kafka.admin();
  await admin.connect();
  await resetTopics(admin, config, logger, stages, appId);

  // ---- setup (untimed): decode the synthetic chain and produce its transfers ----
  const { transfers, legs, prices } = await produceSyntheticTransfers({
    kafka,
    serdes,
    appId,
    seed: 3,
    days: DAYS,
    blocksPerDay: BLOCKS_PER_DAY,
    transfersPerBlock: PER_BLOCK,
  });

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
    const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-pipeline-'));
    dirs.push(dir);
    const child = spawn(
      process.execPath,
      ['scripts/oracul.mjs', 'worker', '--app-id', appId, '--state-dir', dir, '--stage', ...stages.map((s) => s.name)],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
  }
  await waitForStages(admin, appId, stages, { timeoutMs: 1_800_000 });
  const seconds = (performance.now() - started) / 1000;
  const rss = await Promise.all(children.map((c) => peakRssMiB(c.pid)));
  await admin.disconnect();

  console.log(
    `pipeline benchmark — ${WORKERS} worker processes, exactly-once, Avro, local Kafka (${config.kafka.brokers.join(',')})`,
  );
  console.log(
    `  input: ${transfers.toLocaleString('en')} transfers (+ ${legs.toLocaleString('en')} by-address copies, ${prices.toLocaleString('en')} prices), ${DAYS} days`,
  );
  console.log(
    `  time from worker start to all input committed (incl. startup, group join, global-table bootstrap): ${seconds.toFixed(1)} s`,
  );
  console.log(
    `  throughput: ${Math.round(transfers / seconds).toLocaleString('en')} transfers/s (${Math.round((transfers + legs) / seconds).toLocaleString('en')} input records/s across both stages)`,
  );
  console.log(`  target ≥ 100,000 transfers/s: ${transfers / seconds >= 100_000 ? 'met' : 'MISSED'}`);
  console.log(`  workers' peak RSS: ${rss.map((r) => `${r ?? '?'} MiB`).join(', ')}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.stop();
}
