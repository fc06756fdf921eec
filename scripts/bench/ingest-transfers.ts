/**
 * Benchmark: the transfers-only backfill — replay server (synthetic mainnet-shaped blocks: 400 ERC-20 Transfer
 * logs each, served from a child process, the other core) → eth_getLogs over adaptive ranges + batched headers →
 * checks → Avro → eth.logs.raw / eth.blocks.raw in committed Kafka transactions → LMDB checkpoint.
 *
 *   ORACUL_BENCH_PORT_OFFSET=700 npx tsx scripts/bench/ingest-transfers.ts [--blocks 1000] [--concurrency 4]
 *     [--max-range 2000] [--target-logs 5000] [--compression gzip] [--publishers 1] [--external]
 *
 * Paired baseline in the same run, same server, same ranges: an eth_getLogs fetch + JSON.parse-only loop (no
 * headers, no checks, no Kafka). Both passes run over a range the server has already served once (untimed warm-up),
 * so neither pays for block generation. A third pass runs the source's fetches, checks and Avro encoding without
 * Kafka (where the time goes when the broker is the limit). Prints wall time, process CPU (process.cpuUsage():
 * every thread of this process), os.loadavg(), Transfer logs/s, blocks/s and the ratio source / baseline.
 *
 * `measureTransfersIngest` is exported so scripts/bench/ingest.ts can run it as one of its scenarios.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Common } from '../../core/common.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createRpcClient } from '../../processors/sources/rpc/rpc-client.ts';
import {
  createRangeSizer,
  createTransfersFetcher,
  runTransfersBackfill,
  toTransferBlockRecords,
  TRANSFER_TOPIC0,
  type TransfersSummary,
} from '../../processors/sources/transfers/index.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import { startBenchStack } from './bench-stack.ts';
import { spawnListeningScript } from './listening-script.ts';

export interface PassFigures {
  wallS: number;
  /** User + system CPU of this process (all threads) during the pass. */
  cpuS: number;
  logs: number;
  blocks: number;
  logsPerS: number;
  blocksPerS: number;
  /** os.loadavg() (1, 5, 15 min) at the end of the pass. */
  load: number[];
}

export interface TransfersBenchResult {
  from: number;
  to: number;
  concurrency: number;
  source: PassFigures & { summary: TransfersSummary };
  baseline: PassFigures & { rangeBlocks: number };
  /** The source without Kafka: the same fetches, checks and records, Avro-encoded, nothing sent. */
  fetchEncode: PassFigures;
  /** source logs/s ÷ baseline logs/s. */
  ratio: number;
}

export interface MeasureTransfersIngestParameters {
  common: Common;
  serdes: Serdes;
  /** Replay server URL (synthetic chain covering [from, to]). */
  url: string;
  from: number;
  to: number;
  concurrency?: number;
  maxRange?: number;
  targetLogs?: number;
  /** LMDB dir of the source run (fresh: a reused dir resumes instead of measuring). */
  stateDir: string;
  compression?: 'none' | 'gzip';
  /** Kafka transactions in flight (TransfersBackfillOptions.publishers). */
  publishers?: number;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

const figures = (wallS: number, cpuS: number, logs: number, blocks: number): PassFigures => ({
  wallS: round(wallS),
  cpuS: round(cpuS),
  logs,
  blocks,
  logsPerS: Math.round(logs / wallS),
  blocksPerS: Math.round(blocks / wallS),
  load: loadavg().map(round),
});
const round = (x: number): number => Math.round(x * 100) / 100;

/** The floor: eth_getLogs (Transfer topic) over fixed ranges, `concurrency` in flight, JSON.parse of each answer. */
export async function getLogsParseLoop(
  url: string,
  from: number,
  to: number,
  rangeBlocks: number,
  concurrency: number,
): Promise<number> {
  let next = from;
  let logs = 0;
  let id = 0;
  const worker = async (): Promise<void> => {
    while (next <= to) {
      const a = next;
      const b = Math.min(to, a + rangeBlocks - 1);
      next = b + 1;
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: ++id,
        method: 'eth_getLogs',
        params: [{ fromBlock: `0x${a.toString(16)}`, toBlock: `0x${b.toString(16)}`, topics: [TRANSFER_TOPIC0] }],
      });
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = JSON.parse(await response.text()) as { result?: unknown[] };
      if (!Array.isArray(json.result)) throw new Error(`eth_getLogs ${a}..${b}: no result`);
      logs += json.result.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return logs;
}

/** The source's RPC half and Avro encoding, without Kafka: where the time goes when the broker is the limit. */
async function fetchEncodeLoop(
  params: MeasureTransfersIngestParameters,
  rangeBlocks: number,
  concurrency: number,
): Promise<{ logs: number; blocks: number }> {
  const rpc = createRpcClient({
    chain: 'bench',
    endpoints: [params.url],
    defaults: { maxBatchSize: 50, maxConcurrency: 16, rate: { initialRps: 5_000, maxRps: 50_000, minRps: 500 } },
  });
  const fetcher = createTransfersFetcher({
    rpc,
    chainId: 1,
    sizer: createRangeSizer({ initial: rangeBlocks, max: rangeBlocks }),
  });
  const blocksSerde = params.serdes.forTopic('eth.blocks.raw');
  const logsSerde = params.serdes.forTopic('eth.logs.raw');
  let next = params.from;
  let logs = 0;
  let blocks = 0;
  const worker = async (): Promise<void> => {
    while (next <= params.to) {
      const a = next;
      const b = Math.min(params.to, a + rangeBlocks - 1);
      next = b + 1;
      for (const block of await fetcher.fetchRange(a, b)) {
        const records = toTransferBlockRecords(block, 1, 1);
        await blocksSerde.serialize(records.block);
        for (const batch of records.logs) await logsSerde.serialize(batch);
        logs += block.logs.length;
        blocks += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return { logs, blocks };
}

/**
 * One paired measurement over [from, to]: the baseline loop, then the transfers-only backfill into Kafka
 * (committed). The caller warms the server's caches first (e.g. one untimed baseline pass).
 */
export async function measureTransfersIngest(params: MeasureTransfersIngestParameters): Promise<TransfersBenchResult> {
  const { from, to } = params;
  const concurrency = params.concurrency ?? 4;
  const blocks = to - from + 1;

  // The baseline fetches the ranges the source settles on for this density (target logs per answer).
  const rangeBlocks = Math.max(1, Math.min(params.maxRange ?? 2_000, Math.floor((params.targetLogs ?? 5_000) / 400)));
  let cpu = process.cpuUsage();
  let t0 = performance.now();
  const baselineLogs = await getLogsParseLoop(params.url, from, to, rangeBlocks, concurrency);
  const baseline = { ...figures((performance.now() - t0) / 1000, cpuSeconds(cpu), baselineLogs, blocks), rangeBlocks };

  cpu = process.cpuUsage();
  t0 = performance.now();
  const encoded = await fetchEncodeLoop(params, rangeBlocks, concurrency);
  const fetchEncode = figures((performance.now() - t0) / 1000, cpuSeconds(cpu), encoded.logs, encoded.blocks);

  cpu = process.cpuUsage();
  t0 = performance.now();
  const summary = await runTransfersBackfill(
    params.common,
    {
      serdes: params.serdes,
      rpcUrls: [params.url],
      stateDir: params.stateDir,
      ...(params.publishers ? { publishers: params.publishers } : {}),
      ingest: { concurrency, ...(params.compression ? { compression: params.compression } : {}) },
      range: {
        initial: rangeBlocks,
        ...(params.maxRange ? { max: params.maxRange } : {}),
        ...(params.targetLogs ? { targetLogs: params.targetLogs } : {}),
      },
    },
    { from, to },
  );
  const source = { ...figures((performance.now() - t0) / 1000, cpuSeconds(cpu), summary.logs, summary.blocks), summary };
  if (summary.blocks !== blocks || summary.logs !== baselineLogs)
    throw new Error(`source published ${summary.blocks} blocks / ${summary.logs} logs, expected ${blocks} / ${baselineLogs}`);
  return { from, to, concurrency, source, baseline, fetchEncode, ratio: round(source.logsPerS / baseline.logsPerS) };
}

/** The replay server over the synthetic chain in a child process (the other core); the ingestion benchmarks share it. */
export async function startSyntheticServer(
  first: number,
  count: number,
  options: { latencyMs?: number; cacheBlocks?: number } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const args = ['--synthetic', '--first', String(first), '--count', String(count)];
  if (options.latencyMs) args.push('--latency-ms', String(options.latencyMs));
  if (options.cacheBlocks !== undefined) args.push('--cache-blocks', String(options.cacheBlocks));
  return spawnListeningScript('scripts/test/rpc-replay-server.ts', args);
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: string): string => {
    const i = process.argv.indexOf(name);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
  };
  const BLOCKS = Number(arg('--blocks', '1000'));
  const CONCURRENCY = Number(arg('--concurrency', '4'));
  const MAX_RANGE = Number(arg('--max-range', '2000'));
  const TARGET_LOGS = Number(arg('--target-logs', '5000'));
  const COMPRESSION = arg('--compression', 'none') as 'none' | 'gzip';
  const PUBLISHERS = Number(arg('--publishers', '1'));
  const FIRST = 20_000_000;

  const stack = await startBenchStack(['kafka', 'registry'], {
    chains: [{ name: 'mainnet', chainId: 1, confirmations: 0, rpcUrls: [] }],
    ingest: { progressIntervalS: 5, rpcInitialRps: 5_000, rpcMaxRps: 50_000, rpcMinRps: 500, rpcMaxInFlight: 16 },
  });
  const stateRoot = mkdtempSync(join(tmpdir(), 'oracul-bench-transfers-'));
  let server: ChildProcess | undefined;
  try {
    await ensureDeclaredTopics({ config: stack.config, logger: stack.common.logger });
    const serdes = createSchemaRegistrySerdes({ config: stack.config });
    await serdes.registerAll();
    // The server caches 4 096 generated blocks: the measured range fits, so both passes read warm caches.
    const started = await startSyntheticServer(FIRST, 1_000_000);
    server = started.child;
    // A fresh range per run: earlier runs' records in the topics never overlap with this one.
    const from = FIRST + Math.floor(Math.random() * 900) * 1_000;
    const to = from + BLOCKS - 1;
    await getLogsParseLoop(started.url, from, to, 25, CONCURRENCY); // warm-up (untimed): generate and cache the blocks
    const result = await measureTransfersIngest({
      common: stack.common,
      serdes,
      url: started.url,
      from,
      to,
      concurrency: CONCURRENCY,
      maxRange: MAX_RANGE,
      targetLogs: TARGET_LOGS,
      stateDir: join(stateRoot, 'source'),
      compression: COMPRESSION,
      publishers: PUBLISHERS,
    });
    const { source, baseline, fetchEncode } = result;
    console.log(
      JSON.stringify({
        blocks: BLOCKS,
        from,
        to,
        concurrency: CONCURRENCY,
        compression: COMPRESSION,
        publishers: PUBLISHERS,
        range_blocks_end: source.summary.rangeSize,
        kafka_transactions: source.summary.kafkaTransactions,
        timings_ms: source.summary.timings,
      }),
    );
    console.table({
      'transfers-only → Kafka (committed)': row(source),
      'baseline: eth_getLogs + JSON.parse': row(baseline),
      'source without Kafka (fetch, check, Avro)': row(fetchEncode),
    });
    console.log(
      `transfers-only: ${source.logsPerS} Transfer logs/s, ${source.blocksPerS} blocks/s (wall ${source.wallS} s, CPU ${source.cpuS} s); ` +
        `baseline ${baseline.logsPerS} logs/s (wall ${baseline.wallS} s, CPU ${baseline.cpuS} s); ratio ${result.ratio}; ` +
        `without Kafka ${fetchEncode.logsPerS} logs/s (ratio ${round(fetchEncode.logsPerS / baseline.logsPerS)}); ` +
        `loadavg ${source.load.join(' ')}; target ≥ 100000 logs/s: ${source.logsPerS >= 100_000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    server?.kill('SIGTERM');
    rmSync(stateRoot, { recursive: true, force: true });
    await stack.stop();
  }
}

const row = (p: PassFigures) => ({
  wall_s: p.wallS,
  cpu_s: p.cpuS,
  logs: p.logs,
  blocks: p.blocks,
  logs_per_s: p.logsPerS,
  blocks_per_s: p.blocksPerS,
  load_1_5_15: p.load.join(' '),
});

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
