import type { TransferBatch } from '../../../schemas/generated/types.ts';
import { ZERO_ADDRESS } from '../../erc20/transfer-event.ts';
import { RetractionMismatchError } from '../errors.ts';
import { CountedPairs } from './counted-pairs.ts';
import { HexInterner } from './hex-interner.ts';
import { IntPairIndex } from './int-pair-index.ts';
import { RowTable, type ColumnSpec } from './row-table.ts';
import {
  LIMBS,
  LIMB_OPS_BEFORE_NORMALIZE,
  addLimbsAt,
  limbsAtToBigInt,
  normalizeAt,
  parseDecimalToLimbs,
} from './uint256-limbs.ts';

/**
 * One open UTC day of `address_flows_daily` in columns (ADR 0022): a row per (address, token) with exact raw sums
 * as uint256 limbs, counts, and distinct transaction and counterparty counts kept exact by counted (row, member)
 * pairs; a bucket per (row, event time) with the raw sums a final's USD is settled from. Addresses and tokens are
 * the task's interned ids, transaction hashes the day's. Nothing here allocates per leg.
 *
 * This is the state kernel: the processor around it (prices, emission, versions, late routing, checkpoints) is
 * still daily-aggregator.ts over key-value stores until the engine hosts table state (ADR 0022, amendment).
 */

/** Dictionaries shared by every day of a task: ids never leave it (outputs carry the strings). */
export interface TaskIds {
  readonly addresses: HexInterner;
  readonly tokens: HexInterner;
}

export function createTaskIds(expectedAddresses = 4096): TaskIds {
  return { addresses: new HexInterner(20, expectedAddresses), tokens: new HexInterner(20) };
}

const ROW_COLUMNS = [
  { name: 'address', type: 'i32' },
  { name: 'token', type: 'i32' },
  { name: 'in_raw', type: 'f64', width: LIMBS },
  { name: 'out_raw', type: 'f64', width: LIMBS },
  { name: 'in_count', type: 'i32' },
  { name: 'out_count', type: 'i32' },
  { name: 'tx_count', type: 'i32' },
  { name: 'counterparties', type: 'i32' },
  /** Limb operations since the row's sums were last normalised (exactness bound, uint256-limbs.ts). */
  { name: 'ops', type: 'i32' },
] as const satisfies readonly ColumnSpec[];

const BUCKET_COLUMNS = [
  { name: 'row', type: 'i32' },
  /** Event time minus the window start, ms (a day fits an int32). */
  { name: 'offset_ms', type: 'i32' },
  { name: 'in_raw', type: 'f64', width: LIMBS },
  { name: 'out_raw', type: 'f64', width: LIMBS },
  { name: 'in_count', type: 'i32' },
  { name: 'out_count', type: 'i32' },
  { name: 'ops', type: 'i32' },
] as const satisfies readonly ColumnSpec[];

/** The offsets within a row of a table with exact sums per side, and its stride. */
interface SumColumns {
  readonly stride: number;
  readonly inRaw: number;
  readonly outRaw: number;
  readonly ops: number;
}

/**
 * A table's stride and named column offsets, camel-cased (`in_raw` → `inRaw`), fetched once: hot paths read value k
 * of a column at `data[row · stride + offset + k]`.
 */
function columnOffsets<const C extends readonly ColumnSpec[]>(
  table: RowTable,
  columns: C,
): Record<CamelCase<C[number]['name']>, number> & { readonly stride: number } {
  const offsets: Record<string, number> = { stride: table.stride };
  for (const { name } of columns) offsets[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = table.offsetOf(name);
  return offsets as Record<CamelCase<C[number]['name']>, number> & { readonly stride: number };
}
type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** A row rendered exactly (BigInt only here). */
export interface AddressFlowsTotals {
  readonly address: string;
  readonly token_address: string;
  readonly inflow_raw: bigint;
  readonly outflow_raw: bigint;
  readonly in_count: number;
  readonly out_count: number;
  readonly tx_count: number;
  readonly counterparties_count: number;
}

/** A bucket rendered exactly: the raw sums of a row's legs at one event time. */
export interface AddressFlowsBucket {
  readonly row: number;
  /** Event time minus the window start. */
  readonly offset_ms: number;
  readonly in_raw: bigint;
  readonly out_raw: bigint;
  readonly in_count: number;
  readonly out_count: number;
}

/** The fields of a by-address batch record the state reads. */
export type AddressBatchColumns = Pick<
  TransferBatch,
  'kind' | 'block_timestamp' | 'tx_hash' | 'token_address' | 'from_address' | 'to_address' | 'amount_raw' | 'legs'
>;

const OUT = 0;
const IN = 1;

export class AddressFlowsDay {
  readonly rows: RowTable;
  readonly buckets: RowTable;
  private readonly rowIndex: IntPairIndex;
  private readonly bucketIndex: IntPairIndex;
  private readonly txs: HexInterner;
  private readonly txPairs: CountedPairs;
  private readonly counterpartyPairs: CountedPairs;
  /** One transfer's amount, parsed once for both its legs. */
  private readonly amount = new Uint32Array(LIMBS);
  /** Offsets of the columns within a row, and the stride, of each table. */
  private readonly R: ReturnType<typeof columnOffsets<typeof ROW_COLUMNS>>;
  private readonly B: ReturnType<typeof columnOffsets<typeof BUCKET_COLUMNS>>;

  /**
   * @param expectedLegs sizes the tables up front (e.g. the legs of the task's previous day): growing a large typed
   * array copies it, and each new array's external memory can start a full garbage collection of the heap.
   */
  constructor(
    readonly windowStartMs: number,
    private readonly ids: TaskIds,
    expectedLegs = 4096,
  ) {
    const legs = Math.max(1024, expectedLegs);
    this.rows = new RowTable(ROW_COLUMNS, legs / 2);
    this.buckets = new RowTable(BUCKET_COLUMNS, legs);
    this.rowIndex = new IntPairIndex(legs);
    this.bucketIndex = new IntPairIndex(legs * 2);
    this.txs = new HexInterner(32, legs);
    this.txPairs = new CountedPairs(legs * 2);
    this.counterpartyPairs = new CountedPairs(legs * 2);
    this.R = columnOffsets(this.rows, ROW_COLUMNS);
    this.B = columnOffsets(this.buckets, BUCKET_COLUMNS);
  }

  /** Every leg a batch record carries for this task (all its rows must fall in this day). */
  applyBatch(batch: AddressBatchColumns): void {
    const sign = batch.kind === 'retraction' ? -1 : 1;
    const offsetMs = batch.block_timestamp - this.windowStartMs;
    for (let i = 0; i < batch.tx_hash.length; i++) {
      const legs = batch.legs[i];
      const from = batch.from_address[i] as string;
      const to = batch.to_address[i] as string;
      parseDecimalToLimbs(batch.amount_raw[i] as string, this.amount);
      const token = this.ids.tokens.intern(batch.token_address[i] as string);
      const tx = this.txs.intern(batch.tx_hash[i] as string);
      const fromId = from === ZERO_ADDRESS ? -1 : this.ids.addresses.intern(from);
      const toId = to === ZERO_ADDRESS ? -1 : this.ids.addresses.intern(to);
      if (fromId >= 0 && legs !== 'in') this.applyLeg(fromId, token, OUT, toId, tx, offsetMs, sign);
      if (toId >= 0 && legs !== 'out') this.applyLeg(toId, token, IN, fromId, tx, offsetMs, sign);
    }
  }

  get rowCount(): number {
    return this.rows.rowCount;
  }

  get bucketCount(): number {
    return this.buckets.rowCount;
  }

  get pairCount(): number {
    return this.txPairs.size + this.counterpartyPairs.size;
  }

  /** Each bucket's raw sums (what a final's USD is settled from), in the order buckets were created. */
  forEachBucket(fn: (bucket: AddressFlowsBucket) => void): void {
    const { B } = this;
    const data = this.buckets.data;
    for (let bucket = 0; bucket < this.buckets.rowCount; bucket++) {
      const base = bucket * B.stride;
      fn({
        row: data[base + B.row] as number,
        offset_ms: data[base + B.offsetMs] as number,
        in_raw: limbsAtToBigInt(data, base + B.inRaw),
        out_raw: limbsAtToBigInt(data, base + B.outRaw),
        in_count: data[base + B.inCount] as number,
        out_count: data[base + B.outCount] as number,
      });
    }
  }

  /** The row of (address, token), or −1. */
  rowOf(address: string, token: string): number {
    const a = this.ids.addresses.find(address);
    const t = this.ids.tokens.find(token);
    return a < 0 || t < 0 ? -1 : this.rowIndex.find(a, t);
  }

  totals(row: number): AddressFlowsTotals {
    if (row >>> 0 !== row || row >= this.rows.rowCount) throw new RangeError(`no row ${row} (rowCount ${this.rows.rowCount})`);
    const { R } = this;
    const data = this.rows.data;
    const base = row * R.stride;
    return {
      address: this.ids.addresses.hexOf(data[base + R.address] as number),
      token_address: this.ids.tokens.hexOf(data[base + R.token] as number),
      inflow_raw: limbsAtToBigInt(data, base + R.inRaw),
      outflow_raw: limbsAtToBigInt(data, base + R.outRaw),
      in_count: data[base + R.inCount] as number,
      out_count: data[base + R.outCount] as number,
      tx_count: data[base + R.txCount] as number,
      counterparties_count: data[base + R.counterparties] as number,
    };
  }

  /** One leg: the row's sums, counts and distinct members, and its event time's bucket. */
  private applyLeg(
    address: number,
    token: number,
    side: number,
    counterparty: number,
    tx: number,
    offsetMs: number,
    sign: 1 | -1,
  ): void {
    const row = this.rowFor(address, token, sign);
    const { R } = this;
    this.rows.touch(row);
    // Fetched after rowFor: adding a row may have replaced the backing array. touch checked the row, so base is in range.
    const data = this.rows.data;
    const base = row * R.stride;
    addLimbsAt(data, base + (side === IN ? R.inRaw : R.outRaw), this.amount, 0, sign);
    data[base + (side === IN ? R.inCount : R.outCount)]! += sign;
    if (sign > 0) {
      if (this.txPairs.add(row, tx)) data[base + R.txCount]! += 1;
      if (counterparty >= 0 && this.counterpartyPairs.add(row, counterparty)) data[base + R.counterparties]! += 1;
    } else {
      if (this.txPairs.count(row, tx) === 0) throw this.mismatch(row, 'a transaction');
      if (counterparty >= 0 && this.counterpartyPairs.count(row, counterparty) === 0) throw this.mismatch(row, 'a counterparty');
      if (this.txPairs.remove(row, tx)) data[base + R.txCount]! -= 1;
      if (counterparty >= 0 && this.counterpartyPairs.remove(row, counterparty)) data[base + R.counterparties]! -= 1;
    }
    countOp(data, base, R);
    this.applyToBucket(row, side, offsetMs, sign);
  }

  private rowFor(address: number, token: number, sign: 1 | -1): number {
    const before = this.rowIndex.size;
    const row = this.rowIndex.idOf(address, token);
    if (row < before) return row;
    if (sign < 0) {
      this.rowIndex.truncate(before);
      throw new RetractionMismatchError(
        'address_flows_daily',
        `${this.ids.addresses.hexOf(address)}:${this.ids.tokens.hexOf(token)}`,
        'a record',
      );
    }
    this.rows.addRow();
    const { R } = this;
    const data = this.rows.data;
    data[row * R.stride + R.address] = address;
    data[row * R.stride + R.token] = token;
    return row;
  }

  private applyToBucket(row: number, side: number, offsetMs: number, sign: 1 | -1): void {
    const before = this.bucketIndex.size;
    const bucket = this.bucketIndex.idOf(row, offsetMs);
    const { buckets, B } = this;
    if (bucket === before) buckets.addRow();
    buckets.touch(bucket);
    const data = buckets.data;
    const base = bucket * B.stride;
    if (bucket === before) {
      data[base + B.row] = row;
      data[base + B.offsetMs] = offsetMs;
    }
    addLimbsAt(data, base + (side === IN ? B.inRaw : B.outRaw), this.amount, 0, sign);
    data[base + (side === IN ? B.inCount : B.outCount)]! += sign;
    countOp(data, base, B);
  }

  private mismatch(row: number, what: string): RetractionMismatchError {
    const totals = this.totals(row);
    return new RetractionMismatchError('address_flows_daily', `${totals.address}:${totals.token_address}`, what);
  }
}

/** Counts a limb operation on the row at `base`; normalises its sums (both sides) once the exactness bound is reached. */
function countOp(data: Float64Array, base: number, columns: SumColumns): void {
  const n = (data[base + columns.ops] as number) + 1;
  if (n < LIMB_OPS_BEFORE_NORMALIZE) {
    data[base + columns.ops] = n;
    return;
  }
  normalizeAt(data, base + columns.inRaw);
  normalizeAt(data, base + columns.outRaw);
  data[base + columns.ops] = 0;
}
