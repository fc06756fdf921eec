import { describe, expect, it } from 'vitest';
import { xorshift32 } from '../../../core/xorshift.ts';
import type { TransferBatchLegs } from '../../../schemas/generated/types.ts';
import { RetractionMismatchError } from '../errors.ts';
import { ZERO, addr } from '../testing/fixtures.ts';
import { AddressFlowsDay, createTaskIds, type AddressBatchColumns, type AddressFlowsTotals } from './address-flows-day.ts';

const DAY = Date.parse('2024-01-01T00:00:00Z');
/** The batch schema types hashes and addresses as `0x…` template strings. */
const hex = (text: string): `0x${string}` => text as `0x${string}`;
const tx = (n: number): string => '0x' + n.toString(16).padStart(64, '0');
const token = (n: number): string => '0x' + (0xaa00 + n).toString(16).padStart(40, '0');

/** The independent recomputation: legs into Maps, sums in BigInt, distinct members as counted Maps. */
interface ReferenceRow {
  inflow: bigint;
  outflow: bigint;
  inCount: number;
  outCount: number;
  txs: Map<string, number>;
  counterparties: Map<string, number>;
}

function countMember(members: Map<string, number>, member: string, sign: number): void {
  members.set(member, (members.get(member) ?? 0) + sign);
}

/** Raw sums per (address, token, event time): `in,out,inCount,outCount`. */
type ReferenceBuckets = Map<string, [bigint, bigint, number, number]>;

function applyToReference(rows: Map<string, ReferenceRow>, batch: AddressBatchColumns, buckets: ReferenceBuckets): void {
  const sign = batch.kind === 'retraction' ? -1 : 1;
  for (let i = 0; i < batch.tx_hash.length; i++) {
    const [from, to, legs] = [batch.from_address[i] as string, batch.to_address[i] as string, batch.legs[i]];
    const amount = BigInt(batch.amount_raw[i] as string) * BigInt(sign);
    const sides: [string, 'in' | 'out', string][] = [];
    if (from !== ZERO && legs !== 'in') sides.push([from, 'out', to]);
    if (to !== ZERO && legs !== 'out') sides.push([to, 'in', from]);
    for (const [address, side, counterparty] of sides) {
      const key = `${address}|${batch.token_address[i]}`;
      const row = rows.get(key) ?? {
        inflow: 0n,
        outflow: 0n,
        inCount: 0,
        outCount: 0,
        txs: new Map(),
        counterparties: new Map(),
      };
      rows.set(key, row);
      if (side === 'in') [row.inflow, row.inCount] = [row.inflow + amount, row.inCount + sign];
      else [row.outflow, row.outCount] = [row.outflow + amount, row.outCount + sign];
      const bucketKey = `${key}|${batch.block_timestamp - DAY}`;
      const bucket = buckets.get(bucketKey) ?? [0n, 0n, 0, 0];
      buckets.set(bucketKey, bucket);
      if (side === 'in') [bucket[0], bucket[2]] = [bucket[0] + amount, bucket[2] + sign];
      else [bucket[1], bucket[3]] = [bucket[1] + amount, bucket[3] + sign];
      countMember(row.txs, batch.tx_hash[i] as string, sign);
      if (counterparty !== ZERO) countMember(row.counterparties, counterparty, sign);
    }
  }
}

const distinct = (members: Map<string, number>): number => [...members.values()].filter((n) => n > 0).length;

function randomBatch(rand: () => number, kind: 'transfer' | 'retraction' = 'transfer'): AddressBatchColumns {
  const rows = 1 + Math.floor(rand() * 8);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)] as T;
  const address = (): string => (rand() < 0.05 ? ZERO : addr(1 + Math.floor(rand() * 30)));
  const amount = (): string =>
    rand() < 0.1
      ? (2n ** 256n - 1n - BigInt(Math.floor(rand() * 1000))).toString()
      : (BigInt(Math.floor(rand() * 2 ** 40)) * 10n ** BigInt(Math.floor(rand() * 30))).toString();
  const columns = Array.from({ length: rows }, () => ({
    tx: tx(Math.floor(rand() * 50)),
    token: token(Math.floor(rand() * 3)),
    from: address(),
    to: address(),
    amount: amount(),
    legs: pick<TransferBatchLegs>(['both', 'both', 'both', 'in', 'out']),
  }));
  return {
    kind,
    block_timestamp: DAY + Math.floor(rand() * 86_400) * 1000,
    tx_hash: columns.map((c) => hex(c.tx)),
    token_address: columns.map((c) => hex(c.token)),
    from_address: columns.map((c) => hex(c.from)),
    to_address: columns.map((c) => hex(c.to)),
    amount_raw: columns.map((c) => c.amount),
    legs: columns.map((c) => c.legs),
  };
}

describe('AddressFlowsDay (columnar address_flows_daily state)', () => {
  it('equals an independent recomputation after every batch, retractions of earlier blocks included', () => {
    const rand = xorshift32(29);
    const day = new AddressFlowsDay(DAY, createTaskIds());
    const reference = new Map<string, ReferenceRow>();
    const buckets: ReferenceBuckets = new Map();
    const applied: AddressBatchColumns[] = [];
    for (let step = 0; step < 600; step++) {
      const retract = applied.length > 0 && rand() < 0.15;
      const batch = retract
        ? { ...(applied.splice(Math.floor(rand() * applied.length), 1)[0] as AddressBatchColumns), kind: 'retraction' as const }
        : randomBatch(rand);
      if (!retract) applied.push(batch);
      day.applyBatch(batch);
      applyToReference(reference, batch, buckets);
      if (step % 50 === 49 || step === 599) expectEqual(day, reference, buckets);
    }
    // Self-transfers and zero addresses happened; sums reached uint256's top.
    expect([...reference.values()].some((r) => r.inflow >= 2n ** 255n)).toBe(true);
  });

  it('counts a self-transfer as both legs, its address once as counterparty, and never the zero address', () => {
    const day = new AddressFlowsDay(DAY, createTaskIds());
    const [A, B] = [addr(1), addr(2)];
    const batch = (from: string, to: string, amount: string, hash: number): AddressBatchColumns => ({
      kind: 'transfer',
      block_timestamp: DAY + 1000,
      tx_hash: [hex(tx(hash))],
      token_address: [hex(token(0))],
      from_address: [hex(from)],
      to_address: [hex(to)],
      amount_raw: [amount],
      legs: ['both'],
    });
    day.applyBatch(batch(A, A, '7', 1));
    day.applyBatch(batch(ZERO, A, '100', 2));
    day.applyBatch(batch(A, B, '3', 2));
    expect(day.totals(day.rowOf(A, token(0)))).toEqual({
      address: A,
      token_address: token(0),
      inflow_raw: 107n,
      outflow_raw: 10n,
      in_count: 2,
      out_count: 2,
      tx_count: 2,
      counterparties_count: 2,
    } satisfies AddressFlowsTotals);
    expect(day.rowOf(ZERO, token(0))).toBe(-1);
    expect(day.bucketCount).toBe(2);
  });

  it('rejects a retraction of legs it never counted', () => {
    const day = new AddressFlowsDay(DAY, createTaskIds());
    const rand = xorshift32(3);
    expect(() => day.applyBatch(randomBatch(rand, 'retraction'))).toThrow(RetractionMismatchError);
  });
});

function expectEqual(day: AddressFlowsDay, reference: ReadonlyMap<string, ReferenceRow>, buckets: ReferenceBuckets): void {
  const seen: ReferenceBuckets = new Map();
  day.forEachBucket((b) => {
    const { address, token_address } = day.totals(b.row);
    seen.set(`${address}|${token_address}|${b.offset_ms}`, [b.in_raw, b.out_raw, b.in_count, b.out_count]);
  });
  expect(seen).toEqual(buckets);
  expect(day.rowCount).toBe(reference.size);
  for (const [key, r] of reference) {
    const [address, tokenAddress] = key.split('|') as [string, string];
    const row = day.rowOf(address, tokenAddress);
    expect(row).toBeGreaterThanOrEqual(0);
    expect(day.totals(row)).toEqual({
      address,
      token_address: tokenAddress,
      inflow_raw: r.inflow,
      outflow_raw: r.outflow,
      in_count: r.inCount,
      out_count: r.outCount,
      tx_count: distinct(r.txs),
      counterparties_count: distinct(r.counterparties),
    });
  }
}
