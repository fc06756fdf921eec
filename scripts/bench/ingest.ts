/**
 * Benchmark: chain ingestion — replay server (mainnet-shaped synthetic blocks: 150 transactions, 400 ERC-20
 * Transfer logs each, ~517 KiB of JSON-RPC answers) → block source (fetch, normalise, Avro in worker threads,
 * reorg check, Kafka transactions, LMDB checkpoint) → raw sinks → ClickHouse raw tables.
 *
 *   ORACUL_BENCH_PORT_OFFSET=1300 npx tsx scripts/bench/ingest.ts [--blocks 2000] [--batch-size 25]
 *     [--concurrency 8] [--workers 0,1] [--tx-blocks 200] [--sink-wait-ms 1000] [--latency-ms 0]
 *     [--scenarios baseline,floor,insert-baseline,source,e2e,e2e-split] [--external]
 *
 * Scenarios, each on a fresh block range of the same server, in one run (ratios are what a noisy machine keeps):
 * - baseline: the irreducible part of the source's work — the same JSON-RPC batch requests (eth_getBlockByNumber
 *   with transactions + eth_getBlockReceipts, `--batch-size` blocks per request, `--concurrency` batches in flight),
 *   fetched and JSON.parse'd, nothing else;
 * - insert-baseline: the irreducible part of end-to-end work, paired with e2e — the same fetch + JSON.parse, and each
 *   block's rows (normalised and mapped to raw-table rows in this process) inserted straight into the raw tables as
 *   RowBinary, `ingest.sinkMaxRows` rows per INSERT, one INSERT in flight per table as the sinks batch; no Kafka, no
 *   Avro. Checked in ClickHouse with FINAL like e2e;
 * - floor: the irreducible part of end-to-end work, paired with e2e — the same fetch + JSON.parse, then the same
 *   raw-table rows (every column, the values the production path gives them) written straight from the parsed JSON
 *   into RowBinary by `ingest-floor.ts` (no normalised records, no row objects; ingest-floor.test.ts proves the bytes
 *   equal to normalize → rows → row encoder on recorded mainnet and synthetic blocks), inserted with the same
 *   `ingest.sinkMaxRows` INSERT sizes, one in flight per table, and checked with FINAL like e2e;
 * - source: `runBlockSource` backfill into Kafka (committed);
 * - e2e: the source and the three raw sinks at once, in this one process and on one JS thread (the source's prepare
 *   workers aside) as deployed: `oracul start` (compose/k8s `ingest`) runs the block source and the raw sinks in one
 *   process (scripts/platform/start-platform.ts; `oracul worker --sinks` runs the derived sinks, not these). The clock
 *   stops when the sinks have committed everything, then every block, transaction and log is checked in ClickHouse
 *   with FINAL; `sink_inserts` counts the INSERTs per table;
 * - e2e-split: the same with the raw sinks in their own process (ingest-sinks-child.ts), as a backfill runs them
 *   (`oracul backfill` in one process, the sinks in `oracul ingest sinks` or the running `oracul start`;
 *   docs/runbooks/backfill.md): the source and the sinks no longer share a JS thread. `sinks_process` is the child's
 *   CPU in the window;
 * - sinks: `scripts/bench/sinks.ts` — the raw sinks (Kafka → RowBinary → ClickHouse) against a direct INSERT of the
 *   same RowBinary bytes (`--sink-blocks`, default 300);
 * - transfers: `scripts/bench/ingest-transfers.ts` — the transfers-only backfill into eth.logs.raw against an
 *   eth_getLogs + JSON.parse loop over the same ranges.
 * Each line prints wall time, process CPU (all threads of this process; the replay server runs in a child process,
 * the broker, registry and warehouse in theirs) and the load average. Ends with the ratios source/baseline,
 * e2e/source, e2e/insert-baseline, e2e/floor and e2e-split/floor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ClickHouseClient } from '@clickhouse/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { blockRows, createRawChainSinks, logRows, transactionRows, type SinkRow } from '../../processors/sinks/index.ts';
import { RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from '../../processors/sinks/raw-columns.ts';
import { insertRowBinary } from '../../processors/sinks/row-binary/insert-row-binary.ts';
import { createRowEncoder } from '../../processors/sinks/row-binary/row-encoder.ts';
import { blockBundleOfRpc, runBlockSource, toBlockRecords } from '../../processors/sources/index.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import { numberArg, textArg } from './args.ts';
import { processCpuSeconds, stackPids, startBenchStack } from './bench-stack.ts';
import { floorInserter } from './ingest-floor.ts';
import type { SinksChildParams } from './ingest-sinks-child.ts';
import { getLogsParseLoop, measureTransfersIngest, startSyntheticServer } from './ingest-transfers.ts';
import { measureSinks } from './sinks.ts';

const BLOCKS = numberArg('blocks', 2000);
const BATCH = numberArg('batch-size', 25);
const CONCURRENCY = numberArg('concurrency', 8);
const WORKERS = (textArg('workers') ?? '0').split(',').map(Number);
const TX_BLOCKS = numberArg('tx-blocks', 200);
const SINK_WAIT_MS = numberArg('sink-wait-ms', 1000);
const SINK_BLOCKS = numberArg('sink-blocks', 300);
const LATENCY_MS = numberArg('latency-ms', 0);
const SCENARIOS = (textArg('scenarios') ?? 'baseline,floor,insert-baseline,source,e2e').split(',');
const FIRST = 20_000_000;
const DATABASE = 'oracul_bench_ingest';

interface Measured {
  wallS: number;
  /** This process, all threads (source, its workers, sinks). */
  cpuS: number;
  /** The other processes on the same two cores: replay server, broker, registry, warehouse endpoint. */
  othersCpuS: Record<string, number>;
  load1: number;
}
/** Pids whose CPU each scenario reports beside its own (filled once the stack and the server run). */
const otherPids: Record<string, number> = {};
async function measure<T>(fn: () => Promise<T>): Promise<Measured & { value: T }> {
  const others0 = Object.entries(otherPids).map(([name, pid]) => [name, pid, processCpuSeconds(pid) ?? 0] as const);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const othersCpuS = Object.fromEntries(
    others0.map(([name, pid, before]) => [name, Number(((processCpuSeconds(pid) ?? before) - before).toFixed(2))]),
  );
  return { value, wallS, cpuS: (cpu.user + cpu.system) / 1e6, othersCpuS, load1: loadavg()[0]! };
}

type BlockSink = (block: unknown, receipts: unknown[]) => void;

/**
 * The baseline: the source's RPC requests for [from, to], fetched and parsed, `CONCURRENCY` batches in flight; each
 * parsed block and its receipts go to `onBlock` when given (the insert baseline).
 */
async function fetchAndParse(url: string, from: number, to: number, onBlock?: BlockSink): Promise<number> {
  let next = from;
  let logs = 0;
  // Its own keep-alive agent: sockets the server closed while idle between scenarios are never reused.
  const agent = new Agent({ keepAlive: true, maxSockets: 2 * CONCURRENCY });
  let retries = 0;
  // A keep-alive socket the server closes as it is reused fails with ECONNRESET: sent again, as the source's
  // RPC client does.
  const post = async (calls: { method: string; params: unknown[] }[]): Promise<{ id: number; result: unknown }[]> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await postOnce(calls);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ECONNRESET' || attempt >= 3) throw error;
        retries += 1;
      }
    }
  };
  const postOnce = (calls: { method: string; params: unknown[] }[]) =>
    new Promise<{ id: number; result: unknown }[]>((resolve, reject) => {
      const body = JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c })));
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; result: unknown }[]));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const lane = async () => {
    while (next <= to) {
      const first = next;
      const last = Math.min(first + BATCH - 1, to);
      next = last + 1;
      const numbers = Array.from({ length: last - first + 1 }, (_, i) => `0x${(first + i).toString(16)}`);
      const [blocks, receipts] = await Promise.all([
        post(numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [n, true] }))),
        post(numbers.map((n) => ({ method: 'eth_getBlockReceipts', params: [n] }))),
      ]);
      for (const r of receipts) for (const receipt of r.result as { logs: unknown[] }[]) logs += receipt.logs.length;
      if (onBlock) {
        // Batch answers may come in any order: paired by request id.
        const receiptsById = new Map(receipts.map((r) => [r.id, r.result as unknown[]]));
        for (const b of blocks) onBlock(b.result, receiptsById.get(b.id)!);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  agent.destroy();
  if (retries > 0) console.error(`baseline: ${retries} requests sent again after ECONNRESET`);
  return logs;
}

const RAW_TABLES = [
  { table: 'raw_blocks', columns: RAW_BLOCKS_COLUMNS },
  { table: 'raw_transactions', columns: RAW_TRANSACTIONS_COLUMNS },
  { table: 'raw_logs', columns: RAW_LOGS_COLUMNS },
] as const;

/**
 * The insert baseline's second half: each parsed block's rows (normalised, mapped by raw-rows.ts as the sinks' general
 * path maps them) inserted straight into the raw tables as RowBinary, `maxRows` rows per INSERT and one INSERT in
 * flight per table, as the sinks batch; no Kafka, no Avro.
 */
function directRawInserter(clickhouse: ClickHouseClient, maxRows: number): { add: BlockSink; end(): Promise<void> } {
  const tables = RAW_TABLES.map((t) => ({
    encoder: createRowEncoder(t.table, t.columns),
    rows: [] as SinkRow[],
    inflight: Promise.resolve(),
  }));
  const flush = (t: (typeof tables)[number]) => {
    const rows = t.rows;
    t.rows = [];
    t.inflight = t.inflight.then(() => insertRowBinary(clickhouse, t.encoder, [rows]));
    // Seen by end(); a failure must not also surface as an unhandled rejection before that.
    t.inflight.catch(() => undefined);
  };
  return {
    add(json, receiptsJson) {
      const records = toBlockRecords(blockBundleOfRpc(json, receiptsJson, 1), 1, Date.now());
      tables[0]!.rows.push(...blockRows(records.block));
      for (const r of records.transactions) tables[1]!.rows.push(...transactionRows(r));
      for (const r of records.logs) tables[2]!.rows.push(...logRows(r));
      for (const t of tables) if (t.rows.length >= maxRows) flush(t);
    },
    async end() {
      for (const t of tables) if (t.rows.length > 0) flush(t);
      await Promise.all(tables.map((t) => t.inflight));
    },
  };
}

interface SinksChild {
  child: ChildProcess;
  /** Tells the child the source is done; resolves with what its sinks consumed once they caught up and stopped. */
  finish(): Promise<{ records: number; inserts: string; cpuS: number }>;
}

/** The raw sinks in their own process (ingest-sinks-child.ts), consuming once this resolves. */
async function startSinksChild(config: unknown, params: SinksChildParams): Promise<SinksChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/ingest-sinks-child.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ORACUL_BENCH_SINKS_CONFIG: JSON.stringify(config),
      ORACUL_BENCH_SINKS_PARAMS: JSON.stringify(params),
    },
  });
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`sinks child exited with ${code}`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(line);
      });
    });
  await nextLine();
  return {
    child,
    async finish() {
      const result = nextLine();
      child.stdin!.end('{"wait":true}\n');
      return JSON.parse(await result) as { records: number; inserts: string; cpuS: number };
    },
  };
}

/** Blocks, transactions and logs of [from, to] in the raw tables (FINAL: each once). */
async function landedRows(
  clickhouse: ClickHouseClient,
  from: number,
  to: number,
): Promise<{ blocks: number; txs: number; logs: number }> {
  const rs = await clickhouse.query({
    query: `SELECT
        (SELECT count() FROM raw_blocks FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS blocks,
        (SELECT count() FROM raw_transactions FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS txs,
        (SELECT count() FROM raw_logs FINAL WHERE block_number BETWEEN {f:UInt64} AND {t:UInt64}) AS logs`,
    query_params: { f: from, t: to },
    format: 'JSONEachRow',
  });
  const [c] = await rs.json<{ blocks: string; txs: string; logs: string }>();
  return { blocks: Number(c!.blocks), txs: Number(c!.txs), logs: Number(c!.logs) };
}

const stack = await startBenchStack(['kafka', 'registry', 'warehouse'], {
  clickhouse: { database: DATABASE },
  chains: [{ name: 'mainnet', chainId: 1, confirmations: 0, rpcUrls: [] }],
  ingest: { progressIntervalS: 5, rpcInitialRps: 2_000, rpcMaxRps: 20_000, rpcMinRps: 200, rpcMaxInFlight: 16 },
});
const { common, config } = stack;
const stateRoot = mkdtempSync(join(tmpdir(), 'oracul-bench-ingest-'));
const results: Record<string, unknown>[] = [];
let server: { url: string; child: ChildProcess } | undefined;
try {
  const admin = createWarehouseClient({ config, withoutDatabase: true });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
  await migrate({ client: admin, database: DATABASE, logger: common.logger });
  await admin.close();
  await ensureDeclaredTopics({ config, logger: common.logger });
  const serdes = createSchemaRegistrySerdes({ config });
  const clickhouse = createWarehouseClient({ config });
  const kafkaAdmin = createKafka({ config, logger: common.logger, clientSuffix: 'bench-admin' }).admin();
  await kafkaAdmin.connect();
  Object.assign(otherPids, await stackPids(config, ['kafka', 'registry', 'warehouse']));
  // A fresh server per scenario: a long-lived one got slower from one scenario to the next (its CPU per block grew
  // several-fold after a few thousand blocks), which a ratio between scenarios must not measure.
  const freshServer = async () => {
    server?.child.kill('SIGTERM');
    // Few blocks kept as objects (the standalone server keeps its answers as text): a large object cache is mostly
    // garbage-collector work that the scenarios would measure.
    server = await startSyntheticServer(FIRST, 1_000_000, { latencyMs: LATENCY_MS, cacheBlocks: 64 });
    otherPids.rpc_server = server.child.pid!;
  };
  // A fresh range per scenario (the synthetic chain serves FIRST … FIRST + 999 999): neither the server's cache
  // nor earlier runs' records in the topics overlap with it.
  let next = FIRST + Math.floor(Math.random() * 400) * 2000;
  const freshRange = () => {
    const from = next;
    next += BLOCKS;
    return { from, to: from + BLOCKS - 1 };
  };
  const record = (row: Record<string, unknown>) => {
    results.push(row);
    console.log(JSON.stringify(row));
  };
  const common_ = (scenario: string, m: Measured, logs: number) => {
    const othersS = Object.values(m.othersCpuS).reduce((a, b) => a + b, 0);
    return {
      scenario,
      blocks: BLOCKS,
      wall_s: Number(m.wallS.toFixed(2)),
      cpu_s: Number(m.cpuS.toFixed(2)),
      load1: Number(m.load1.toFixed(2)),
      blocks_per_s: Math.round(BLOCKS / m.wallS),
      logs_per_s: Math.round(logs / m.wallS),
      /** CPU per block of every process of the benchmark (this one, server, broker, registry, warehouse). */
      cpu_ms_per_block: Number(((1000 * (m.cpuS + othersS)) / BLOCKS).toFixed(2)),
      others_cpu_s: m.othersCpuS,
    };
  };

  for (const workers of WORKERS) {
    for (const scenario of SCENARIOS) {
      const { from, to } = freshRange();
      if (scenario === 'sinks') {
        const r = await measureSinks({ common, serdes, blocks: SINK_BLOCKS, json: false, log: () => undefined });
        record({
          scenario,
          blocks: SINK_BLOCKS,
          rows: r.rows.total,
          sinks_rows_per_s: r.sinks.rowsPerS,
          sinks_wall_s: Number((r.sinks.wallMs / 1000).toFixed(2)),
          sinks_cpu_s: Number((r.sinks.cpuMs / 1000).toFixed(2)),
          direct_rows_per_s: r.direct.rowsPerS,
          ratio: r.ratio,
          load1: Number(loadavg()[0]!.toFixed(2)),
        });
        continue;
      }
      if (scenario === 'transfers') {
        const transfersServer = await startSyntheticServer(from, BLOCKS);
        try {
          await getLogsParseLoop(transfersServer.url, from, to, 25, 4); // untimed: the server generates and caches
          const r = await measureTransfersIngest({
            common,
            serdes,
            url: transfersServer.url,
            from,
            to,
            stateDir: join(stateRoot, `transfers-${from}`),
          });
          record({
            scenario,
            blocks: BLOCKS,
            wall_s: r.source.wallS,
            cpu_s: r.source.cpuS,
            load1: Number(r.source.load[0]!.toFixed(2)),
            logs_per_s: r.source.logsPerS,
            blocks_per_s: r.source.blocksPerS,
            baseline_logs_per_s: r.baseline.logsPerS,
            ratio: r.ratio,
          });
        } finally {
          transfersServer.child.kill('SIGTERM');
        }
        continue;
      }
      await freshServer();
      if (scenario === 'baseline') {
        const m = await measure(() => fetchAndParse(server!.url, from, to));
        record({ ...common_('baseline', m, m.value), concurrency: CONCURRENCY, batch: BATCH });
        continue;
      }
      if (scenario === 'insert-baseline' || scenario === 'floor') {
        const m = await measure(async () => {
          const inserter =
            scenario === 'floor'
              ? floorInserter(clickhouse, config.ingest.sinkMaxRows)
              : directRawInserter(clickhouse, config.ingest.sinkMaxRows);
          const logs = await fetchAndParse(server!.url, from, to, inserter.add);
          await inserter.end();
          return logs;
        });
        const c = await landedRows(clickhouse, from, to);
        if (c.blocks !== BLOCKS || c.logs !== m.value) throw new Error(`${scenario} landed ${JSON.stringify(c)}`);
        record({
          ...common_(scenario, m, m.value),
          concurrency: CONCURRENCY,
          batch: BATCH,
          landed_blocks_txs_logs: `${c.blocks}/${c.txs}/${c.logs}`,
        });
        continue;
      }
      const split = scenario === 'e2e-split';
      const sinkParams = { groupPrefix: `bench-ingest-${from}`, maxRows: config.ingest.sinkMaxRows, maxWaitMs: SINK_WAIT_MS };
      // e2e-split: made here only for their group ids and topics; the child process makes and runs its own.
      const sinks =
        scenario === 'e2e' || split
          ? createRawChainSinks(common, {
              serdes,
              groupPrefix: sinkParams.groupPrefix,
              batch: { maxRows: sinkParams.maxRows, maxWaitMs: sinkParams.maxWaitMs },
            })
          : [];
      // The bench's broker keeps earlier runs' records: each sink group starts at the topic's current end, so it reads
      // this scenario's blocks and nothing else (a new group would otherwise read the whole topic from the beginning).
      // (kafkajs' resetOffsets writes -1, which a consumer with fromBeginning reads as "earliest": set real offsets.)
      for (const sink of sinks) {
        const ends = await kafkaAdmin.fetchTopicOffsets(sink.topic);
        await kafkaAdmin.setOffsets({
          groupId: sink.groupId,
          topic: sink.topic,
          partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
        });
      }
      const child = split ? await startSinksChild(config, sinkParams) : undefined;
      if (!split) for (const sink of sinks) await sink.start();
      let sourceS = 0;
      let childResult: { records: number; inserts: string; cpuS: number } | undefined;
      const m = await measure(async () => {
        const started = performance.now();
        const summary = await runBlockSource(
          common,
          {
            serdes,
            rpcUrls: [server!.url],
            stateDir: join(stateRoot, String(from)),
            ingest: { batchSize: BATCH, concurrency: CONCURRENCY, fetchWorkers: workers, transactionMaxBlocks: TX_BLOCKS },
          },
          { from, to },
        );
        sourceS = (performance.now() - started) / 1000;
        if (child) childResult = await child.finish();
        else for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 600_000, pollMs: 100 });
        return summary;
      });
      const summary = m.value;
      let landed: string | null = null;
      const sinkRecords = childResult?.records ?? sinks.reduce((n, sink) => n + sink.stats().records, 0);
      if (childResult) m.othersCpuS.sinks_process = Number(childResult.cpuS.toFixed(2));
      if (sinks.length > 0) {
        if (!split) for (const sink of sinks) await sink.stop();
        const c = await landedRows(clickhouse, from, to);
        landed = `${c.blocks}/${c.txs}/${c.logs}`;
        if (c.blocks !== BLOCKS || c.txs !== summary.transactions || c.logs !== summary.logs) {
          throw new Error(`landed ${landed}, expected ${BLOCKS}/${summary.transactions}/${summary.logs}`);
        }
      }
      record({
        ...common_(scenario, m, summary.logs),
        workers,
        concurrency: CONCURRENCY,
        batch: BATCH,
        tx_blocks: TX_BLOCKS,
        source_s: Number(sourceS.toFixed(2)),
        rpc_calls: summary.rpcCalls,
        rpc_retries: summary.rpcRetries,
        landed_blocks_txs_logs: landed,
        sink_records: sinks.length > 0 ? sinkRecords : null,
        /** INSERTs per table (blocks/transactions/logs): each one is fixed work for the warehouse. */
        sink_inserts: childResult?.inserts ?? (sinks.length > 0 ? sinks.map((sink) => sink.stats().batches).join('/') : null),
        ...summary.timings,
      });
    }
  }
  await clickhouse.close();
  await kafkaAdmin.disconnect();
} finally {
  server?.child.kill('SIGTERM');
  rmSync(stateRoot, { recursive: true, force: true });
  await stack.stop();
}
console.table(results);
const rate = (scenario: string) => results.find((r) => r.scenario === scenario)?.blocks_per_s as number | undefined;
const ratio = (a: string, b: string) => {
  const x = rate(a);
  const y = rate(b);
  return x !== undefined && y !== undefined ? `${((100 * x) / y).toFixed(0)} %` : 'n/a';
};
console.log(`source / baseline (fetch + JSON.parse): ${ratio('source', 'baseline')}   e2e / source: ${ratio('e2e', 'source')}`);
console.log(`e2e / insert-baseline (fetch + JSON.parse + rows inserted straight, RowBinary): ${ratio('e2e', 'insert-baseline')}`);
console.log(
  `e2e-split (sinks in their own process) / floor: ${ratio('e2e-split', 'floor')}   e2e-split / source: ${ratio('e2e-split', 'source')}`,
);
console.log(
  `e2e / floor (fetch + JSON.parse + the same rows written from the JSON into RowBinary and inserted): ${ratio('e2e', 'floor')}` +
    `   insert-baseline / floor: ${ratio('insert-baseline', 'floor')}`,
);
for (const r of results.filter((x) => x.ratio !== undefined))
  console.log(`${String(r.scenario)}: ratio to its paired baseline ${String(r.ratio)}`);
console.log(`peak RSS of the bench process (source, workers, sinks): ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
