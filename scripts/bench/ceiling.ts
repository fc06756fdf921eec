/**
 * Benchmark: what this machine can do at best for each performance target, measured on the work no
 * implementation can skip. It answers "is the target reachable here at all?" before "is our code fast enough?".
 *
 *   npx tsx scripts/bench/ceiling.ts [--seconds 3]
 *
 * Each figure is CPU time of this one thread (per core), a floor that leaves out everything else the real path
 * does (Kafka, Avro, state stores, HTTP, GraphQL):
 * 1. ingestion (issue: ≥ 1,000 blocks/s end to end into ClickHouse): JSON.parse of one mainnet-shaped block's RPC
 *    answers (eth_getBlockByNumber with 150 full transactions + eth_getBlockReceipts with 400 logs), the first
 *    thing any JSON-RPC client does with them; and ClickHouse engine INSERTs of those blocks' log and transaction
 *    rows (JSONEachRow, 25 blocks per insert, as the raw sinks batch).
 * 2. processors (≥ 500,000 transfers/s per core): reading a Transfer exactly (two address slices and one uint256
 *    from hex) plus the three hash-map updates every transfer needs at least (its token's day, the sender's and
 *    the receiver's (address, token, day)), on maps holding as many keys as a mainnet day has.
 * 3. gateway (p99 < 50 ms at 200 uncached requests/s): the engine's CPU for one 90-row primary-key read
 *    (address_flows_daily shape, FINAL) from a table with 10 M rows, in process (no HTTP, no GraphQL).
 * The figure printed with each is the most the target's work could reach on this machine's two cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChdbNative } from '../../infra/warehouse/engine-binding.ts';
import { createSyntheticChain } from '../test/synthetic-chain.ts';
import { numberArg } from './args.ts';

const SECONDS = numberArg('seconds', 3);
const CORES = 2;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Repeats `work` for about SECONDS of CPU; returns CPU ms per call. */
function perCall(work: () => void): number {
  for (let i = 0; i < 3; i++) work();
  let calls = 0;
  const start = cpuMs();
  while (cpuMs() - start < SECONDS * 1000) {
    work();
    calls++;
  }
  return (cpuMs() - start) / calls;
}

async function perCallAsync(work: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await work();
  let calls = 0;
  const start = cpuMs();
  while (cpuMs() - start < SECONDS * 1000) {
    await work();
    calls++;
  }
  return (cpuMs() - start) / calls;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const verdict = (reach: number, target: number): string =>
  reach >= target
    ? `target reachable (${(reach / target).toFixed(1)}× headroom)`
    : `target ${(target / reach).toFixed(1)}× beyond reach`;

console.log(`ceiling benchmark — node ${process.version}, ${CORES} cores assumed, CPU time per call`);

// ---- 1. ingestion ----
const BATCH_BLOCKS = 25;
const chain = createSyntheticChain({ count: BATCH_BLOCKS });
const first = chain.blockNumbers()[0] as number;
const wire = [
  JSON.stringify({ jsonrpc: '2.0', id: 1, result: chain.blockByNumber(first) }),
  JSON.stringify({ jsonrpc: '2.0', id: 2, result: chain.receiptsOf(first) }),
];
const wireBytes = wire.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
const parseMs = perCall(() => {
  for (const text of wire) JSON.parse(text);
});
const parseBlocks = 1000 / parseMs;
console.log('');
console.log(`1. ingestion: one block = ${(wireBytes / 1024).toFixed(0)} KiB of JSON-RPC answers`);
console.log(
  `   JSON.parse alone                ${parseMs.toFixed(2)} ms/block → ${fmt(parseBlocks)} blocks/s per core, ${fmt(parseBlocks * CORES)} on ${CORES} cores (${((wireBytes * parseBlocks) / 2 ** 20).toFixed(0)} MiB/s per core)`,
);

const native = loadChdbNative();
const dataDir = mkdtempSync(join(tmpdir(), 'oracul-ceiling-'));
const connection = native.CreateConnection(dataDir);
const run = (sql: string) => native.QueryAsyncConnection(connection, sql, 'TSV');
try {
  await run(`CREATE TABLE logs (block_number UInt64, log_index UInt32, tx_hash String, address String, topic0 String,
    topic1 String, topic2 String, data String, block_hash String) ENGINE = ReplacingMergeTree ORDER BY (block_number, log_index)`);
  await run(`CREATE TABLE txs (block_number UInt64, tx_index UInt32, hash String, from_address String, to_address String,
    value UInt256, gas UInt64, input String, block_hash String) ENGINE = ReplacingMergeTree ORDER BY (block_number, tx_index)`);
  // One insert per table for BATCH_BLOCKS blocks, as the raw sinks batch them.
  const logRows: string[] = [];
  const txRows: string[] = [];
  for (const number of chain.blockNumbers().slice(0, BATCH_BLOCKS)) {
    const block = chain.blockByNumber(number) as { transactions: Record<string, string>[] };
    for (const [i, tx] of block.transactions.entries()) {
      txRows.push(
        JSON.stringify({
          block_number: number,
          tx_index: i,
          hash: tx.hash,
          from_address: tx.from,
          to_address: tx.to ?? '',
          value: BigInt(tx.value ?? '0x0').toString(),
          gas: Number.parseInt(tx.gas ?? '0x0', 16),
          input: tx.input,
          block_hash: tx.blockHash,
        }),
      );
    }
    for (const receipt of (chain.receiptsOf(number) ?? []) as { logs: Record<string, unknown>[] }[]) {
      for (const log of receipt.logs) {
        const topics = log.topics as string[];
        logRows.push(
          JSON.stringify({
            block_number: number,
            log_index: Number.parseInt(log.logIndex as string, 16),
            tx_hash: log.transactionHash,
            address: log.address,
            topic0: topics[0] ?? '',
            topic1: topics[1] ?? '',
            topic2: topics[2] ?? '',
            data: log.data,
            block_hash: log.blockHash,
          }),
        );
      }
    }
  }
  const logInsert = `INSERT INTO logs FORMAT JSONEachRow\n${logRows.join('\n')}`;
  const txInsert = `INSERT INTO txs FORMAT JSONEachRow\n${txRows.join('\n')}`;
  const insertMs =
    (await perCallAsync(async () => {
      await run(logInsert);
      await run(txInsert);
    })) / BATCH_BLOCKS;
  const insertBlocks = 1000 / insertMs;
  console.log(
    `   engine INSERTs of the rows      ${insertMs.toFixed(2)} ms/block (${logRows.length / BATCH_BLOCKS} logs + ${txRows.length / BATCH_BLOCKS} transactions, ${BATCH_BLOCKS} blocks per insert) → ${fmt(insertBlocks)} blocks/s per core`,
  );
  const both = 1000 / (parseMs + insertMs);
  console.log(
    `   both, on ${CORES} cores             ${fmt(both * CORES)} blocks/s at best (target 1,000: ${verdict(both * CORES, 1000)})`,
  );

  // ---- 3. gateway (engine part) ----
  await run(`CREATE TABLE flows (date Date, chain_id UInt64, address String, token_address String, inflow_raw UInt256,
    outflow_raw UInt256, net_flow_raw Int256, transfer_count UInt64, version UInt64, is_deleted UInt8)
    ENGINE = ReplacingMergeTree(version, is_deleted) PARTITION BY toYYYYMM(date) ORDER BY (chain_id, address, date, token_address)`);
  await run(`INSERT INTO flows SELECT toDate('2025-01-01') + intDiv(number, 100000), 1,
    concat('0x', leftPad(lower(hex(0xa000000 + number % 100000)), 40, '0')), concat('0x', leftPad(lower(hex(1 + number % 500)), 40, '0')),
    number, number, number, 1, 1, 0 FROM numbers(10000000)`);
  await run('OPTIMIZE TABLE flows FINAL');
  let address = 0;
  const queryMs = await perCallAsync(async () => {
    address = (address + 7919) % 100_000;
    const id = `0x${(0xa000000 + address).toString(16).padStart(40, '0')}`;
    await run(
      `SELECT * FROM flows FINAL WHERE chain_id = 1 AND address = '${id}' AND date BETWEEN '2025-02-01' AND '2025-05-01' ORDER BY date FORMAT JSONEachRow`,
    );
  });
  const queries = (1000 / queryMs) * CORES;
  console.log('');
  console.log(`3. gateway: one 90-day address read from 10 M rows (engine only, in process)`);
  console.log(
    `   engine CPU                      ${queryMs.toFixed(1)} ms/query → ${fmt(queries)} uncached queries/s on ${CORES} cores with nothing else running (target 200/s: ${verdict(queries, 200)})`,
  );
} finally {
  native.CloseConnection(connection);
  rmSync(dataDir, { recursive: true, force: true });
}

// ---- 2. processors ----
const DISTINCT_ADDRESSES = 200_000;
const TOKENS = 500;
const hex40 = (n: number): string => n.toString(16).padStart(40, '0');
const logs = Array.from({ length: 100_000 }, (_, i) => ({
  token: `0x${hex40(1 + (i % TOKENS))}`,
  topics: [
    '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
    `0x${'0'.repeat(24)}${hex40((i * 7919) % DISTINCT_ADDRESSES)}`,
    `0x${'0'.repeat(24)}${hex40((i * 104_729) % DISTINCT_ADDRESSES)}`,
  ],
  data: `0x${(BigInt(i) * 10n ** 18n).toString(16).padStart(64, '0')}`,
}));
const tokenDay = new Map<string, bigint>();
const addressDay = new Map<string, bigint>();
let next = 0;
const transferMs = perCall(() => {
  for (let k = 0; k < 1000; k++) {
    const log = logs[next++ % logs.length] as (typeof logs)[number];
    const from = `0x${(log.topics[1] as string).slice(26)}`;
    const to = `0x${(log.topics[2] as string).slice(26)}`;
    const amount = BigInt(log.data);
    const tokenKey = `1|${log.token}|2025-05-01`;
    tokenDay.set(tokenKey, (tokenDay.get(tokenKey) ?? 0n) + amount);
    const outKey = `1|${from}|${log.token}|2025-05-01`;
    addressDay.set(outKey, (addressDay.get(outKey) ?? 0n) - amount);
    const inKey = `1|${to}|${log.token}|2025-05-01`;
    addressDay.set(inKey, (addressDay.get(inKey) ?? 0n) + amount);
  }
});
const transfers = 1_000_000 / transferMs;
console.log('');
console.log(
  `2. processors: exact read of a Transfer + 3 map updates (${fmt(tokenDay.size)} token-days, ${fmt(addressDay.size)} address-token-days)`,
);
console.log(
  `   minimal work                    ${((transferMs * 1000) / 1000).toFixed(2)} µs/transfer → ${fmt(transfers)} transfers/s per core (target 500,000 per core: ${verdict(transfers, 500_000)})`,
);
