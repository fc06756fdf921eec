/**
 * Benchmark: chain ingestion end to end — replay server (mainnet-shaped synthetic blocks: 150
 * transactions, 400 ERC-20 Transfer logs each) → block source (fetch, normalise, reorg check, Avro,
 * one Kafka transaction per batch, LMDB checkpoint) → raw sinks → ClickHouse raw tables.
 *
 *   ORACUL_BENCH_PORT_OFFSET=1300 npx tsx scripts/bench/ingest.ts [--blocks 400] [--slow-blocks 200]
 *     [--concurrency 1,4,8] [--batch-size 25] [--scenarios source,e2e] [--external]
 *
 * 1. Starts a stack of its own (scripts/bench/benchStack.ts: ports = test ports + ORACUL_BENCH_PORT_OFFSET),
 *    migrates database `oracul_bench_ingest`, ensures the topics.
 * 2. Starts two replay servers in child processes (the other core): 0 ms and 50 ms added latency per HTTP request.
 * 3. Per latency and concurrency, on a fresh block range:
 *    - source: `runBlockSource` backfill into Kafka (blocks/s, logs/s);
 *    - e2e: the source and the three raw sinks run at the same time; the clock stops when the sinks have
 *      committed everything (blocks/s and logs/s landed in ClickHouse), then row counts are checked with FINAL.
 * 4. Prints one table and the peak RSS of this process (the source and sinks share it; the servers do not count).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { createRawChainSinks } from '../../processors/sinks/index.ts';
import { runBlockSource } from '../../processors/sources/index.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import { startBenchStack } from './benchStack.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const BLOCKS = Number(arg('--blocks', '400'));
const SLOW_BLOCKS = Number(arg('--slow-blocks', '200'));
const CONCURRENCY = arg('--concurrency', '1,4,8').split(',').map(Number);
const BATCH = Number(arg('--batch-size', '25'));
const SCENARIOS = arg('--scenarios', 'source,e2e').split(',');
const COMPRESSION = arg('--compression', 'none') as 'none' | 'gzip';
const FIRST = 20_000_000;
const DATABASE = 'oracul_bench_ingest';

async function startServer(latencyMs: number): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    '--import',
    'tsx',
    'scripts/test/rpc-replay-server.ts',
    '--synthetic',
    '--first',
    String(FIRST),
    '--count',
    '1000000',
  ];
  if (latencyMs > 0) args.push('--latency-ms', String(latencyMs));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`replay server exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

const stack = await startBenchStack(['kafka', 'registry', 'warehouse'], {
  clickhouse: { database: DATABASE },
  chains: [{ name: 'mainnet', chainId: 1, confirmations: 0, rpcUrls: [] }],
  ingest: { progressIntervalS: 5, rpcInitialRps: 2_000, rpcMaxRps: 20_000, rpcMinRps: 200, rpcMaxInFlight: 16 },
});
const { common, config } = stack;
const servers: ChildProcess[] = [];
const stateRoot = mkdtempSync(join(tmpdir(), 'oracul-bench-ingest-'));
const results: Record<string, unknown>[] = [];
try {
  const admin = createWarehouseClient({ config, withoutDatabase: true });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
  await migrate({ client: admin, database: DATABASE, logger: common.logger });
  await admin.close();
  await ensureDeclaredTopics({ config, logger: common.logger });
  const serdes = createSchemaRegistrySerdes({ config });
  const clickhouse = createWarehouseClient({ config });

  const fast = await startServer(0);
  const slow = await startServer(50);
  servers.push(fast.child, slow.child);
  // A fresh range per run (the synthetic chain serves FIRST … FIRST + 999 999): earlier runs' records in
  // the topics never overlap with this one.
  let next = FIRST + Math.floor(Math.random() * 800) * 1000;
  let run = 0;

  for (const [latencyMs, url, blocks] of [
    [0, fast.url, BLOCKS],
    [50, slow.url, SLOW_BLOCKS],
  ] as const) {
    for (const concurrency of CONCURRENCY) {
      for (const scenario of SCENARIOS) {
        run += 1;
        const from = next;
        const to = from + blocks - 1;
        next = to + 1;
        const sinks =
          scenario === 'e2e'
            ? createRawChainSinks(common, {
                serdes,
                groupPrefix: `bench-ingest-${run}-${Date.now()}`,
                batch: { maxRows: config.ingest.sinkMaxRows, maxWaitMs: 500 },
              })
            : [];
        for (const sink of sinks) await sink.start();
        const started = performance.now();
        const summary = await runBlockSource(
          common,
          {
            serdes,
            rpcUrls: [url],
            stateDir: join(stateRoot, String(run)),
            ingest: { batchSize: BATCH, concurrency, compression: COMPRESSION },
          },
          { from, to },
        );
        const sourceS = (performance.now() - started) / 1000;
        let e2eS: number | null = null;
        let landed: string | null = null;
        if (sinks.length > 0) {
          for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 600_000, pollMs: 100 });
          e2eS = (performance.now() - started) / 1000;
          for (const sink of sinks) await sink.stop();
          const rs = await clickhouse.query({
            query: `SELECT
                (SELECT count() FROM raw_blocks FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS blocks,
                (SELECT count() FROM raw_transactions FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS txs,
                (SELECT count() FROM raw_logs FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS logs`,
            query_params: { f: from, t: to },
            format: 'JSONEachRow',
          });
          const [c] = await rs.json<{ blocks: string; txs: string; logs: string }>();
          landed = `${c!.blocks}/${c!.txs}/${c!.logs}`;
          if (Number(c!.blocks) !== blocks || Number(c!.logs) !== summary.logs) {
            throw new Error(`landed ${landed}, expected ${blocks} blocks and ${summary.logs} logs`);
          }
        }
        const seconds = e2eS ?? sourceS;
        const row = {
          scenario,
          latency_ms: latencyMs,
          concurrency,
          batch: BATCH,
          compression: COMPRESSION,
          blocks,
          strategy: summary.strategy,
          source_s: Number(sourceS.toFixed(2)),
          e2e_s: e2eS === null ? null : Number(e2eS.toFixed(2)),
          blocks_per_s: Math.round(blocks / seconds),
          logs_per_s: Math.round(summary.logs / seconds),
          landed_blocks_txs_logs: landed,
          ...summary.timings,
        };
        results.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
  await clickhouse.close();
} finally {
  for (const child of servers) child.kill('SIGTERM');
  rmSync(stateRoot, { recursive: true, force: true });
  await stack.stop();
}
console.table(results);
console.log(`peak RSS of the source+sinks process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
