import type { OraculConfig } from '../../config/schema.ts';
import { deepMerge } from '../../config/load.ts';
import { loadConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import type { Admin, Kafka } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { stackDown, stackPaths, stackUp, type ComponentName } from '../../infra/stack/index.ts';
import { readPidRecord } from '../../infra/stack/process-control.ts';
import { createTestDriver } from '../../processors/engine/testDriver.ts';
import { createErc20DecoderProcessor } from '../../processors/erc20/erc20-decoder.ts';
import { generateSyntheticStream } from '../../processors/engine/testing/syntheticTransferStream.ts';
import { chunkBySize } from '../../processors/engine/streamTask.ts';
import type { Serdes, TransferBatch } from '../../schemas/index.ts';
import type { TopicName } from '../../schemas/topics.ts';

/**
 * The stack a benchmark runs on: its own ports (test ports + ORACUL_BENCH_PORT_OFFSET, default 700) and state dir,
 * started here and stopped at the end, so a benchmark never touches a developer's stack or a test run.
 * `--external` uses the configured endpoints instead (a real cluster).
 */
export interface BenchStack {
  readonly common: Common;
  readonly config: OraculConfig;
  stop(): Promise<void>;
}

export async function startBenchStack(
  components: readonly ComponentName[],
  overrides: Record<string, unknown> = {},
): Promise<BenchStack> {
  const external = process.argv.includes('--external');
  const offset = Number.parseInt(process.env.ORACUL_BENCH_PORT_OFFSET ?? '700', 10);
  const host = '127.0.0.1';
  const local = {
    env: 'test',
    logLevel: 'warn',
    stack: {
      stateDir: `.infra/bench-state-${offset}`,
      kafka: { port: 19092 + offset, controllerPort: 19093 + offset },
      registry: { port: 18081 + offset, managementPort: 19001 + offset },
      warehouse: { port: 18123 + offset },
    },
    kafka: { brokers: [`${host}:${19092 + offset}`], schemaRegistryUrl: `http://${host}:${18081 + offset}/apis/ccompat/v7` },
    clickhouse: { url: `http://${host}:${18123 + offset}` },
  };
  const config = loadConfig({ overrides: deepMerge(external ? {} : local, overrides) });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  if (!external) await stackUp(common, { components: [...components] });
  return {
    common,
    config,
    async stop() {
      if (!external) await stackDown(common, { components: [...components] });
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null where unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}
/** Linux's USER_HZ, what /proc/<pid>/stat counts in on every common architecture. */
const CLOCK_TICKS_PER_S = 100;

/** Pids of the bench stack's services (Kafka, registry, warehouse endpoint), from their pid files. */
export async function stackPids(config: OraculConfig, components: readonly ComponentName[]): Promise<Record<string, number>> {
  const paths = stackPaths(config);
  const out: Record<string, number> = {};
  for (const component of components) {
    const record = await readPidRecord(paths.pidFile(component));
    if (record) out[component] = record.pid;
  }
  return out;
}

/** Peak resident set size of a process (VmHWM), in MiB; null when /proc is unavailable. */
export async function peakRssMiB(pid: number = process.pid): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Deletes the topics that earlier runs of a benchmark left on its broker: their changelogs and bare-loop outputs are
 * named after the run's app id (`<prefix><time>-…`), and the bench's state dir is kept between runs, so without this
 * every mainnet-sized day left ~10 GB behind (74 GB had piled up by 2026-12-07 and filled the disk).
 */
export async function deleteEarlierRunTopics(admin: Admin, prefix: string): Promise<void> {
  const stale = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  if (stale.length > 0) await admin.deleteTopics({ topics: stale, timeout: 60_000 });
}

/** What the set-up produced: transfers, address legs, batch records of both hops (the stages' input), prices. */
export interface SyntheticTransfers {
  readonly transfers: number;
  readonly legs: number;
  readonly inputRecords: number;
  readonly prices: number;
}

/**
 * Untimed set-up of the stream benchmarks: a synthetic multi-day chain decoded by the real decoder, and what it
 * publishes (`erc20.transfers`, the batches of both internal hops) and the prices produced to their topics in
 * committed transactions of 10,000 records.
 */
export async function produceSyntheticTransfers(params: {
  kafka: Kafka;
  serdes: Serdes;
  appId: string;
  seed: number;
  days: number;
  blocksPerDay: number;
  transfersPerBlock: number;
  /** The chain's address pool (default 100 000). */
  addresses?: number;
}): Promise<SyntheticTransfers> {
  const stream = generateSyntheticStream({
    seed: params.seed,
    days: params.days,
    blocksPerDay: params.blocksPerDay,
    transfersPerBlock: params.transfersPerBlock,
    addresses: params.addresses ?? 100_000,
  });
  const decoder = createTestDriver(createErc20DecoderProcessor(), { verifySerde: false });
  for (const token of stream.tokens) decoder.pipe({ kind: 'token', token });
  const records = new Map<TopicName, { key: string; value: unknown }[]>([
    ['erc20.transfers', []],
    ['erc20.transfer-batches.by-token', []],
    ['erc20.transfer-batches.by-address', []],
    ['market.prices.raw', stream.prices.map((p) => ({ key: `${p.chain_id}:${p.token_address}`, value: p }))],
  ]);
  for (const batch of stream.logBatches) {
    for (const out of decoder.pipe({ kind: 'logs', batch }))
      records.get(out.topic as TopicName)?.push({ key: out.key, value: out.value });
    decoder.drainOutputs();
  }
  const producer = params.kafka.producer({ transactionalId: `${params.appId}-setup`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const topics = [
    'market.prices.raw',
    'erc20.transfers',
    'erc20.transfer-batches.by-token',
    'erc20.transfer-batches.by-address',
  ] as const;
  for (const topic of topics) {
    const list = records.get(topic) ?? [];
    const serde = params.serdes.forTopic(topic);
    for (let i = 0; i < list.length; i += 10_000) {
      const txn = await producer.transaction();
      const chunk = list.slice(i, i + 10_000);
      const messages = await Promise.all(
        chunk.map(async (r) => ({ key: r.key, value: await serde.serialize(r.value as never) })),
      );
      // Requests under the broker's message.max.bytes: batch records of big blocks are tens of KB each.
      for (const request of chunkBySize(new Map([[topic, messages]]), 512 * 1024))
        await txn.sendBatch({ topicMessages: request });
      await txn.commit();
    }
  }
  await producer.disconnect();
  const byToken = records.get('erc20.transfer-batches.by-token') ?? [];
  const byAddress = records.get('erc20.transfer-batches.by-address') ?? [];
  const legsOf = (value: unknown): number => (value as TransferBatch).legs.reduce((n, legs) => n + (legs === 'both' ? 2 : 1), 0);
  return {
    transfers: records.get('erc20.transfers')?.length ?? 0,
    legs: byAddress.reduce((n, r) => n + legsOf(r.value), 0),
    inputRecords: byToken.length + byAddress.length,
    prices: stream.prices.length,
  };
}
