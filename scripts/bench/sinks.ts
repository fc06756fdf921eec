/**
 * Benchmark: the raw sinks (eth.*.raw → raw_blocks / raw_transactions / raw_logs) against a direct engine insert of
 * the same rows, in one run, on mainnet-shaped synthetic blocks (150 transactions, 400 logs each).
 *
 *   ORACUL_BENCH_PORT_OFFSET=500 npx tsx scripts/bench/sinks.ts [--blocks 300] [--repeat 3] [--no-json] [--verbose]
 *     [--external] [--no-warmup] [--max-rows 50000]
 *
 * 1. Starts a stack of its own (bench-stack.ts: ports = test ports + ORACUL_BENCH_PORT_OFFSET) and migrates three
 *    databases with identical tables: one the sinks write (RowBinary), one for the direct insert, one for the old
 *    JSONEachRow path.
 * 2. Untimed: builds the blocks (scripts/test/synthetic-chain.ts → normalise → the source's Avro records) and
 *    produces them to the raw topics in committed transactions; maps the same records to rows and encodes them as
 *    RowBinary once per table.
 * 3. Untimed unless --no-warmup: one sinks pass (JIT, first inserts into the new tables: one-time costs of a process),
 *    logged as `cold`. Timed, one after another (sinks and direct `--repeat` times, alternating, on emptied tables;
 *    the run with the median ratio is printed):
 *    - sinks: the three raw sinks read every record, decode Avro, map, encode RowBinary while inserting, commit;
 *      the clock stops when every sink's committed offsets reach the end of its topic;
 *    - direct: the RowBinary bytes of each table posted in one INSERT to the same endpoint (no Kafka, no Avro, no
 *      encoding): the engine's own speed for these rows;
 *    - json (unless --no-json): the sinks again with JSONEachRow, into the third database.
 *    Each prints wall time, process CPU (`process.cpuUsage()`: every thread of this process, not the warehouse
 *    process), the CPU of the warehouse and broker processes (/proc, when run by main()) and the load average before
 *    and after. On 2 cores the direct insert's engine has the machine to itself, the sinks share it with the engine.
 *    The records' row objects are dropped once encoded: a benchmark that kept them alive would make every garbage
 *    collection in the sinks' window mark ~150 MB of heap that a sink process does not have.
 * 4. Prints rows/s and the ratio sinks / direct.
 *
 * `measureSinks()` runs steps 2–4 on a stack that is already up (scripts/bench/ingest.ts can call it).
 */
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from '../../processors/sinks/raw-columns.ts';
import { BinaryWriter } from '../../processors/sinks/row-binary/binary-writer.ts';
import { createRowEncoder, type SinkColumn } from '../../processors/sinks/row-binary/row-encoder.ts';
import {
  blockRows,
  createRawChainSinks,
  logRows,
  transactionRows,
  type ClickHouseSink,
  type SinkRow,
} from '../../processors/sinks/index.ts';
import { blockBundleOfRpc, toBlockRecords } from '../../processors/sources/index.ts';
import { createSchemaRegistrySerdes, topicKeys, type Serdes } from '../../schemas/index.ts';
import { createSyntheticChain } from '../test/synthetic-chain.ts';
import { numberArg } from './args.ts';
import { processCpuSeconds, stackPids, startBenchStack } from './bench-stack.ts';

export interface SinkBenchParameters {
  common: Common;
  serdes: Serdes;
  /** Blocks produced and sunk (default 300: ~165k rows). */
  blocks?: number;
  /** Database prefix; `<prefix>`, `<prefix>_direct`, `<prefix>_json` are dropped and migrated. */
  database?: string;
  /** Also time the old JSONEachRow path (default true). */
  json?: boolean;
  /** Sinks + direct measurements, alternating (default 1); the median ratio is reported. */
  repeat?: number;
  /**
   * One untimed sinks pass first (default true): JIT compilation of the transcoders and the Kafka client, and the
   * warehouse's first inserts into the new tables, are one-time costs of a process (like joining the group), not the
   * steady state of a backfill. Its figure is logged as `cold`.
   */
  warmup?: boolean;
  /** Rows per sink insert (default config.ingest.sinkMaxRows). */
  maxRows?: number;
  log?: (line: string) => void;
}

export interface PhaseMeasure {
  rows: number;
  /** process.hrtime µs at start and end: the window to cut out of a `node --cpu-prof` profile. */
  hrtimeUs: [number, number];
  wallMs: number;
  cpuMs: number;
  /** Of cpuMs: kernel time (page faults of fresh memory, socket copies). */
  systemCpuMs: number;
  /** Garbage collection pauses on the main thread, and minor page faults of this process, over the phase. */
  gcMs: number;
  pageFaults: number;
  rowsPerS: number;
  loadBefore: number[];
  loadAfter: number[];
  /** CPU ms of the stack's own processes over the phase (warehouse engine, Kafka broker), where their pids are known. */
  serviceCpuMs: Record<string, number>;
}

export interface SinkBenchResult {
  blocks: number;
  rows: { blocks: number; transactions: number; logs: number; total: number };
  rowBinaryBytes: number;
  sinks: PhaseMeasure;
  direct: PhaseMeasure & { perTable: Record<string, number> };
  json: PhaseMeasure | undefined;
  /** sinks rows/s ÷ direct rows/s (target ≥ 0.5); `sinks`, `direct` and `ratio` are those of the median run. */
  ratio: number;
  runs: { sinks: PhaseMeasure; direct: PhaseMeasure & { perTable: Record<string, number> }; ratio: number }[];
}

const TABLES = [
  { table: 'raw_blocks', topic: 'eth.blocks.raw', columns: RAW_BLOCKS_COLUMNS },
  { table: 'raw_transactions', topic: 'eth.transactions.raw', columns: RAW_TRANSACTIONS_COLUMNS },
  { table: 'raw_logs', topic: 'eth.logs.raw', columns: RAW_LOGS_COLUMNS },
] as const;

type RawTopic = (typeof TABLES)[number]['topic'];

/** The stack's processes whose CPU each phase reports (set by main(); empty when measureSinks runs elsewhere). */
const servicePids: Record<string, number> = {};

/**
 * Runs `fn` and measures it: wall clock, process CPU (all threads), the stack's processes' CPU, load average around
 * it. On 2 cores the sinks' own CPU and the engine's share the machine, the direct insert's engine has it alone.
 */
async function measure(rows: number, fn: () => Promise<void>): Promise<PhaseMeasure> {
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const services = Object.entries(servicePids).map(([name, pid]) => [name, pid, processCpuSeconds(pid)] as const);
  const cpu = process.cpuUsage();
  const faults = process.resourceUsage().minorPageFault;
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const hrStart = process.hrtime.bigint();
  const started = performance.now();
  await fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const pageFaults = process.resourceUsage().minorPageFault - faults;
  // GC entries are delivered asynchronously: let the last ones of the phase arrive.
  await new Promise((resolve) => setImmediate(resolve));
  gc.disconnect();
  return {
    rows,
    hrtimeUs: [Number(hrStart / 1000n), Number(process.hrtime.bigint() / 1000n)],
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((used.user + used.system) / 1000),
    systemCpuMs: Math.round(used.system / 1000),
    gcMs: Math.round(gcMs),
    pageFaults,
    rowsPerS: Math.round((rows / wallMs) * 1000),
    loadBefore,
    loadAfter: loadavg().map((l) => Number(l.toFixed(2))),
    serviceCpuMs: Object.fromEntries(
      services.map(([name, pid, before]) => [name, Math.round(((processCpuSeconds(pid) ?? 0) - (before ?? 0)) * 1000)]),
    ),
  };
}

function encodeTable(table: string, columns: readonly SinkColumn[], rows: readonly SinkRow[]): Buffer {
  const w = new BinaryWriter(1 << 20);
  createRowEncoder(table, columns).encode(w, rows, 0, rows.length);
  return w.take();
}

/**
 * Starts the sinks (untimed: connecting and joining the consumer groups is a one-time cost, ~0.5–3 s here, not
 * throughput), then measures until every sink committed the end of its topic.
 */
/** Partition → end offset of each raw topic once everything was produced. */
type EndOffsets = Map<string, Map<number, bigint>>;

/** Whether the sink committed the end of every partition of its topic (read from its own stats: no Kafka requests). */
function reachedEnd(sink: ClickHouseSink, ends: EndOffsets): boolean {
  const committed = sink.stats().committedOffsets;
  for (const [partition, end] of ends.get(sink.topic)!) {
    const at = committed[partition];
    if (at === undefined || BigInt(at) < end) return false;
  }
  return true;
}

async function runSinks(
  rows: number,
  sinks: ClickHouseSink[],
  ends: EndOffsets,
  log: (line: string) => void,
): Promise<PhaseMeasure> {
  const startStarted = performance.now();
  let measured: PhaseMeasure;
  try {
    await Promise.all(sinks.map((s) => s.start()));
    log(`  sinks started and joined their groups in ${Math.round(performance.now() - startStarted)} ms (not timed)`);
    // The clock stops when every sink's own commits reach the ends (polled locally every 5 ms: polling the
    // group offsets from Kafka this often would load the process being measured).
    const deadline = Date.now() + 600_000;
    log(`  clock starts at ${new Date().toISOString()}`);
    measured = await measure(rows, async () => {
      while (!sinks.every((s) => reachedEnd(s, ends))) {
        if (Date.now() > deadline) throw new Error('sinks did not catch up within 10 minutes');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    // Untimed cross-check with the group's offsets in Kafka.
    await Promise.all(sinks.map((s) => s.waitUntilCaughtUp({ timeoutMs: 60_000 })));
  } finally {
    await Promise.all(sinks.map((s) => s.stop()));
  }
  for (const s of sinks) {
    const { records, rows: sunk, batches, deadLettered, insertFailures } = s.stats();
    log(`  ${s.table}: ${JSON.stringify({ records, rows: sunk, batches, deadLettered, insertFailures })}`);
  }
  return measured;
}

async function countRows(client: ClickHouseClient, database: string): Promise<number[]> {
  const rs = await client.query({
    query: `SELECT (SELECT count() FROM ${database}.raw_blocks) AS b, (SELECT count() FROM ${database}.raw_transactions) AS t,
                   (SELECT count() FROM ${database}.raw_logs) AS l`,
    format: 'JSONEachRow',
  });
  const [c] = await rs.json<{ b: string; t: string; l: string }>();
  return [Number(c!.b), Number(c!.t), Number(c!.l)];
}

/**
 * Produces `blocks` synthetic mainnet-shaped blocks from `first` on to the raw topics, in committed transactions, and
 * returns the same records as rows (for the direct insert's bytes). The chain lives only in here: kept in the
 * measuring function's scope it would stay on the heap through the timed phases.
 */
async function produceBlocks(kafka: Kafka, serdes: Serdes, first: number, blocks: number): Promise<Record<RawTopic, SinkRow[]>> {
  const chain = createSyntheticChain({ firstBlock: first, count: blocks });
  const rowsOf: Record<RawTopic, SinkRow[]> = { 'eth.blocks.raw': [], 'eth.transactions.raw': [], 'eth.logs.raw': [] };
  const producer = kafka.producer({ transactionalId: `bench-sinks-${Date.now()}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const PER_TXN = 25;
    for (let at = 0; at < blocks; at += PER_TXN) {
      const messages: Record<RawTopic, { key: string; value: Buffer }[]> = {
        'eth.blocks.raw': [],
        'eth.transactions.raw': [],
        'eth.logs.raw': [],
      };
      for (let n = first + at; n < first + Math.min(blocks, at + PER_TXN); n += 1) {
        const records = toBlockRecords(blockBundleOfRpc(chain.blockByNumber(n), chain.receiptsOf(n)!, 1), 1, Date.now());
        const key = topicKeys.block(1, n);
        messages['eth.blocks.raw'].push({ key, value: await serdes.forTopic('eth.blocks.raw').serialize(records.block) });
        rowsOf['eth.blocks.raw'].push(...blockRows(records.block));
        for (const r of records.transactions) {
          messages['eth.transactions.raw'].push({ key, value: await serdes.forTopic('eth.transactions.raw').serialize(r) });
          rowsOf['eth.transactions.raw'].push(...transactionRows(r));
        }
        for (const r of records.logs) {
          messages['eth.logs.raw'].push({ key, value: await serdes.forTopic('eth.logs.raw').serialize(r) });
          rowsOf['eth.logs.raw'].push(...logRows(r));
        }
      }
      const txn = await producer.transaction();
      // A few records per send: one record batch must stay under the broker's 1 MiB message limit.
      for (const [topic, list] of Object.entries(messages)) {
        for (let i = 0; i < list.length; i += 3) await txn.send({ topic, messages: list.slice(i, i + 3) });
      }
      await txn.commit();
    }
  } finally {
    await producer.disconnect();
  }
  return rowsOf;
}

/** Steps 2–4 of the header on a running stack. */
export async function measureSinks(params: SinkBenchParameters): Promise<SinkBenchResult> {
  const { common, serdes } = params;
  const { config, logger } = common;
  const log = params.log ?? ((line: string) => console.log(line));
  const blocks = params.blocks ?? 300;
  const prefix = params.database ?? 'oracul_bench_sinks';
  const databases = { sinks: prefix, direct: `${prefix}_direct`, json: `${prefix}_json` };
  const withJson = params.json ?? true;
  const repeat = Math.max(1, params.repeat ?? 1);
  const maxRows = params.maxRows ?? config.ingest.sinkMaxRows;

  const admin = createWarehouseClient({ config, withoutDatabase: true });
  for (const database of Object.values(databases)) {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await migrate({ client: admin, database, logger });
  }
  await ensureDeclaredTopics({ config, logger });

  // Untimed: records, produced to Kafka, and the same records as rows and RowBinary bytes.
  // A fresh block range per run: records of earlier runs left in the topics belong to other consumer groups' past.
  const first = 20_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const kafka = createKafka({ config, logger, clientSuffix: 'bench-sinks' });
  // The sinks' new consumer groups start where the topics end now: records of earlier runs are not read again.
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const startOffsets = new Map<string, { partition: number; offset: string }[]>();
  for (const t of TABLES) {
    const ends = await kafkaAdmin.fetchTopicOffsets(t.topic);
    startOffsets.set(
      t.topic,
      ends.map((e) => ({ partition: e.partition, offset: e.high })),
    );
  }
  const startGroupsAtRunStart = async (groupPrefix: string) => {
    for (const t of TABLES)
      await kafkaAdmin.setOffsets({
        groupId: `${groupPrefix}-${t.table}`,
        topic: t.topic,
        partitions: startOffsets.get(t.topic)!,
      });
  };
  const setupStarted = performance.now();
  const rowsOf = await produceBlocks(kafka, serdes, first, blocks);
  const ends: EndOffsets = new Map();
  for (const t of TABLES) {
    const offsets = await kafkaAdmin.fetchTopicOffsets(t.topic);
    // Only partitions this run wrote to: the others keep the offset the groups start at, and are never committed.
    const start = new Map(startOffsets.get(t.topic)!.map((o) => [o.partition, o.offset]));
    ends.set(
      t.topic,
      new Map(offsets.filter((o) => o.high !== start.get(o.partition)).map((o) => [o.partition, BigInt(o.high)])),
    );
  }
  const bytes = TABLES.map((t) => encodeTable(t.table, t.columns, rowsOf[t.topic]));
  const counts = {
    blocks: rowsOf['eth.blocks.raw'].length,
    transactions: rowsOf['eth.transactions.raw'].length,
    logs: rowsOf['eth.logs.raw'].length,
    total: 0,
  };
  // The row objects (~165k, ~150 MB of heap) are not needed once encoded: kept alive, every mark-compact during the
  // sinks' window (external-memory pressure from Kafka fetches and insert bodies triggers them) would mark them too,
  // a cost of this benchmark process that a sink process does not have.
  for (const t of TABLES) rowsOf[t.topic].length = 0;
  counts.total = counts.blocks + counts.transactions + counts.logs;
  const rowBinaryBytes = bytes.reduce((s, b) => s + b.length, 0);
  log(
    `setup: ${blocks} blocks, ${counts.total} rows (${counts.blocks}/${counts.transactions}/${counts.logs}), ` +
      `${(rowBinaryBytes / 2 ** 20).toFixed(1)} MiB RowBinary, produced in ${Math.round(performance.now() - setupStarted)} ms`,
  );

  const sinkClient = (database: string) => createWarehouseClient({ config: { clickhouse: { ...config.clickhouse, database } } });
  const run = Date.now();
  const clients: ClickHouseClient[] = [];
  const expected = [counts.blocks, counts.transactions, counts.logs].join('/');
  try {
    const rbClient = sinkClient(databases.sinks);
    const direct = sinkClient(databases.direct);
    clients.push(rbClient, direct);
    // Sinks and direct insert alternate, `repeat` times, on emptied tables: the load of a shared machine moves
    // both, and the median ratio is what to compare between runs.
    const runs: SinkBenchResult['runs'] = [];
    const sinksPass = async (i: number): Promise<PhaseMeasure> => {
      for (const database of [databases.sinks, databases.direct]) {
        for (const t of TABLES) await admin.command({ query: `TRUNCATE TABLE ${database}.${t.table}` });
      }
      const groupPrefix = `bench-sinks-rb-${run}-${i}`;
      await startGroupsAtRunStart(groupPrefix);
      const batch = { maxRows, maxWaitMs: 200 };
      return runSinks(
        counts.total,
        createRawChainSinks(common, { serdes, kafka, clickhouse: rbClient, groupPrefix, batch }),
        ends,
        log,
      );
    };
    if (params.warmup ?? true) {
      const cold = await sinksPass(0);
      log(`warm-up (untimed): cold sinks ${cold.rowsPerS} rows/s (${cold.wallMs} ms, CPU ${cold.cpuMs} ms)`);
    }
    for (let i = 1; i <= repeat; i += 1) {
      // (a) the raw sinks, RowBinary
      const sinks = await sinksPass(i);
      const landed = (await countRows(admin, databases.sinks)).join('/');
      if (landed !== expected) throw new Error(`sinks landed ${landed} rows, expected ${expected}`);

      // (b) direct: the same bytes, one INSERT per table
      const perTable: Record<string, number> = {};
      const directMeasure = await measure(counts.total, async () => {
        for (const [k, t] of TABLES.entries()) {
          const started = performance.now();
          const result = await direct.exec({
            query: createRowEncoder(t.table, t.columns).insertStatement,
            values: Readable.from([bytes[k]!]),
          });
          for await (const chunk of result.stream) void chunk;
          perTable[t.table] = Math.round(performance.now() - started);
        }
      });
      const landedDirect = (await countRows(admin, databases.direct)).join('/');
      if (landedDirect !== expected) throw new Error(`direct insert landed ${landedDirect} rows, expected ${expected}`);
      const ratio = Number((sinks.rowsPerS / directMeasure.rowsPerS).toFixed(3));
      log(
        `run ${i}: sinks ${sinks.rowsPerS} rows/s (${sinks.wallMs} ms, CPU ${sinks.cpuMs} ms of which system ` +
          `${sinks.systemCpuMs}, GC ${sinks.gcMs} ms, ${sinks.pageFaults} page faults, services ${JSON.stringify(sinks.serviceCpuMs)}), ` +
          `direct ${directMeasure.rowsPerS} rows/s (${directMeasure.wallMs} ms, services ${JSON.stringify(directMeasure.serviceCpuMs)}), ratio ${ratio}`,
      );
      runs.push({ sinks, direct: { ...directMeasure, perTable }, ratio });
    }

    // (c) the old path: the sinks with JSONEachRow
    let json: PhaseMeasure | undefined;
    if (withJson) {
      const jsonClient = sinkClient(databases.json);
      clients.push(jsonClient);
      const groupPrefix = `bench-sinks-json-${run}`;
      await startGroupsAtRunStart(groupPrefix);
      json = await runSinks(
        counts.total,
        createRawChainSinks(common, {
          serdes,
          kafka,
          clickhouse: jsonClient,
          groupPrefix,
          batch: { maxRows, maxWaitMs: 200 },
          insertFormat: 'JSONEachRow',
        }),
        ends,
        log,
      );
    }
    const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor((runs.length - 1) / 2)]!;
    return { blocks, rows: counts, rowBinaryBytes, ...median, json, runs };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await admin.close();
    await kafkaAdmin.disconnect();
  }
}

function printResult(r: SinkBenchResult): void {
  const line = (name: string, m: PhaseMeasure) =>
    `${name.padEnd(26)} ${String(m.rowsPerS).padStart(9)} rows/s   wall ${String(m.wallMs).padStart(6)} ms   ` +
    `CPU ${String(m.cpuMs).padStart(6)} ms (${(m.cpuMs / m.wallMs).toFixed(2)} of a core)   load ${m.loadBefore.join(' ')} → ${m.loadAfter.join(' ')}` +
    (Object.keys(m.serviceCpuMs).length > 0 ? `   services CPU ms ${JSON.stringify(m.serviceCpuMs)}` : '');
  console.log(`median of ${r.runs.length} run(s) by ratio: ${r.runs.map((x) => x.ratio).join(', ')}`);
  console.log(line('sinks (Kafka→RowBinary)', r.sinks));
  console.log(line('direct (one INSERT/table)', r.direct));
  if (r.json) console.log(line('sinks, old JSONEachRow', r.json));
  console.log(`direct per table (ms): ${JSON.stringify(r.direct.perTable)}`);
  console.log(
    `ratio sinks/direct: ${r.ratio} (target ≥ 0.5)${r.json ? `; RowBinary/JSONEachRow sinks: ${(r.sinks.rowsPerS / r.json.rowsPerS).toFixed(2)}×` : ''}`,
  );
  console.log(
    'CPU is this process only (sinks, Kafka client, direct client); the warehouse engine and the broker run in their own ' +
      'processes ("services CPU", read from /proc at 10 ms resolution).',
  );
}

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  // --verbose also makes the warehouse log one line per query (<stateDir>/warehouse/warehouse.log).
  const stack = await startBenchStack(['kafka', 'registry', 'warehouse'], verbose ? { logLevel: 'info' } : {});
  try {
    Object.assign(servicePids, await stackPids(stack.config, ['warehouse', 'kafka']));
    // --verbose: the sinks' own `batch inserted` lines (insert_ms, rows_per_s per batch).
    const logger = verbose ? createLogger({ level: 'info', pretty: false, base: { scope: 'bench' } }) : stack.common.logger;
    const result = await measureSinks({
      common: { ...stack.common, logger },
      serdes: createSchemaRegistrySerdes({ config: stack.config }),
      blocks: numberArg('blocks', 300),
      json: !process.argv.includes('--no-json'),
      repeat: numberArg('repeat', 3),
      warmup: !process.argv.includes('--no-warmup'),
      ...(process.argv.includes('--max-rows') ? { maxRows: numberArg('max-rows', 50_000) } : {}),
    });
    printResult(result);
    console.log(JSON.stringify(result));
  } finally {
    await stack.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
