import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { REPO_ROOT } from '../../config/load.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import type { LateTransfer, LogBatch, Transfer } from '../../schemas/generated/types.ts';
import { testConfig, testStackEnv } from '../../scripts/test/test-config.ts';
import type { ClickHouseSink } from '../sinks/clickhouse-sink.ts';
import { createDerivedSinks } from '../sinks/derived-sinks.ts';
import { createPricesSink } from '../sinks/raw-sinks.ts';
import { oraculStages } from '../topology.ts';
import { preparePipelineRun, readCommittedToEnd, waitForStages } from './testing/pipelineHarness.ts';
import { expectedAddressFlows, expectedTokenMetrics, streamedAddressFlows, streamedTokenMetrics } from './testing/recompute.ts';
import { generateSyntheticStream } from './testing/syntheticTransferStream.ts';

/**
 * Chaos: the stream engine runs as real worker processes (`oracul worker`), which are killed with SIGKILL at
 * random points (three times), restarted (once on an empty disk, so every store is restored from its changelog),
 * joined by a second worker (rebalance). The committed topics must hold every transfer exactly once and the marts
 * must equal the SQL recomputation, as in a crash-free run.
 */
describe('stream engine under kill -9, restarts on an empty disk and a rebalance', () => {
  const database = `chaos_it_${randomUUID().slice(0, 8)}`;
  const config = testConfig({ clickhouse: { database }, logLevel: 'warn' });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'chaos-it' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  const appId = `oracul-chaos-${randomUUID().slice(0, 8)}`;
  const stages = oraculStages();
  const stream = generateSyntheticStream({ seed: 11, days: 3, blocksPerDay: 144, transfersPerBlock: 8, addresses: 2000 });
  const client = createWarehouseClient({ config });
  const env = { ...process.env, ...testStackEnv(config), ORACUL_CLICKHOUSE_DATABASE: database, ORACUL_LOG_LEVEL: 'info' };
  let kafka: Kafka;
  let admin: Admin;
  let serdes: Serdes;
  const dirs: string[] = [];
  const children = new Set<ChildProcess>();
  const sinks: ClickHouseSink[] = [];
  const events: string[] = [];

  const logDir = mkdtempSync(join(tmpdir(), 'oracul-chaos-logs-'));
  let workerCount = 0;
  /** The workers' task lifecycle lines of one stage (opened, restored, skipped, failed), in time order. */
  const lifecycle = (stage: string): string[] =>
    readdirSync(logDir)
      .flatMap((f) =>
        readFileSync(join(logDir, f), 'utf8')
          .split('\n')
          .map((line) => `${f}: ${line}`),
      )
      .filter((l) => l.includes(`"stage":"${stage}"`) && /task started|task closed|skipped|batch failed|assigned|restore/.test(l))
      .map((l) => l.slice(0, 400));
  const startWorker = (stateDir: string, extra: string[] = []): ChildProcess => {
    const child = spawn(
      process.execPath,
      ['scripts/oracul.mjs', 'worker', '--app-id', appId, '--state-dir', stateDir, ...extra],
      {
        cwd: REPO_ROOT,
        env,
        // Each worker's log goes to a file: on a failure, the decoder's task lifecycle lines are printed.
        stdio: ['ignore', openSync(join(logDir, `worker-${++workerCount}.log`), 'w'), 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) events.push(`worker exited ${code}: ${stderr}`);
    });
    children.add(child);
    return child;
  };
  const killHard = async (child: ChildProcess): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-chaos-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    kafka = createKafka({ config, logger });
    admin = kafka.admin();
    await admin.connect();
    serdes = createSchemaRegistrySerdes({ config });
    await preparePipelineRun({ config, logger, kafka, admin, serdes, stages, appId, stream });
    sinks.push(...createDerivedSinks(common, { serdes, kafka, groupPrefix: `${appId}-sink` }));
    sinks.push(createPricesSink(common, { serdes, kafka, groupPrefix: `${appId}-sink` }));
    for (const sink of sinks) await sink.start();

    // Worker A runs; it is killed three times at random points; the second restart is on an empty disk.
    const diskA = newDir();
    let a = startWorker(diskA);
    const random = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min));
    for (let kill = 1; kill <= 3; kill++) {
      await sleep(random(4_000, 9_000));
      await killHard(a);
      events.push(`kill -9 #${kill}`);
      a = startWorker(kill === 2 ? newDir() : diskA);
    }
    // Worker B joins: the groups rebalance and B restores the tasks it receives from their changelogs.
    await sleep(3_000);
    startWorker(newDir());
    events.push('worker B joined');
    await waitForStages(admin, appId, stages, { timeoutMs: 420_000 });
    for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 120_000 });
  }, 900_000);

  afterAll(async () => {
    for (const child of [...children]) await killHard(child).catch(() => undefined);
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    await admin?.disconnect();
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
    for (const dir of [...dirs, logDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('no worker failed other than by the kills', () => {
    expect(events.filter((e) => e.startsWith('worker exited'))).toEqual([]);
    expect(events).toContain('kill -9 #3');
  });

  /** Where each id was read (partition@offset and producer), to diagnose a duplicate. */
  const where = new Map<string, string[]>();
  /** How many times each id occurs in the committed (read_committed) records of a topic, read to its end offsets. */
  const countCommitted = async (topic: string, idOf: (value: Buffer) => Promise<string>): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    await readCommittedToEnd(kafka, admin, topic, async ({ partition, message }) => {
      const id = await idOf(message.value as Buffer);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const ctx = (message as unknown as { batchContext?: { producerId: string; producerEpoch: number } }).batchContext;
      where.set(id, [...(where.get(id) ?? []), `${partition}@${message.offset} pid ${ctx?.producerId}/${ctx?.producerEpoch}`]);
    });
    return seen;
  };

  it('the input holds every block (publication is at least once: duplicates there are allowed and reported)', async () => {
    const serde = serdes.forTopic('eth.logs.raw');
    const seen = await countCommitted('eth.logs.raw', async (value) => {
      const b: LogBatch = await serde.deserialize(value);
      return `${b.kind}:${b.block_hash}:${b.part}`;
    });
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    console.warn(`eth.logs.raw: ${seen.size} distinct block records, ${duplicated} delivered more than once`);
    expect(seen.size).toBe(stream.logBatches.length);
  });

  it('the committed erc20.transfers topic holds every transfer exactly once (no loss, no duplicate)', async () => {
    const serde = serdes.forTopic('erc20.transfers');
    const seen = await countCommitted('erc20.transfers', async (value) => {
      const t: Transfer = await serde.deserialize(value);
      return `${t.block_hash}:${t.log_index}:${t.kind}`;
    });
    const duplicates = [...seen].filter(([, n]) => n > 1);
    if (duplicates.length > 0) {
      console.error(duplicates.slice(0, 5).map(([id]) => `${id}: ${where.get(id)?.join(', ')}`));
      console.error(lifecycle('erc20-decoder').join('\n'));
    }
    expect(duplicates.length).toBe(0);
    const transfers = [...seen.keys()].filter((k) => k.endsWith(':transfer')).length;
    expect(transfers).toBe(stream.facts.transfers);
  });

  it('the committed erc20.transfers.late topic holds each late leg exactly once (no aborted attempt leaks)', async () => {
    const serde = serdes.forTopic('erc20.transfers.late');
    // A self-transfer is two legs (out and in) of one address, so it is routed late twice by address-flows-daily.
    const legs = new Map<string, number>();
    const seen = await countCommitted('erc20.transfers.late', async (value) => {
      const l: LateTransfer = await serde.deserialize(value);
      const t = l.transfer;
      const id = `${l.processor}:${t.block_hash}:${t.log_index}:${t.kind}:${l.address ?? ''}`;
      legs.set(id, l.address === null ? 1 : Number(t.from_address === l.address) + Number(t.to_address === l.address));
      return id;
    });
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].filter(([id, n]) => n !== legs.get(id)).map(([id, n]) => [id, n, where.get(id)])).toEqual([]);
  });

  it('token_metrics_daily equals the SQL recomputation', async () => {
    expect(await streamedTokenMetrics(client, 1)).toEqual(await expectedTokenMetrics(client, 1, config.prices.stalenessLimitS));
  });

  // A regression guard for ADR 0008: kafkajs leaked records of overlapping aborted transactions to read_committed
  // consumers; after a kill the aborted late-event records reached erc20_transfers_late and this equality failed.
  it('address_flows_daily equals the SQL recomputation', async () => {
    const flows = await streamedAddressFlows(client, 1);
    expect(flows.length).toBeGreaterThan(1000);
    expect(flows).toEqual(await expectedAddressFlows(client, 1));
  });
});
