/**
 * Benchmark: the columnar day state of `address_flows_daily` (ADR 0022, processors/aggregates/columnar/) alone: one
 * day's by-address batch records applied to `AddressFlowsDay`, no engine, no Kafka, no prices or emission. Paired in
 * the same run with the input floor: the same batches' amounts parsed into limbs and every character of their
 * addresses and hashes read, which any state layout must do.
 *
 *   npx tsx scripts/bench/address-day-state.ts [--transfers 300000] [--addresses 600000] [--tokens 5000] [--seed 7]
 *   node --expose-gc --import tsx scripts/bench/address-day-state.ts --transfers 1200000   (a mainnet-sized day)
 *
 * Batches are generated before anything is timed: 170 transfers per block, Zipf-distributed tokens and addresses
 * (as scripts/bench/processors.ts), a new transaction hash for ~10 % of the transfers, 1 % mints, and a retraction
 * of 0.1 % of the blocks later in the day. Prints CPU per transfer (process.cpuUsage, all threads) and wall time of
 * both, their ratio, the 1-minute load average, the day's rows, buckets and distinct pairs and the memory of its
 * typed arrays; then checks 2,000 random rows against an independent recomputation (BigInt, Maps) from the batches.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { xorshift32 } from '../../core/xorshift.ts';
import { ZERO_ADDRESS } from '../../processors/erc20/transfer-event.ts';
import { AddressFlowsDay, type AddressBatchColumns } from '../../processors/aggregates/columnar/address-flows-day.ts';
import { createTaskIds } from '../../processors/aggregates/columnar/task-ids.ts';
import { LIMBS, parseDecimalToLimbs } from '../../processors/aggregates/columnar/uint256-limbs.ts';
import { numberArg } from './args.ts';
import { zipf } from './zipf.ts';

const TRANSFERS = numberArg('transfers', 300_000);
const ADDRESSES = numberArg('addresses', 600_000);
const TOKENS = numberArg('tokens', 5_000);
const SEED = numberArg('seed', 7);
const PER_BLOCK = 170;
const DAY = Date.parse('2024-05-01T00:00:00Z');
const rand = xorshift32(SEED);

type Hex = `0x${string}`;
const hex = (n: number, width: number): Hex => `0x${n.toString(16).padStart(width, '0')}`;

/** The day's batch records in arrival order, retractions included. */
function generateBatches(): AddressBatchColumns[] {
  const pickAddress = zipf(ADDRESSES, 1.05, rand);
  const pickToken = zipf(TOKENS, 1.2, rand);
  const addresses = Array.from({ length: ADDRESSES }, (_, i) => hex(0x100000 + i * 7919, 40));
  const tokens = Array.from({ length: TOKENS }, (_, i) => hex(0xa0000 + i, 40));
  const batches: AddressBatchColumns[] = [];
  const pendingReorgs: AddressBatchColumns[] = [];
  let tx = 0;
  for (let done = 0; done < TRANSFERS; done += PER_BLOCK) {
    const batch: AddressBatchColumns & { [K in 'tx_hash' | 'token_address' | 'from_address' | 'to_address']: Hex[] } = {
      kind: 'transfer',
      block_timestamp: DAY + Math.floor((done / TRANSFERS) * 86_400) * 1000,
      tx_hash: [],
      token_address: [],
      from_address: [],
      to_address: [],
      amount_raw: [],
      legs: [],
    };
    for (let i = 0; i < PER_BLOCK; i++) {
      if (rand() < 0.1) tx++;
      batch.tx_hash.push(hex(tx, 64));
      batch.token_address.push(tokens[pickToken()] as Hex);
      batch.from_address.push(rand() < 0.01 ? ZERO_ADDRESS : (addresses[pickAddress()] as Hex));
      batch.to_address.push(addresses[pickAddress()] as Hex);
      batch.amount_raw.push((BigInt(Math.floor(rand() * 2 ** 40)) * 10n ** BigInt(Math.floor(rand() * 12))).toString());
      batch.legs.push('both');
    }
    batches.push(batch);
    if (rand() < 0.001) pendingReorgs.push({ ...batch, kind: 'retraction' });
    if (pendingReorgs.length > 0 && rand() < 0.01) batches.push(pendingReorgs.shift() as AddressBatchColumns);
  }
  return batches;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and CPU ms of `fn`. */
function timed(fn: () => void): { wallMs: number; cpuMs: number } {
  const w0 = performance.now();
  const c0 = cpuMs();
  fn();
  return { wallMs: performance.now() - w0, cpuMs: cpuMs() - c0 };
}

/** The input floor: every amount into limbs, every character of the row's keys read. */
function readInputs(batches: readonly AddressBatchColumns[]): number {
  const limbs = new Uint32Array(LIMBS);
  let checksum = 0;
  for (const b of batches) {
    for (let i = 0; i < b.tx_hash.length; i++) {
      parseDecimalToLimbs(b.amount_raw[i] as string, limbs);
      checksum += limbs[0] as number;
      for (const text of [b.tx_hash[i], b.token_address[i], b.from_address[i], b.to_address[i]] as string[])
        for (let c = 2; c < text.length; c++) checksum += text.charCodeAt(c);
    }
  }
  return checksum;
}

/** 2,000 random rows recomputed from the batches with BigInt and Maps: raw sums, leg counts, distinct counts. */
function checkSample(day: AddressFlowsDay, batches: readonly AddressBatchColumns[]): number {
  const sample = new Map<
    string,
    { inflow: bigint; outflow: bigint; legs: number; txs: Map<string, number>; counterparties: Map<string, number> }
  >();
  for (let i = 0; i < 2000 && i < day.rowCount; i++) {
    const t = day.totals(Math.floor(rand() * day.rowCount));
    sample.set(`${t.address}|${t.token_address}`, {
      inflow: 0n,
      outflow: 0n,
      legs: 0,
      txs: new Map(),
      counterparties: new Map(),
    });
  }
  const count = (m: Map<string, number>, k: string, sign: number): Map<string, number> => m.set(k, (m.get(k) ?? 0) + sign);
  for (const b of batches) {
    const sign = b.kind === 'retraction' ? -1 : 1;
    for (let i = 0; i < b.tx_hash.length; i++) {
      const [from, to, token] = [b.from_address[i], b.to_address[i], b.token_address[i]] as string[];
      for (const [address, other, side] of [
        [from, to, 'out'],
        [to, from, 'in'],
      ] as const) {
        const r = address === ZERO_ADDRESS ? undefined : sample.get(`${address}|${token}`);
        if (r === undefined) continue;
        const amount = BigInt(b.amount_raw[i] as string) * BigInt(sign);
        if (side === 'in') r.inflow += amount;
        else r.outflow += amount;
        r.legs += sign;
        count(r.txs, b.tx_hash[i] as string, sign);
        if (other !== ZERO_ADDRESS) count(r.counterparties, other as string, sign);
      }
    }
  }
  const distinct = (m: Map<string, number>): number => [...m.values()].filter((n) => n > 0).length;
  for (const [key, r] of sample) {
    const [address, token] = key.split('|') as [string, string];
    const t = day.totals(day.rowOf(address, token));
    const same =
      t.inflow_raw === r.inflow &&
      t.outflow_raw === r.outflow &&
      t.in_count + t.out_count === r.legs &&
      t.tx_count === distinct(r.txs) &&
      t.counterparties_count === distinct(r.counterparties);
    if (!same) throw new Error(`address-day-state: row ${key} differs from the recomputation`);
  }
  return sample.size;
}

const batches = generateBatches();
const legs = 2 * TRANSFERS;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const buffersBefore = process.memoryUsage().arrayBuffers;
let checksum = 0;
const floor = timed(() => (checksum = readInputs(batches)));
const ids = createTaskIds(ADDRESSES);
const day = new AddressFlowsDay(DAY, ids, legs);
const state = timed(() => {
  for (const batch of batches) day.applyBatch(batch);
});
gc?.();
const stateBytes = process.memoryUsage().arrayBuffers - buffersBefore;
const perTransfer = (ms: number): string => `${((ms * 1000) / TRANSFERS).toFixed(2)} µs`;
const rate = (ms: number): string => `${Math.round(TRANSFERS / (ms / 1000)).toLocaleString('en-US')}/s`;
console.log(
  `address day state benchmark — node ${process.version}, ${TRANSFERS.toLocaleString('en-US')} transfers in ${batches.length.toLocaleString('en-US')} batch records, ${ADDRESSES.toLocaleString('en-US')} addresses, ${TOKENS} tokens (input checksum ${checksum % 1000})`,
);
console.log(
  `input floor (amounts into limbs, keys read)  ${perTransfer(floor.cpuMs)} CPU per transfer, ${rate(floor.cpuMs)} (wall ${(floor.wallMs / 1000).toFixed(2)} s)`,
);
console.log(
  `AddressFlowsDay.applyBatch                    ${perTransfer(state.cpuMs)} CPU per transfer, ${rate(state.cpuMs)} (wall ${(state.wallMs / 1000).toFixed(2)} s); ${(state.cpuMs / floor.cpuMs).toFixed(1)}× the input floor`,
);
console.log(
  `day: ${day.rowCount.toLocaleString('en-US')} rows, ${day.bucketCount.toLocaleString('en-US')} buckets, ${day.pairCount.toLocaleString('en-US')} distinct pairs, ${ids.addresses.size.toLocaleString('en-US')} interned addresses; typed arrays ${(stateBytes / 2 ** 20).toFixed(0)} MB${gc === undefined ? ' (run with node --expose-gc for a figure after collection)' : ''} (sized for ${legs.toLocaleString('en-US')} legs up front); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
console.log(
  `checked against an independent recomputation: ${checkSample(day, batches)} random rows equal; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
