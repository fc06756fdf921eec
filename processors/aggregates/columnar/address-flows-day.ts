import type { TransferBatch } from '../../../schemas/generated/types.ts';
import { ZERO_ADDRESS } from '../../erc20/transfer-event.ts';
import { RetractionMismatchError } from '../errors.ts';
import { DayStateCorruptError, KIND_DELTA, KIND_SNAPSHOT, frame, restoring, unframe, type Sections } from './checkpoint-frame.ts';
import { CountedPairs } from './counted-pairs.ts';
import { HexInterner } from './hex-interner.ts';
import { IntPairIndex } from './int-pair-index.ts';
import { LegLog } from './leg-log.ts';
import { RowTable, type ColumnSpec } from './row-table.ts';
import { truncateTo, type TaskIds } from './task-ids.ts';
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
 * pairs; a log of every leg (row, event time, side, sign, amount), append-only, from which the raw sums per (row,
 * event time) a final's USD is settled from are aggregated on demand ({@link AddressFlowsDay.forEachBucket}).
 * Addresses and tokens are the task's interned ids, transaction hashes the day's. Nothing here allocates per leg.
 *
 * A batch record is applied all or nothing (ADR 0022, decision 6): a retraction that does not match leaves no trace,
 * in the day nor in the task's dictionaries. An engine groups a transaction's records with {@link
 * AddressFlowsDay.beginBatch} … commitBatch / rollbackBatch. Checkpoints are the day's bytes ({@link
 * AddressFlowsDay.encodeSnapshot}) and the bytes of the rows and pairs changed and the legs logged since ({@link
 * AddressFlowsDay.encodeDelta}), ADR 0022's refinement of decision 5; the task's dictionaries have their own deltas
 * (task-ids.ts), restored before the days.
 *
 * This is the state kernel: the processor around it (prices, emission, versions, late routing, storing checkpoints)
 * is still daily-aggregator.ts over key-value stores until the engine hosts table state (ADR 0022, amendment).
 */

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

/**
 * A bucket rendered exactly: the net raw sums of a row's legs at one event time (a (row, event time) whose legs were
 * all retracted is still a bucket, with zero sums and counts).
 */
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
  /** Every leg applied, in order; a retraction's legs are entries of sign −1. */
  readonly legs: LegLog;
  /** Rebuilt from the key columns on restore: (address, token) → row. */
  private rowIndex: IntPairIndex;
  private readonly txs: HexInterner;
  private txPairs: CountedPairs;
  private counterpartyPairs: CountedPairs;
  /**
   * A record's rows, parsed and interned before anything else changes: each row's amount (LIMBS limbs, for both its
   * legs) and its token, transaction, from and to ids (−1: the zero address). Grown for larger records.
   */
  private amounts = new Uint32Array(LIMBS * 256);
  private keys = new Int32Array(KEYS * 256);
  /** Offsets of the columns within a row, and the stride, of the row table. */
  private readonly R: ReturnType<typeof columnOffsets<typeof ROW_COLUMNS>>;
  /** Whether an explicit batch ({@link beginBatch}) is open. */
  private explicit = false;
  /** Sizes of the append-only parts at the explicit batch's start, and at the current applyBatch call's. */
  private readonly batchSizes = new Int32Array(SIZES);
  private readonly callSizes = new Int32Array(SIZES);
  /** The sequence number of the last checkpoint encoded or restored, and the transactions it covered. */
  private checkpointSequence = 0;
  private checkpointTxs = 0;
  private checkpointLegs = 0;

  /**
   * @param expectedLegs sizes the tables up front (e.g. the legs of the task's previous day): growing a large typed
   * array copies it, and each new array's external memory can start a full garbage collection of the heap.
   */
  constructor(
    readonly windowStartMs: number,
    private readonly ids: TaskIds,
    expectedLegs = 4096,
  ) {
    // Ratios of a mainnet-shaped day (scripts/bench/address-day-state.ts): ~0.4 rows and ~0.92 pairs of each kind per
    // leg, one log entry per leg; hash tables (sized in slots) grow past a load of 0.6; transactions grow as needed.
    const legs = Math.max(1024, expectedLegs);
    this.rows = new RowTable(ROW_COLUMNS, legs * 0.45);
    this.legs = new LegLog(legs);
    this.rowIndex = new IntPairIndex(legs * 0.75);
    this.txs = new HexInterner(32, legs / 4);
    this.txPairs = new CountedPairs(legs * 1.6);
    this.counterpartyPairs = new CountedPairs(legs * 1.6);
    this.R = columnOffsets(this.rows, ROW_COLUMNS);
  }

  /**
   * Every leg a batch record carries for this task (all its rows must fall in this day). All or nothing: when it
   * throws (a retraction that does not match, a malformed amount or key), the day and the task's dictionaries are as
   * before the call and the error is the one raised. Outside an explicit batch the call is its own batch; inside one
   * it is undone alone on a throw, and otherwise kept until the batch commits or rolls back.
   *
   * Every row is parsed and interned first (a failure there only takes back the new ids). After that a transfer
   * record cannot fail on its data, so outside an explicit batch it runs without undo logs, the hot path; only
   * exhausting memory or int32 ids (a RangeError, after which the task restores from its checkpoint) could stop it
   * midway. Retractions, which fail when they do not match, and explicit batches log their changes to undo them.
   */
  applyBatch(batch: AddressBatchColumns): void {
    const sign = batch.kind === 'retraction' ? -1 : 1;
    const logged = this.explicit || sign < 0;
    if (logged) this.openCall();
    this.recordSizes(this.callSizes);
    try {
      this.parse(batch);
      if (logged) this.applyRows(batch, sign);
    } catch (error) {
      if (logged) this.undoCall();
      else this.truncateParts(this.callSizes);
      throw error;
    }
    if (!logged) this.applyRows(batch, sign);
    else if (!this.explicit) this.commitParts();
  }

  /**
   * Starts a batch of applyBatch calls (one transaction) kept or undone together. A rollback also takes back the ids
   * the batch added to the task's dictionaries, which the task's other days may have used meanwhile: while one day has
   * a batch open, the others take records only inside batches of the same transaction, committed or rolled back with
   * it (in any order).
   */
  beginBatch(): void {
    if (this.explicit) throw new Error('AddressFlowsDay: a batch is already open (batches do not nest)');
    this.openParts();
    this.recordSizes(this.batchSizes);
    this.explicit = true;
  }

  commitBatch(): void {
    this.requireBatch('commitBatch');
    this.commitParts();
    this.explicit = false;
  }

  /** The day and the task's dictionaries as at {@link beginBatch}. */
  rollbackBatch(): void {
    this.requireBatch('rollbackBatch');
    this.rollbackParts(this.batchSizes);
    this.explicit = false;
  }

  /**
   * Every table of the day, to rebuild it with {@link AddressFlowsDay.restore}; the next delta starts here. The
   * task's dictionaries are not in it (task-ids.ts has their deltas). Not inside an open batch.
   */
  encodeSnapshot(): Uint8Array {
    this.requireNoBatch('encodeSnapshot');
    const sections = [
      this.rows.encodeSnapshot(),
      this.legs.encodeFrom(0),
      this.txPairs.encode(),
      this.counterpartyPairs.encode(),
      this.txs.encodeFrom(0),
    ];
    this.rows.discardChanges();
    this.checkpointLegs = this.legs.length;
    this.txPairs.takeChanges();
    this.counterpartyPairs.takeChanges();
    this.checkpointTxs = this.txs.size;
    return frame(KIND_SNAPSHOT, this.windowStartMs, ++this.checkpointSequence, sections);
  }

  /**
   * The rows and pairs changed, and the legs logged and transactions interned, since the last checkpoint (delta or
   * snapshot): what a commit writes (ADR 0022, refinement of decision 5). Every delta must be kept and restored in
   * order, each carries its sequence number. Not inside an open batch.
   */
  encodeDelta(): Uint8Array {
    this.requireNoBatch('encodeDelta');
    const sections = [
      this.rows.encodeRows(this.rows.takeChangedRows()),
      this.legs.encodeFrom(this.checkpointLegs),
      CountedPairs.encodeChanges(this.txPairs.takeChanges()),
      CountedPairs.encodeChanges(this.counterpartyPairs.takeChanges()),
      this.txs.encodeFrom(this.checkpointTxs),
    ];
    this.checkpointTxs = this.txs.size;
    this.checkpointLegs = this.legs.length;
    return frame(KIND_DELTA, this.windowStartMs, ++this.checkpointSequence, sections);
  }

  /**
   * The day of a snapshot and the deltas encoded after it, in order. `ids` must already hold every id the bytes
   * refer to (restore the task's dictionaries first). The row index is rebuilt from the key columns, and the day is
   * checked whole (ids in range, keys unique, distinct counts = pairs, sums exact, logged legs of existing rows)
   * before it is returned.
   * @throws DayStateCorruptError on bytes that are not such a checkpoint of this day, or do not fit together.
   */
  static restore(windowStartMs: number, ids: TaskIds, snapshot: Uint8Array, deltas: readonly Uint8Array[]): AddressFlowsDay {
    const base = unframe(snapshot, KIND_SNAPSHOT, 'snapshot');
    const day = new AddressFlowsDay(windowStartMs, ids, 0);
    day.checkWindow(base.windowStartMs, 'snapshot');
    const [rows, legs, txPairs, counterpartyPairs, txs] = base.sections as Sections;
    restoring('snapshot', () => {
      day.applyTableBytes(day.rows, rows, true, 'snapshot rows');
      day.legs.appendEncoded(legs);
      day.txPairs = CountedPairs.decode(txPairs);
      day.counterpartyPairs = CountedPairs.decode(counterpartyPairs);
      day.txs.appendEncoded(txs);
    });
    let sequence = base.sequence;
    deltas.forEach((bytes, i) => {
      const part = `delta ${i}`;
      const delta = unframe(bytes, KIND_DELTA, part);
      day.checkWindow(delta.windowStartMs, part);
      if (delta.sequence !== sequence + 1)
        throw new DayStateCorruptError(`${part} has sequence ${delta.sequence}, expected ${sequence + 1}`, { part });
      sequence = delta.sequence;
      const [rows, legs, txPairs, counterpartyPairs, txs] = delta.sections as Sections;
      restoring(part, () => {
        day.applyTableBytes(day.rows, rows, false, `${part} rows`);
        day.legs.appendEncoded(legs);
        day.txPairs.applyChanges(CountedPairs.decodeChanges(txPairs));
        day.counterpartyPairs.applyChanges(CountedPairs.decodeChanges(counterpartyPairs));
        day.txs.appendEncoded(txs);
      });
    });
    day.txPairs.takeChanges();
    day.counterpartyPairs.takeChanges();
    day.rebuildRowIndex();
    day.checkRestored();
    day.checkpointSequence = sequence;
    day.checkpointTxs = day.txs.size;
    day.checkpointLegs = day.legs.length;
    return day;
  }

  get rowCount(): number {
    return this.rows.rowCount;
  }

  /**
   * The (row, event time) pairs with any leg logged, retracted ones included (as the buckets of {@link forEachBucket}).
   * Aggregates the log (a sort of its entries): not for hot paths.
   */
  get bucketCount(): number {
    return this.legs.bucketCount();
  }

  /** Legs logged (a retraction's legs included). */
  get legCount(): number {
    return this.legs.length;
  }

  get pairCount(): number {
    return this.txPairs.size + this.counterpartyPairs.size;
  }

  /**
   * Each bucket's net raw sums (what a final's USD is settled from): per (row, event time) with any leg logged, in the
   * order of each one's first leg. Aggregated from the log here (a sort of its entries): not for hot paths.
   */
  forEachBucket(fn: (bucket: AddressFlowsBucket) => void): void {
    this.legs.forEachBucket(fn);
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

  /** Each row's amount into `amounts` and its ids into `keys`: everything about a record that can be malformed. */
  private parse(batch: AddressBatchColumns): void {
    const n = batch.tx_hash.length;
    if (n * KEYS > this.keys.length) {
      this.keys = new Int32Array(KEYS * 2 * n);
      this.amounts = new Uint32Array(LIMBS * 2 * n);
    }
    const { keys, amounts } = this;
    const { addresses, tokens } = this.ids;
    for (let i = 0, k = 0; i < n; i++, k += KEYS) {
      const from = batch.from_address[i] as string;
      const to = batch.to_address[i] as string;
      parseDecimalToLimbs(batch.amount_raw[i] as string, amounts, i * LIMBS);
      keys[k] = tokens.intern(batch.token_address[i] as string);
      keys[k + 1] = this.txs.intern(batch.tx_hash[i] as string);
      keys[k + 2] = from === ZERO_ADDRESS ? -1 : addresses.intern(from);
      keys[k + 3] = to === ZERO_ADDRESS ? -1 : addresses.intern(to);
    }
  }

  /** The legs of a parsed record. */
  private applyRows(batch: AddressBatchColumns, sign: 1 | -1): void {
    const offsetMs = batch.block_timestamp - this.windowStartMs;
    const keys = this.keys;
    for (let i = 0, k = 0; i < batch.tx_hash.length; i++, k += KEYS) {
      const legs = batch.legs[i];
      const token = keys[k] as number;
      const tx = keys[k + 1] as number;
      const fromId = keys[k + 2] as number;
      const toId = keys[k + 3] as number;
      if (fromId >= 0 && legs !== 'in') this.applyLeg(fromId, token, OUT, toId, tx, offsetMs, sign, i * LIMBS);
      if (toId >= 0 && legs !== 'out') this.applyLeg(toId, token, IN, fromId, tx, offsetMs, sign, i * LIMBS);
    }
  }

  /** One leg: the row's sums, counts and distinct members, and its entry in the leg log. */
  private applyLeg(
    address: number,
    token: number,
    side: number,
    counterparty: number,
    tx: number,
    offsetMs: number,
    sign: 1 | -1,
    amountAt: number,
  ): void {
    const row = this.rowFor(address, token, sign);
    const { R } = this;
    this.rows.touch(row);
    // Fetched after rowFor: adding a row may have replaced the backing array. touch checked the row, so base is in range.
    const data = this.rows.data;
    const base = row * R.stride;
    addLimbsAt(data, base + (side === IN ? R.inRaw : R.outRaw), this.amounts, amountAt, sign);
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
    this.legs.append(row, offsetMs, side === IN, sign, this.amounts, amountAt);
  }

  /** The row of (address, token), added for a transfer; a retraction of a row never counted is a mismatch. */
  private rowFor(address: number, token: number, sign: 1 | -1): number {
    if (sign < 0) {
      const row = this.rowIndex.find(address, token);
      if (row >= 0) return row;
      throw new RetractionMismatchError(
        'address_flows_daily',
        `${this.ids.addresses.hexOf(address)}:${this.ids.tokens.hexOf(token)}`,
        'a record',
      );
    }
    const before = this.rowIndex.size;
    const row = this.rowIndex.idOf(address, token);
    if (row < before) return row;
    this.rows.addRow();
    const { R } = this;
    const data = this.rows.data;
    data[row * R.stride + R.address] = address;
    data[row * R.stride + R.token] = token;
    return row;
  }

  private mismatch(row: number, what: string): RetractionMismatchError {
    const totals = this.totals(row);
    return new RetractionMismatchError('address_flows_daily', `${totals.address}:${totals.token_address}`, what);
  }

  /** A logged applyBatch call starts: its own batch, or a savepoint of the explicit one. */
  private openCall(): void {
    if (this.explicit) {
      this.rows.savepoint();
      this.txPairs.savepoint();
      this.counterpartyPairs.savepoint();
    } else {
      this.openParts();
    }
  }

  /** A logged call threw: back to its start, the explicit batch (if any) still open. */
  private undoCall(): void {
    if (!this.explicit) {
      this.rollbackParts(this.callSizes);
      return;
    }
    this.rows.rollbackToSavepoint();
    this.txPairs.rollbackToSavepoint();
    this.counterpartyPairs.rollbackToSavepoint();
    this.truncateParts(this.callSizes);
  }

  private openParts(): void {
    this.rows.beginBatch();
    this.txPairs.beginBatch();
    this.counterpartyPairs.beginBatch();
  }

  private commitParts(): void {
    this.rows.commitBatch();
    this.txPairs.commitBatch();
    this.counterpartyPairs.commitBatch();
  }

  private rollbackParts(sizes: Int32Array): void {
    this.rows.rollbackBatch();
    this.txPairs.rollbackBatch();
    this.counterpartyPairs.rollbackBatch();
    this.truncateParts(sizes);
  }

  /** The append-only parts' sizes: the tables' undo does not cover their index, the leg log and the interners. */
  private recordSizes(sizes: Int32Array): void {
    sizes[ROW_INDEX] = this.rowIndex.size;
    sizes[LEGS] = this.legs.length;
    sizes[TXS] = this.txs.size;
    sizes[ADDRESSES] = this.ids.addresses.size;
    sizes[TOKENS] = this.ids.tokens.size;
  }

  private truncateParts(sizes: Int32Array): void {
    this.rowIndex.truncate(sizes[ROW_INDEX] as number);
    this.legs.truncate(sizes[LEGS] as number);
    this.txs.truncate(sizes[TXS] as number);
    // Another day's rollback may have truncated the task's dictionaries further already.
    truncateTo(this.ids.addresses, sizes[ADDRESSES] as number);
    truncateTo(this.ids.tokens, sizes[TOKENS] as number);
  }

  private requireBatch(what: string): void {
    if (!this.explicit) throw new Error(`AddressFlowsDay.${what}: no batch is open`);
  }

  private requireNoBatch(what: string): void {
    if (this.explicit) throw new Error(`AddressFlowsDay.${what}: not allowed while a batch is open`);
  }

  private checkWindow(windowStartMs: number, part: string): void {
    if (windowStartMs !== this.windowStartMs)
      throw new DayStateCorruptError(`${part} is of the day starting ${windowStartMs}, not ${this.windowStartMs}`, {
        part,
        windowStartMs,
      });
  }

  /**
   * A table's section: a snapshot must be one, a delta must carry every row it adds (a day's deltas list each new
   * row), which also bounds what a corrupt row count could make the table allocate.
   */
  private applyTableBytes(table: RowTable, bytes: Uint8Array, snapshot: boolean, section: string): void {
    const header = table.peekEncoded(bytes);
    if (header.snapshot !== snapshot)
      throw new DayStateCorruptError(`${section}: a table ${header.snapshot ? 'snapshot' : 'delta'} in its place`, { section });
    if (header.rowCount - table.rowCount > header.rows)
      throw new DayStateCorruptError(`${section}: adds rows it does not carry`, { section, ...header });
    table.applyEncoded(bytes);
  }

  /** The row index from the table's key columns: ids in range, each key once. */
  private rebuildRowIndex(): void {
    const { R } = this;
    const rowCount = this.rows.rowCount;
    this.rowIndex = new IntPairIndex(2 * rowCount);
    const data = this.rows.data;
    for (let row = 0; row < rowCount; row++) {
      const address = data[row * R.stride + R.address] as number;
      const token = data[row * R.stride + R.token] as number;
      if (!isId(address, this.ids.addresses.size) || !isId(token, this.ids.tokens.size))
        throw new DayStateCorruptError(`row ${row} refers to ids the task does not hold`, { row, address, token });
      const first = this.rowIndex.idOf(address, token);
      if (first !== row) throw new DayStateCorruptError(`row ${row} repeats the key of row ${first}`, { row, first });
    }
  }

  /** Pairs and logged legs refer to rows (and members) that exist, distinct counts equal the pairs, sums are exact. */
  private checkRestored(): void {
    const { R } = this;
    const rowCount = this.rows.rowCount;
    const counts = new Int32Array(2 * rowCount);
    const tally = (pairs: CountedPairs, members: number, at: number, name: string): void =>
      pairs.forEach((row, member) => {
        if (row >= rowCount || member >= members)
          throw new DayStateCorruptError(`a ${name} pair refers to ids that do not exist`, { row, member });
        counts[2 * row + at]!++;
      });
    tally(this.txPairs, this.txs.size, 0, 'transaction');
    tally(this.counterpartyPairs, this.ids.addresses.size, 1, 'counterparty');
    const data = this.rows.data;
    for (let row = 0; row < rowCount; row++) {
      const base = row * R.stride;
      if (data[base + R.txCount] !== counts[2 * row] || data[base + R.counterparties] !== counts[2 * row + 1])
        throw new DayStateCorruptError(`row ${row}'s distinct counts differ from its pairs`, { row });
      if (!exactSums(data, base, R)) throw new DayStateCorruptError(`row ${row}'s sums are not exact`, { row });
    }
    const entry = this.legs.firstEntryBeyond(rowCount);
    if (entry >= 0)
      throw new DayStateCorruptError(`logged leg ${entry} refers to a row that does not exist`, { entry, rowCount });
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

/** Whether a sum's slots (both sides) and operation count are what applying legs leaves: exact integers in bound. */
function exactSums(data: Float64Array, base: number, columns: SumColumns): boolean {
  const ops = data[base + columns.ops] as number;
  if (!(ops >= 0 && ops < LIMB_OPS_BEFORE_NORMALIZE)) return false;
  for (let k = 0; k < LIMBS; k++) {
    if (!Number.isSafeInteger(data[base + columns.inRaw + k]) || !Number.isSafeInteger(data[base + columns.outRaw + k]))
      return false;
  }
  return true;
}

function isId(value: number, size: number): boolean {
  return value >= 0 && value < size;
}

/** Ids per parsed row: token, transaction, from, to. */
const KEYS = 4;

/** Indexes into the recorded sizes of the append-only parts. */
const ROW_INDEX = 0;
const LEGS = 1;
const TXS = 2;
const ADDRESSES = 3;
const TOKENS = 4;
const SIZES = 5;
