/**
 * Benchmark: decode + daily window aggregation in one process, no Kafka.
 *
 *   npx tsx scripts/bench/processors.ts [--transfers 200000] [--days 2] [--batch 10000] [--seed 7]
 *                                       [--tokens 20] [--priced-tokens 19] [--addresses 200000]
 *   node --expose-gc --import tsx scripts/bench/processors.ts --transfers 1200000 --days 1 --tokens 5000 \
 *     --priced-tokens 300 --addresses 600000     (a mainnet-sized day: ~400 k active addresses; peak RSS)
 *   node --expose-gc --import tsx scripts/bench/processors.ts …   (also reports heap retained after a full GC)
 *   npx tsx scripts/bench/processors.ts … --columnar   (also the address stage's columnar state kernel, ADR 0022,
 *     on the same legs, its totals checked exactly against the stage's finals)
 *
 * Generates realistic mainnet-like logs (Zipf-distributed tokens and addresses, ~25 % non-Transfer logs, 1 %
 * ERC-721 transfers, a reorg of 0.1 % of the blocks, a price tick per token per minute) in chunks outside the timed
 * sections, as `eth.logs.raw` records (one per block), then runs the real processors through in-memory tasks (processors/engine/inMemoryTask.ts),
 * stage by stage per batch (a batch is a commit interval: each aggregate punctuates after it, emitting coalesced
 * updates):
 *   1. erc20-decoder (decode + metadata + records by token and by address) → transfers
 *   2. token_metrics_daily (repartition by token)                  → updates / finals
 *   3. address_flows_daily (two legs per transfer)                 → updates / finals
 * Prints throughput per stage and end to end (single thread = one core), the decoder alone (fast path vs viem),
 * and peak RSS.
 */
import { performance } from 'node:perf_hooks';
import { DAY_MS } from '../../core/time.ts';
import { createInMemoryTask } from '../../processors/engine/inMemoryTask.ts';
import { decodeTransferLog } from '../../processors/erc20/decode-transfer.ts';
import { decodeTransferWithViem } from '../../processors/erc20/decode-transfer-with-viem.ts';
import type { EvmLog } from '../../processors/erc20/log.ts';
import { TokenTable, tokenKey, type TokenMetadata } from '../../processors/erc20/token-metadata.ts';
import type { Erc20Transfer } from '../../processors/erc20/transfer.ts';
import { TRANSFER_TOPIC } from '../../processors/erc20/transfer-event.ts';
import { createErc20DecoderProcessor, ERC20_TOPICS, type Erc20DecoderInput } from '../../processors/erc20/erc20-decoder.ts';
import type { LogBatch, Transfer, TransferBatch } from '../../schemas/generated/types.ts';
import { createAddressFlowsDailyProcessor } from '../../processors/aggregates/address-flows-daily.ts';
import type { PriceTick } from '../../processors/aggregates/prices.ts';
import { addressLegsOf, type AddressLeg } from '../../processors/aggregates/repartition.ts';
import { createTokenMetricsDailyProcessor } from '../../processors/aggregates/token-metrics-daily.ts';
import { numberArg } from './args.ts';
import { zipf } from './zipf.ts';
import { xorshift32 } from '../../core/xorshift.ts';
import { AddressFlowsDay } from '../../processors/aggregates/columnar/address-flows-day.ts';
import { createTaskIds } from '../../processors/aggregates/columnar/task-ids.ts';
import type { AddressFlowsDaily } from '../../processors/aggregates/address-flows-daily.ts';

const TRANSFERS = numberArg('transfers', 200_000);
/** Also run the address stage's columnar state kernel on the same legs, checked against its finals (more memory). */
const COLUMNAR = process.argv.includes('--columnar');
const DAYS = numberArg('days', 2);
const BATCH = numberArg('batch', 10_000);
const SEED = numberArg('seed', 7);
const CHUNK = 100_000;
const ADDRESSES = numberArg('addresses', 200_000);
const TOKENS = numberArg('tokens', 20);
/** Tokens with a price tick per minute (the first ones by popularity); the last token is never priced nor known. */
const PRICED_TOKENS = Math.min(numberArg('priced-tokens', TOKENS - 1), TOKENS - 1);
const START_S = Date.parse('2024-05-01T00:00:00Z') / 1000;

// ---- deterministic generation (untimed) ----
const rand = xorshift32(SEED);
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

const tokens = Array.from({ length: TOKENS }, (_, i) => ({
  address: '0x' + hex(0xa0000 + i, 40),
  decimals: [18, 6, 6, 18, 8][i % 5] as number,
}));
const addressTopics = Array.from({ length: ADDRESSES }, (_, i) => '0x' + '0'.repeat(24) + hex(0x100000 + i * 7919, 40));
const pickToken = zipf(TOKENS, 1.2, rand);
const pickAddress = zipf(ADDRESSES, 1.05, rand);
const OTHER_TOPICS = [
  '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925', // Approval
  '0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822', // Uniswap V2 Swap
  '0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1', // Sync
];
const metadata: [string, TokenMetadata][] = tokens
  .slice(0, TOKENS - 1) // the last token stays unknown: null decimals, null USD
  .map((t, i) => [
    tokenKey(1, t.address),
    { chain_id: 1, address: t.address, symbol: `T${i}`, name: null, decimals: t.decimals, source: 'seed' },
  ]);

const secondsSpan = (DAYS * DAY_MS) / 1000;
const logsPerTransfer = 1 / 0.74; // ~25 % other events, ~1 % ERC-721
let emittedTransfers = 0;
let logIndex = 0;
let txCounter = 0;
let nextPriceS = START_S - 60;
const pendingReorgs: LogBatch[] = [];
let blockLogs: EvmLog[] = [];

type Item = { kind: 'logs'; batch: LogBatch } | { kind: 'price'; tick: PriceTick };

/** The `eth.logs.raw` record of one block (`block`), or of its retraction (`reorg`: no logs, a higher version). */
function logBatch(kind: 'block' | 'reorg', logs: readonly EvmLog[]): LogBatch {
  const head = logs[0] as EvmLog;
  return {
    kind,
    chain_id: head.chain_id,
    block_number: head.block_number,
    block_hash: head.block_hash as LogBatch['block_hash'],
    block_timestamp: head.block_timestamp,
    checkpoint: '',
    version: kind === 'block' ? 1 : 2,
    observed_at: 0,
    part: 0,
    parts: 1,
    logs:
      kind === 'block'
        ? (logs.map(({ tx_hash, tx_index, log_index, address, topics, data }) => ({
            tx_hash,
            tx_index,
            log_index,
            address,
            topics: [...topics],
            data,
          })) as LogBatch['logs'])
        : [],
  };
}

/** Ends the block being generated: its record, and now and then a reorg of it later on. */
function flushBlock(items: Item[]): void {
  if (blockLogs.length === 0) return;
  items.push({ kind: 'logs', batch: logBatch('block', blockLogs) });
  if (rand() < 0.001) pendingReorgs.push(logBatch('reorg', blockLogs));
  blockLogs = [];
  if (pendingReorgs.length > 0 && rand() < 0.01) items.push({ kind: 'logs', batch: pendingReorgs.shift() as LogBatch });
}

/** The next chunk of input in time order: block records (some reorgs) and price ticks. */
function generateChunk(): Item[] {
  const items: Item[] = [];
  while (items.length < CHUNK && emittedTransfers < TRANSFERS) {
    const timestamp = START_S + Math.floor((emittedTransfers / TRANSFERS) * secondsSpan);
    while (nextPriceS <= timestamp) {
      for (const t of tokens.slice(0, PRICED_TOKENS)) {
        items.push({
          kind: 'price',
          tick: {
            chain_id: 1,
            token_address: t.address,
            timestamp: nextPriceS,
            price_usd: (1 + rand() * 3000).toFixed(8),
            source: 'bench',
          },
        });
      }
      nextPriceS += 60;
    }
    const blockNumber = 19_000_000 + Math.floor((timestamp - START_S) / 12);
    if (blockLogs.length > 0 && blockLogs[0]?.block_number !== blockNumber) flushBlock(items);
    const blockHash = '0x' + hex(blockNumber, 64);
    if (rand() < 0.1) txCounter++;
    const base = {
      chain_id: 1,
      block_number: blockNumber,
      block_hash: blockHash,
      block_timestamp: timestamp * 1000,
      tx_hash: '0x' + hex(txCounter, 64),
      tx_index: txCounter % 300,
      log_index: logIndex++ % 1000,
    };
    const r = rand();
    const token = tokens[pickToken()] as { address: string };
    let log: EvmLog;
    if (r < 1 - 1 / logsPerTransfer) {
      log = {
        ...base,
        address: token.address,
        topics: [OTHER_TOPICS[Math.floor(rand() * 3)] as string, addressTopics[pickAddress()] as string],
        data: '0x' + hex(Math.floor(rand() * 2 ** 48), 64),
      };
    } else if (r < 1 - 1 / logsPerTransfer + 0.01) {
      log = {
        ...base,
        address: token.address,
        topics: [
          TRANSFER_TOPIC,
          addressTopics[pickAddress()] as string,
          addressTopics[pickAddress()] as string,
          '0x' + hex(Math.floor(rand() * 1e6), 64),
        ],
        data: '0x',
      };
    } else {
      const from = rand() < 0.01 ? '0x' + '0'.repeat(64) : (addressTopics[pickAddress()] as string);
      const amount = BigInt(Math.floor(rand() * 2 ** 40)) * 10n ** BigInt(Math.floor(rand() * 12));
      log = {
        ...base,
        address: token.address,
        topics: [TRANSFER_TOPIC, from, addressTopics[pickAddress()] as string],
        data: '0x' + amount.toString(16).padStart(64, '0'),
      };
      emittedTransfers++;
    }
    blockLogs.push(log);
  }
  if (emittedTransfers >= TRANSFERS) flushBlock(items);
  return items;
}

// ---- the timed pipeline ----
let tokenOutputs = 0;
let flowOutputs = 0;
let lateOutputs = 0;
const tokenTable = new TokenTable();
for (const [, token] of metadata) tokenTable.add(token);
const decoderTask = createInMemoryTask(createErc20DecoderProcessor({ tokens: tokenTable }), { onOutput: () => undefined });
const windowing = { updates: 'on_punctuate' as const };
const tokenTask = createInMemoryTask(createTokenMetricsDailyProcessor({ windowing }), {
  onOutput: (o) => (o.topic.endsWith('.late') ? lateOutputs++ : tokenOutputs++),
});
/** The address stage's last final per (address, token, day): what the columnar kernel is checked against. */
const flowFinals = new Map<string, AddressFlowsDaily>();
const flowTask = createInMemoryTask(createAddressFlowsDailyProcessor({ windowing }), {
  onOutput: (o) => {
    if (o.topic.endsWith('.late')) {
      lateOutputs++;
      return;
    }
    flowOutputs++;
    const row = o.value as AddressFlowsDaily;
    if (COLUMNAR && row.is_final) flowFinals.set(`${row.address}|${row.token_address}|${row.window_start}`, row);
  },
});

// The columnar state kernel of the address stage (ADR 0022), on the decoder's by-address batch records: the same
// legs into per-day tables. Not a processor yet (no prices, emission or checkpoints): it measures what the layout's
// state work costs, and its totals are checked exactly against the address stage's finals below.
const taskIds = createTaskIds(ADDRESSES);
/** Tables sized for a day's legs up front, as a task would size a day like its previous one. */
const LEGS_PER_DAY = Math.ceil((2 * TRANSFERS) / DAYS);
const columnarDays = new Map<number, AddressFlowsDay>();
function columnarDayOf(windowStartMs: number): AddressFlowsDay {
  let day = columnarDays.get(windowStartMs);
  if (day === undefined) columnarDays.set(windowStartMs, (day = new AddressFlowsDay(windowStartMs, taskIds, LEGS_PER_DAY)));
  return day;
}

const time = { decode: 0, token: 0, address: 0, columnar: 0 };
const wall = { decode: 0, token: 0, address: 0, columnar: 0 };
/** CPU time of this thread in ms: the per-core figure, unaffected by other processes on a shared machine. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let logs = 0;
let transfers = 0;
let rejects = 0;
let legs = 0;

// ---- decoder alone: fast path vs viem, on the first chunk's logs (measured before the pipeline runs, so the
// sample is not kept alive, and garbage-collected, through the timed stages) ----
function decodeRate(
  sample: readonly { topics: readonly string[]; data: string }[],
  decode: (topics: readonly string[], data: string) => { kind: string },
): number {
  let found = 0;
  const c0 = cpuMs();
  for (let round = 0; round < 3; round++) for (const log of sample) if (decode(log.topics, log.data).kind === 'transfer') found++;
  const ms = cpuMs() - c0;
  if (found === 0) throw new Error('no transfers decoded');
  return (sample.length * 3) / (ms / 1000);
}
let fastRate = 0;
let viemRate = 0;

for (;;) {
  const chunk = generateChunk();
  if (chunk.length === 0) break;
  if (fastRate === 0) {
    const sample = chunk.flatMap((item) => (item.kind === 'logs' ? item.batch.logs : []));
    fastRate = decodeRate(sample, decodeTransferLog);
    viemRate = decodeRate(sample, decodeTransferWithViem);
  }
  for (let at = 0; at < chunk.length; at += BATCH) {
    const batch = chunk.slice(at, at + BATCH);
    // 1. decode: logs → transfers (prices pass straight to the aggregates). The aggregates get one call per block's
    // transfers (as the runtime calls processBatch per batch record) and per run of consecutive price ticks.
    const groups: (Erc20Transfer | PriceTick)[][] = [];
    const byAddress: TransferBatch[] = [];
    let ticks: PriceTick[] | null = null;
    let t0 = performance.now();
    let c0 = cpuMs();
    for (const item of batch) {
      if (item.kind === 'price') {
        if (ticks === null) groups.push((ticks = []));
        ticks.push(item.tick);
        continue;
      }
      ticks = null;
      logs += item.batch.logs.length;
      const block: Erc20Transfer[] = [];
      for (const out of decoderTask.process([{ kind: 'logs', batch: item.batch } satisfies Erc20DecoderInput])) {
        if (out.topic === ERC20_TOPICS.rejects) rejects++;
        else if (out.topic === ERC20_TOPICS.batchesByAddress) byAddress.push(out.value as TransferBatch);
        else if (out.topic === ERC20_TOPICS.transfers) {
          transfers++;
          // As the token stage reads the record back: the domain transfer with a bigint amount.
          const record = out.value as Transfer;
          block.push({ ...record, amount_raw: BigInt(record.amount_raw) });
        }
      }
      if (block.length > 0) groups.push(block);
    }
    time.decode += cpuMs() - c0;
    wall.decode += performance.now() - t0;
    // 2. token metrics
    t0 = performance.now();
    c0 = cpuMs();
    for (const group of groups) tokenTask.process(group);
    tokenTask.punctuate({ caughtUp: false });
    time.token += cpuMs() - c0;
    wall.token += performance.now() - t0;
    // 3. address flows
    t0 = performance.now();
    c0 = cpuMs();
    for (const group of groups) {
      const inputs: (AddressLeg | PriceTick)[] = [];
      for (const value of group) {
        if ('price_usd' in value) inputs.push(value);
        else {
          const own = addressLegsOf(value);
          legs += own.length;
          inputs.push(...own);
        }
      }
      flowTask.process(inputs);
    }
    flowTask.punctuate({ caughtUp: false });
    time.address += cpuMs() - c0;
    wall.address += performance.now() - t0;
    // 3'. the columnar kernel on the same legs
    t0 = performance.now();
    c0 = cpuMs();
    if (COLUMNAR)
      for (const record of byAddress)
        columnarDayOf(record.block_timestamp - (record.block_timestamp % DAY_MS)).applyBatch(record);
    time.columnar += cpuMs() - c0;
    wall.columnar += performance.now() - t0;
  }
}
// Close the last day: the partitions go idle at the head.
{
  for (const [d, stage] of [
    [tokenTask, 'token'],
    [flowTask, 'address'],
  ] as const) {
    const t0 = performance.now();
    const c0 = cpuMs();
    d.advanceWallClock((START_S + secondsSpan) * 1000 + 2 * DAY_MS);
    d.punctuate({ caughtUp: true });
    time[stage] += cpuMs() - c0;
    wall[stage] += performance.now() - t0;
  }
}

/** Every kernel row against the address stage's final of the same (address, token, day): exact, or the bench fails. */
function checkColumnarTotals(): number {
  let rows = 0;
  const problems: string[] = [];
  for (const day of columnarDays.values()) {
    for (let row = 0; row < day.rowCount; row++) {
      const t = day.totals(row);
      const legsOfRow = t.in_count + t.out_count;
      const final = flowFinals.get(`${t.address}|${t.token_address}|${day.windowStartMs}`);
      if (final === undefined) {
        if (legsOfRow !== 0) problems.push(`no final for ${t.address} ${t.token_address} ${day.windowStartMs}`);
        continue;
      }
      rows++;
      const same =
        final.inflow_raw === t.inflow_raw &&
        final.outflow_raw === t.outflow_raw &&
        final.transfer_count === legsOfRow &&
        final.tx_count === t.tx_count &&
        final.counterparties_count === t.counterparties_count;
      if (!same)
        problems.push(
          `${t.address} ${t.token_address} ${day.windowStartMs}: columnar ${JSON.stringify(t, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
    }
  }
  if (rows !== flowFinals.size) problems.push(`${flowFinals.size} finals, ${rows} columnar rows matched`);
  if (problems.length > 0) throw new Error(`columnar kernel differs from the address stage:\n${problems.slice(0, 5).join('\n')}`);
  return rows;
}
const columnarRowsChecked = COLUMNAR ? checkColumnarTotals() : 0;

const total = time.decode + time.token + time.address;
const wallTotal = wall.decode + wall.token + wall.address;
const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;
/** `store n.nn` per transfer, largest first (stores under 0.005 left out). */
const writesByStore = (byStore: ReadonlyMap<string, number>): string =>
  [...byStore]
    .filter(([, n]) => n / transfers >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([store, n]) => `${store} ${(n / transfers).toFixed(2)}`)
    .join(', ');
const rssMb = process.resourceUsage().maxRSS / 1024;
const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
// With `node --expose-gc --import tsx …`, also report what state actually retains.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const retainedMb = gc === undefined ? undefined : process.memoryUsage().heapUsed / 2 ** 20;

console.log(
  `processors benchmark — node ${process.version}, 1 thread, ${DAYS} day(s), batch ${BATCH}, seed ${SEED}; rates per CPU-second (= per core)`,
);
console.log(
  `input: ${logs.toLocaleString('en-US')} logs → ${transfers.toLocaleString('en-US')} transfers (${rejects} rejects), ${legs.toLocaleString('en-US')} address legs`,
);
console.log(
  `outputs: ${tokenOutputs.toLocaleString('en-US')} token rows, ${flowOutputs.toLocaleString('en-US')} address rows, ${lateOutputs} late`,
);
console.log(
  `state: token ${tokenTask.store('windows').size} windows / ${tokenTask.store('distinct').size} distinct / ${tokenTask.store('buckets').size} buckets; address ${flowTask.store('windows').size} windows / ${flowTask.store('distinct').size} distinct / ${flowTask.store('buckets').size} buckets`,
);
console.log(
  `state writes per transfer: token ${(tokenTask.stats.stateChanges / transfers).toFixed(1)}, address ${(flowTask.stats.stateChanges / transfers).toFixed(1)} (after per-call coalescing); outputs per transfer: ${((tokenOutputs + flowOutputs + lateOutputs) / transfers).toFixed(2)}`,
);
console.log(`  by store, per transfer: token ${writesByStore(tokenTask.stats.stateChangesByStore)}`);
console.log(`                          address ${writesByStore(flowTask.stats.stateChangesByStore)}`);
console.log('');
console.log(`decoder alone, fast path         ${rate(fastRate, 1000)} logs`);
console.log(`decoder alone, viem decodeEventLog ${rate(viemRate, 1000)} logs   (fast path ×${(fastRate / viemRate).toFixed(1)})`);
console.log(`stage 1 erc20-decoder            ${rate(logs, time.decode)} logs    (${(time.decode / 1000).toFixed(2)} s)`);
console.log(`stage 2 token_metrics_daily      ${rate(transfers, time.token)} transfers (${(time.token / 1000).toFixed(2)} s)`);
console.log(
  `stage 3 address_flows_daily      ${rate(transfers, time.address)} transfers (${(time.address / 1000).toFixed(2)} s, ${rate(legs, time.address)} legs)`,
);
if (COLUMNAR) {
  console.log(
    `stage 3 state in columns (kernel) ${rate(transfers, time.columnar)} transfers (${(time.columnar / 1000).toFixed(2)} s, ${(time.address / time.columnar).toFixed(1)}× stage 3's rate; ADR 0022, state only: no prices, emission or checkpoints)`,
  );
  console.log(
    `  its ${columnarRowsChecked.toLocaleString('en-US')} rows equal the address stage's finals exactly (raw sums, leg, tx and counterparty counts); ${[...columnarDays.values()].reduce((n, d) => n + d.bucketCount, 0).toLocaleString('en-US')} buckets, ${[...columnarDays.values()].reduce((n, d) => n + d.pairCount, 0).toLocaleString('en-US')} distinct pairs; array buffers at the end ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MB`,
  );
}
console.log(
  `end to end (1 + 2 + 3)           ${rate(transfers, total)} transfers per core   (wall clock on this shared machine: ${rate(transfers, wallTotal)})`,
);
console.log(`decode + token_metrics_daily     ${rate(transfers, time.decode + time.token)} transfers per core`);
console.log(
  `peak RSS                         ${rssMb.toFixed(0)} MB (heap in use at the end ${heapMb.toFixed(0)} MB${retainedMb === undefined ? '' : `, ${retainedMb.toFixed(0)} MB after a full GC`})`,
);
// The paired baseline of issue 14: the same logs through the decoder kernel alone, as transfers/s.
const decodeAloneTransfersPerS = fastRate * (transfers / logs);
const endToEndPerS = transfers / (total / 1000);
console.log(
  `paired ratio                     end to end = ${((endToEndPerS / decodeAloneTransfersPerS) * 100).toFixed(1)} % of the decoder alone on the same logs (${rate(decodeAloneTransfersPerS, 1000)} transfers; issue 14: ≥ 50 %)`,
);
