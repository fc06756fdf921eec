import { describe, expect, it } from 'vitest';
import { xorshift32 } from '../../../core/xorshift.ts';
import type { TransferBatchLegs } from '../../../schemas/generated/types.ts';
import { RetractionMismatchError } from '../errors.ts';
import { ZERO, addr } from '../testing/fixtures.ts';
import {
  AddressFlowsDay,
  type AddressBatchColumns,
  type AddressFlowsBucket,
  type AddressFlowsTotals,
} from './address-flows-day.ts';
import { DayStateCorruptError } from './checkpoint-frame.ts';
import {
  applyTaskIdsDelta,
  createTaskIds,
  encodeTaskIdsDelta,
  taskIdsSizes,
  type TaskIds,
  type TaskIdsSizes,
} from './task-ids.ts';
import { CountedPairs } from './counted-pairs.ts';
import { InternerCorruptError, InvalidHexKeyError } from './hex-interner.ts';
import { LegLogCorruptError } from './leg-log.ts';
import { RowTableCorruptError } from './row-table.ts';
import { InvalidAmountError } from './uint256-limbs.ts';
import { thrown } from './testing/thrown.ts';

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

/**
 * Whether the reference can take the retraction: each leg's row exists and its transaction and counterparty are
 * counted there, as often as the batch retracts them. The day must throw exactly when this is false.
 */
function retractable(rows: ReadonlyMap<string, ReferenceRow>, batch: AddressBatchColumns): boolean {
  const taken = new Map<string, number>();
  const take = (members: Map<string, number>, key: string, member: string): boolean => {
    const used = taken.get(`${key}|${member}`) ?? 0;
    taken.set(`${key}|${member}`, used + 1);
    return (members.get(member) ?? 0) - used > 0;
  };
  for (let i = 0; i < batch.tx_hash.length; i++) {
    const [from, to, legs] = [batch.from_address[i] as string, batch.to_address[i] as string, batch.legs[i]];
    const sides: [string, string][] = [];
    if (from !== ZERO && legs !== 'in') sides.push([from, to]);
    if (to !== ZERO && legs !== 'out') sides.push([to, from]);
    for (const [address, counterparty] of sides) {
      const key = `${address}|${batch.token_address[i]}`;
      const row = rows.get(key);
      if (row === undefined || !take(row.txs, key, batch.tx_hash[i] as string)) return false;
      if (counterparty !== ZERO && !take(row.counterparties, key, counterparty)) return false;
    }
  }
  return true;
}

const asRetraction = (batch: AddressBatchColumns): AddressBatchColumns => ({ ...batch, kind: 'retraction' });

/** A batch's rows followed by another's (same block): a failure in its second half comes after changes. */
function joined(first: AddressBatchColumns, second: AddressBatchColumns): AddressBatchColumns {
  const cat = <K extends keyof AddressBatchColumns>(k: K): AddressBatchColumns[K] =>
    [...(first[k] as unknown[]), ...(second[k] as unknown[])] as AddressBatchColumns[K];
  return {
    ...first,
    tx_hash: cat('tx_hash'),
    token_address: cat('token_address'),
    from_address: cat('from_address'),
    to_address: cat('to_address'),
    amount_raw: cat('amount_raw'),
    legs: cat('legs'),
  };
}

/** A transfer batch whose last row is malformed (an amount or an address): it fails after its other rows. */
function malformed(rand: () => number): { batch: AddressBatchColumns; error: new (...args: never[]) => Error } {
  const batch = randomBatch(rand);
  const last = batch.tx_hash.length - 1;
  if (rand() < 0.5) {
    const amount_raw = batch.amount_raw.map((a, i) => (i === last ? (2n ** 256n).toString() : a));
    return { batch: { ...batch, amount_raw }, error: InvalidAmountError };
  }
  const to_address = batch.to_address.map((a, i) => (i === last ? hex('0x' + 'AB'.repeat(20)) : a));
  const legs = batch.legs.map((l, i) => (i === last ? ('both' as const) : l));
  return { batch: { ...batch, to_address, legs }, error: InvalidHexKeyError };
}

/** Everything a day answers, row by row and bucket by bucket, with the task's dictionary sizes. */
interface DayImage {
  rows: AddressFlowsTotals[];
  buckets: AddressFlowsBucket[];
  pairs: number;
  ids: TaskIdsSizes;
}

function imageOf(day: AddressFlowsDay, ids: TaskIds): DayImage {
  const buckets: AddressFlowsBucket[] = [];
  day.forEachBucket((b) => buckets.push(b));
  return {
    rows: Array.from({ length: day.rowCount }, (_, row) => day.totals(row)),
    buckets,
    pairs: day.pairCount,
    ids: taskIdsSizes(ids),
  };
}

/**
 * One random step of a day's life against the reference: transfers, retractions of applied batches (each once),
 * and ~10 % doomed records (retractions of records never applied or already retracted, alone or after valid rows;
 * malformed rows after valid ones). A record the reference cannot take must throw and change nothing.
 */
class Life {
  readonly reference = new Map<string, ReferenceRow>();
  readonly buckets: ReferenceBuckets = new Map();
  readonly applied: AddressBatchColumns[] = [];
  readonly retracted: AddressBatchColumns[] = [];
  failures = 0;
  constructor(
    readonly rand: () => number,
    readonly days: readonly { day: AddressFlowsDay; ids: TaskIds }[],
  ) {}

  /** The next record, and the error class it must fail with (undefined: it must be accepted). */
  next(): { batch: AddressBatchColumns; error?: new (...args: never[]) => Error } {
    const { rand, applied, retracted } = this;
    const r = rand();
    if (r < 0.1) {
      if (r < 0.02) return malformed(rand);
      const doomed =
        r < 0.05 || retracted.length === 0
          ? asRetraction(randomBatch(rand))
          : asRetraction(retracted[Math.floor(rand() * retracted.length)] as AddressBatchColumns);
      const batch = rand() < 0.5 && applied.length > 0 ? joined(asRetraction(applied.at(-1)!), doomed) : doomed;
      return retractable(this.reference, batch) ? { batch } : { batch, error: RetractionMismatchError };
    }
    if (applied.length > 0 && r < 0.25) {
      const batch = asRetraction(applied.splice(Math.floor(rand() * applied.length), 1)[0] as AddressBatchColumns);
      return retractable(this.reference, batch) ? { batch } : { batch, error: RetractionMismatchError };
    }
    return { batch: randomBatch(rand) };
  }

  /** Applies the next record to every day (all must agree) and, when accepted, to the reference. */
  step(): AddressBatchColumns {
    const { batch, error } = this.next();
    for (const { day, ids } of this.days) {
      if (error === undefined) {
        day.applyBatch(batch);
        continue;
      }
      const before = imageOf(day, ids);
      const failure = thrown(() => day.applyBatch(batch));
      expect(failure).toBeInstanceOf(error);
      expect(imageOf(day, ids)).toEqual(before);
    }
    if (error !== undefined) {
      this.failures++;
      return batch;
    }
    applyToReference(this.reference, batch, this.buckets);
    if (batch.kind === 'transfer') this.applied.push(batch);
    else this.retracted.push(batch);
    return batch;
  }

  expectDays(): void {
    for (const { day } of this.days) expectEqual(day, this.reference, this.buckets);
  }
}

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
  it('equals an independent recomputation after every batch; a record it cannot take changes nothing', () => {
    const rand = xorshift32(29);
    const ids = createTaskIds();
    const life = new Life(rand, [{ day: new AddressFlowsDay(DAY, ids), ids }]);
    for (let step = 0; step < 900; step++) {
      life.step();
      if (step % 50 === 49 || step === 899) life.expectDays();
    }
    // Self-transfers and zero addresses happened; sums reached uint256's top; doomed records failed mid-batch.
    expect([...life.reference.values()].some((r) => r.inflow >= 2n ** 255n)).toBe(true);
    expect(life.failures).toBeGreaterThan(50);
    expect(life.retracted.length).toBeGreaterThan(100);
  });

  it('undoes an explicit batch of several records whole, and a failing record in it alone', () => {
    const rand = xorshift32(31);
    const ids = createTaskIds();
    const day = new AddressFlowsDay(DAY, ids);
    // A twin takes the committed records one by one, outside batches.
    const twinIds = createTaskIds();
    const twin = new AddressFlowsDay(DAY, twinIds);
    const life = new Life(rand, [
      { day, ids },
      { day: twin, ids: twinIds },
    ]);
    for (let step = 0; step < 100; step++) life.step();
    // Never counted anywhere (a transaction no record has): its retraction fails, after the rows before it.
    const foreign = {
      ...randomBatch(rand),
      tx_hash: [hex(tx(1000))],
      token_address: [hex(token(0))],
      from_address: [hex(addr(1))],
      to_address: [hex(addr(2))],
      amount_raw: ['1'],
      legs: ['both' as const],
    };
    for (let round = 0; round < 30; round++) {
      const before = imageOf(day, ids);
      day.beginBatch();
      const batches = Array.from({ length: 5 }, () => randomBatch(rand));
      for (const batch of batches) day.applyBatch(batch);
      const open = imageOf(day, ids);
      expect(open).not.toEqual(before);
      expect(thrown(() => day.applyBatch(joined(asRetraction(batches[1]!), asRetraction(foreign))))).toBeInstanceOf(
        RetractionMismatchError,
      );
      expect(imageOf(day, ids)).toEqual(open);
      day.rollbackBatch();
      expect(imageOf(day, ids)).toEqual(before);
      // Committed, a batch equals its records applied one by one (failing ones refused alone inside it).
      day.beginBatch();
      for (let i = 0; i < 5; i++) life.step();
      day.commitBatch();
      expect(imageOf(day, ids)).toEqual(imageOf(twin, twinIds));
    }
    life.expectDays();
    expect(life.failures).toBeGreaterThan(5);
  });

  it('refuses batch misuse, and checkpoints inside a batch', () => {
    const day = new AddressFlowsDay(DAY, createTaskIds());
    expect(() => day.commitBatch()).toThrow(/no batch/);
    expect(() => day.rollbackBatch()).toThrow(/no batch/);
    day.beginBatch();
    expect(() => day.beginBatch()).toThrow(/do not nest/);
    expect(() => day.encodeDelta()).toThrow(/batch/);
    expect(() => day.encodeSnapshot()).toThrow(/batch/);
    day.commitBatch();
    expect(day.encodeDelta()).toBeInstanceOf(Uint8Array);
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

  it('logs a retraction as negative legs, which forEachBucket nets per (row, event time)', () => {
    const ids = createTaskIds();
    const day = new AddressFlowsDay(DAY, ids);
    const [A, B] = [addr(1), addr(2)];
    const record = (time: number, hashes: number[], amounts: string[]): AddressBatchColumns => ({
      kind: 'transfer',
      block_timestamp: DAY + time,
      tx_hash: hashes.map((h) => hex(tx(h))),
      token_address: hashes.map(() => hex(token(0))),
      from_address: hashes.map(() => hex(A)),
      to_address: hashes.map(() => hex(B)),
      amount_raw: amounts,
      legs: hashes.map(() => 'both' as const),
    });
    const early = record(1000, [1, 2], ['5', (2n ** 256n - 1n).toString()]);
    const late = record(2000, [3], ['7']);
    day.applyBatch(early);
    day.applyBatch(late);
    expect([day.legCount, day.bucketCount]).toEqual([6, 4]);
    day.applyBatch(asRetraction(early));
    // Two more entries per row: the log only grows, and the retracted (row, time) pairs stay buckets, at zero.
    expect([day.legCount, day.bucketCount]).toEqual([10, 4]);
    const buckets: AddressFlowsBucket[] = [];
    day.forEachBucket((b) => buckets.push(b));
    const [a, b] = [day.rowOf(A, token(0)), day.rowOf(B, token(0))];
    expect(buckets).toEqual([
      { row: a, offset_ms: 1000, in_raw: 0n, out_raw: 0n, in_count: 0, out_count: 0 },
      { row: b, offset_ms: 1000, in_raw: 0n, out_raw: 0n, in_count: 0, out_count: 0 },
      { row: a, offset_ms: 2000, in_raw: 0n, out_raw: 7n, in_count: 0, out_count: 1 },
      { row: b, offset_ms: 2000, in_raw: 7n, out_raw: 0n, in_count: 1, out_count: 0 },
    ] satisfies AddressFlowsBucket[]);
    // A failing retraction appends nothing (the log is truncated back), a rolled-back batch neither.
    expect(() => day.applyBatch(asRetraction(early))).toThrow(RetractionMismatchError);
    day.beginBatch();
    day.applyBatch(record(3000, [4], ['1']));
    day.rollbackBatch();
    expect([day.legCount, day.bucketCount]).toEqual([10, 4]);
  });

  it('rejects a retraction of legs it never counted', () => {
    const day = new AddressFlowsDay(DAY, createTaskIds());
    const rand = xorshift32(3);
    expect(() => day.applyBatch(randomBatch(rand, 'retraction'))).toThrow(RetractionMismatchError);
  });

  it('restores from its last snapshot and the deltas after it, then goes on exactly like the live day', () => {
    const rand = xorshift32(37);
    const ids = createTaskIds();
    const day = new AddressFlowsDay(DAY, ids);
    const life = new Life(rand, [{ day, ids }]);
    const idsDeltas: Uint8Array[] = [];
    let idsFrom: TaskIdsSizes = { addresses: 0, tokens: 0 };
    let snapshot: Uint8Array = new Uint8Array(0);
    let deltas: Uint8Array[] = [];
    const checkpoint = (step: number): void => {
      idsDeltas.push(encodeTaskIdsDelta(ids, idsFrom));
      idsFrom = taskIdsSizes(ids);
      if (step === 140 || step === 280) [snapshot, deltas] = [day.encodeSnapshot(), []];
      else deltas.push(day.encodeDelta());
    };
    for (let step = 0; step < 400; step++) {
      if (rand() < 0.1) {
        // An explicit batch of a few records, sometimes rolled back: a delta carries only what committed.
        day.beginBatch();
        for (let i = 0; i < 3; i++) day.applyBatch(randomBatch(rand));
        day.rollbackBatch();
      }
      life.step();
      if (step % 7 === 0 || step === 140 || step === 280 || step === 399) checkpoint(step);
    }
    expect(deltas.length).toBeGreaterThan(10);
    // A delta after records that all failed is empty: a refused record leaves nothing to write.
    deltas.push(day.encodeDelta()); // every delta encoded is kept: each carries its sequence number
    const empty = deltas.at(-1)!.length;
    const doomed = { ...asRetraction(randomBatch(rand)), tx_hash: [hex(tx(1000))], token_address: [hex(token(0))] };
    for (let i = 0; i < 5; i++) expect(() => day.applyBatch({ ...doomed, ...oneRow(doomed) })).toThrow();
    deltas.push(day.encodeDelta());
    expect(deltas.at(-1)!.length).toBe(empty);
    idsDeltas.push(encodeTaskIdsDelta(ids, idsFrom));

    const restoredIds = createTaskIds();
    for (const bytes of idsDeltas) applyTaskIdsDelta(restoredIds, bytes);
    expect(taskIdsSizes(restoredIds)).toEqual(taskIdsSizes(ids));
    const restored = AddressFlowsDay.restore(DAY, restoredIds, snapshot, deltas);
    expect(imageOf(restored, restoredIds)).toEqual(imageOf(day, ids));
    expectEqual(restored, life.reference, life.buckets);

    // Both go on with the same records, retractions of records applied before the snapshot included.
    const both = new Life(rand, [
      { day, ids },
      { day: restored, ids: restoredIds },
    ]);
    Object.assign(both, { reference: life.reference, buckets: life.buckets });
    both.applied.push(...life.applied);
    both.retracted.push(...life.retracted);
    for (let step = 0; step < 200; step++) both.step();
    both.expectDays();
    expect(imageOf(restored, restoredIds)).toEqual(imageOf(day, ids));
    // Their next checkpoints are the same bytes: the restored day tracks changes and sequence numbers like the live one.
    expect(restored.encodeDelta()).toEqual(day.encodeDelta());
    expect(both.failures).toBeGreaterThan(5);
  });

  it('throws DayStateCorruptError on bytes that are not a checkpoint of the day, or do not fit together', () => {
    const rand = xorshift32(41);
    const ids = createTaskIds();
    const day = new AddressFlowsDay(DAY, ids);
    const life = new Life(rand, [{ day, ids }]);
    for (let step = 0; step < 30; step++) life.step();
    const snapshot = day.encodeSnapshot();
    for (let step = 0; step < 10; step++) life.step();
    const first = day.encodeDelta();
    for (let step = 0; step < 10; step++) life.step();
    const second = day.encodeDelta();
    const idsBytes = encodeTaskIdsDelta(ids, { addresses: 0, tokens: 0 });
    const restore = (base: Uint8Array, deltas: Uint8Array[], window = DAY, taskIds?: TaskIds): AddressFlowsDay => {
      const restoredIds = taskIds ?? createTaskIds();
      if (taskIds === undefined) applyTaskIdsDelta(restoredIds, idsBytes);
      return AddressFlowsDay.restore(window, restoredIds, base, deltas);
    };
    expect(imageOf(restore(snapshot, [first, second]), ids)).toEqual(imageOf(day, ids));
    // The whole day's log (rows the snapshot lacks included), for a log referring to rows that do not exist.
    const later = restore(snapshot, [first, second]).encodeSnapshot();
    expect(day.rowCount).toBeGreaterThan(restore(snapshot, []).rowCount);

    const edited = (bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array => {
      const copy = bytes.slice();
      edit(new DataView(copy.buffer));
      return copy;
    };
    const cases: [string, () => unknown, RegExp, (new (...args: never[]) => Error)?][] = [
      ['empty', () => restore(new Uint8Array(0), []), /shorter/],
      ['truncated', () => restore(snapshot.subarray(0, snapshot.length - 1), []), /truncated/],
      ['trailing', () => restore(new Uint8Array([...snapshot, 0]), []), /after the last section/],
      [
        'magic',
        () =>
          restore(
            edited(snapshot, (v) => v.setUint8(0, 0)),
            [],
          ),
        /magic/,
      ],
      [
        'version',
        () =>
          restore(
            edited(snapshot, (v) => v.setUint16(4, 1, true)),
            [],
          ),
        /version/,
      ],
      ['a delta as the snapshot', () => restore(first, []), /kind/],
      ['another day', () => restore(snapshot, [], DAY + 86_400_000), /another|day starting/],
      ['a delta missing', () => restore(snapshot, [second]), /sequence/],
      ['a delta twice', () => restore(snapshot, [first, first]), /sequence/],
      [
        'section count',
        () =>
          restore(
            edited(snapshot, (v) => v.setUint32(20, 4, true)),
            [],
          ),
        /sections/,
      ],
      ['ids the task lacks', () => restore(snapshot, [], DAY, createTaskIds()), /ids the task does not hold/],
      [
        'a table layout',
        () =>
          restore(
            edited(snapshot, (v) => v.setUint32(24 + 4 + 4, 7, true)),
            [],
          ),
        /layout/,
        RowTableCorruptError,
      ],
      ['a pair missing', () => restore(snapshot, [withSection(first, 2, emptyPairs()), second]), /distinct counts/],
      ['a table delta for a snapshot', () => restore(withSection(snapshot, 0, section(first, 0)), []), /delta in its place/],
      [
        'a log tail missing',
        () => restore(snapshot, [withSection(first, 1, section(second, 1)), second]),
        /gap/,
        LegLogCorruptError,
      ],
      [
        'a log tail twice',
        () => restore(snapshot, [first, withSection(second, 1, section(first, 1))]),
        /overlap/,
        LegLogCorruptError,
      ],
      [
        'legs of rows that do not exist',
        () => restore(withSection(snapshot, 1, section(later, 1)), []),
        /row that does not exist/,
      ],
      [
        'transactions missing',
        () => restore(snapshot, [withSection(first, 4, section(snapshot, 4)), second]),
        /overlap|gap/,
        InternerCorruptError,
      ],
    ];
    for (const [name, action, message, cause] of cases) {
      let error: unknown;
      try {
        action();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeDefined();
      expect(error, name).toBeInstanceOf(DayStateCorruptError);
      expect(error, name).toMatchObject({
        code: 'ORACUL_DAY_STATE_CORRUPT',
        retryable: false,
        message: expect.stringMatching(message),
      });
      if (cause !== undefined) expect((error as Error).cause, name).toBeInstanceOf(cause);
    }

    // A task ids delta applies once, in order; a failed one changes nothing.
    const restoredIds = createTaskIds();
    applyTaskIdsDelta(restoredIds, idsBytes);
    const sizes = taskIdsSizes(restoredIds);
    for (const bytes of [idsBytes, snapshot, idsBytes.subarray(0, idsBytes.length - 3)]) {
      expect(() => applyTaskIdsDelta(restoredIds, bytes)).toThrow(DayStateCorruptError);
      expect(taskIdsSizes(restoredIds)).toEqual(sizes);
    }
    // Tokens out of step with addresses: the addresses it appended are taken back.
    const skewed = withSection(
      encodeTaskIdsDelta(ids, { addresses: 0, tokens: 0 }),
      1,
      section(encodeTaskIdsDelta(ids, sizes), 1),
    );
    const fresh = createTaskIds();
    expect(thrown(() => applyTaskIdsDelta(fresh, skewed))).toMatchObject({ cause: expect.any(InternerCorruptError) });
    expect(taskIdsSizes(fresh)).toEqual({ addresses: 0, tokens: 0 });
  });
});

/** The first row of a batch, as a batch's columns. */
function oneRow(batch: AddressBatchColumns): Partial<AddressBatchColumns> {
  return {
    from_address: batch.from_address.slice(0, 1),
    to_address: [hex(addr(1))],
    amount_raw: batch.amount_raw.slice(0, 1),
    legs: ['both'],
  };
}

/** Section `i` of a checkpoint container (24-byte header, then u32 length + bytes per section). */
function section(bytes: Uint8Array, i: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 24;
  for (let k = 0; k < i; k++) pos += 4 + view.getUint32(pos, true);
  return bytes.subarray(pos + 4, pos + 4 + view.getUint32(pos, true));
}

/** The container with section `i` replaced. */
function withSection(bytes: Uint8Array, i: number, replacement: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(20, true);
  const parts = Array.from({ length: count }, (_, k) => (k === i ? replacement : section(bytes, k)));
  const out = new Uint8Array(24 + parts.reduce((n, p) => n + 4 + p.length, 0));
  out.set(bytes.subarray(0, 24));
  let pos = 24;
  for (const part of parts) {
    new DataView(out.buffer).setUint32(pos, part.length, true);
    out.set(part, pos + 4);
    pos += 4 + part.length;
  }
  return out;
}

const emptyPairs = (): Uint8Array => CountedPairs.encodeChanges(new CountedPairs().takeChanges());

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
