import { NonRetryableError } from '../../../core/errors.ts';

/** Checkpoint bytes a table cannot apply: another column layout, truncated or trailing bytes, rows out of range. */
export class RowTableCorruptError extends NonRetryableError {
  override readonly name = 'RowTableCorruptError';
  constructor(reason: string, details: Record<string, unknown>) {
    super('ORACUL_ROW_TABLE_CORRUPT', `row table bytes: ${reason}`, { details });
  }
}

/**
 * A fixed numeric column: `width` values per row (an exact uint256 sum is `f64` × 8 limbs). Every value is held as a
 * double; `i32` declares integer content (counts, ids), which the checkpoint bytes store as int32.
 */
export interface ColumnSpec {
  readonly name: string;
  readonly type: 'i32' | 'f64';
  /** Values per row, 1 by default. */
  readonly width?: number;
}

const TAG_ROWS = 1;
const TAG_SNAPSHOT = 2;
const TYPE_CODES = { i32: 1, f64: 2 } as const;
/** Generations stay below 2^30: a row's state, generation · 2 + mark, is then an int32 for bit operations. */
const MAX_GENERATION = 2 ** 30 - 1;
/** Row ids are int32s; the bound also stops a corrupt header from allocating gigabytes. */
const MAX_ROWS = 2 ** 31 - 1;

/**
 * A growable table of rows with fixed numeric columns (ADR 0022), row-major: one `Float64Array` holds every row
 * contiguously, {@link stride} doubles per row, the columns in schema order within a row, then one double the table
 * keeps for itself (the row's change mark and undo stamp, read at every touch: in the row's own cache lines, so a
 * touch reads no memory but the row's, instead of side arrays indexed by row). No object per row. A row is updated at
 * random (one leg touches one row), so keeping its values together costs one or two cache lines per update instead
 * of one per column, and saving a row for undo is one contiguous copy.
 *
 * Rows are dense ids 0 … rowCount − 1; value k of a column is `data[row · stride + offsetOf(column) + k]`. Columns
 * declared `i32` hold doubles too: integers, exact up to 2^53, which must be int32 when encoded. The backing array is
 * replaced when the table grows ({@link addRow}, {@link applyEncoded}): re-fetch {@link data} after either, never keep
 * it across them. Rows at and past rowCount are always zero: {@link addRow} does not zero, and a rollback, a clear and a
 * smaller snapshot zero the rows they drop.
 *
 * Writers call {@link touch} before changing a row's values: it records the row for the next checkpoint and, inside a
 * batch, saves the row's values the first time so {@link rollbackBatch} can restore them. A {@link savepoint} inside a
 * batch starts a new segment of the undo log (rows are saved again at their first touch after it), so
 * {@link rollbackToSavepoint} can undo one part of a batch, e.g. one failed record of a transaction, and keep the rest.
 *
 * Checkpoint bytes (little-endian throughout; the same bytes as the earlier column-per-array layout wrote):
 * ```
 * u32 tag               1 = rows (a delta), 2 = snapshot (every row; ids implicit)
 * u32 C                 column count
 * C × (u32 type, u32 w) type 1 = i32, 2 = f64; w values per row
 * u32 names             FNV-1a of the column names (a reordered or renamed schema does not match)
 * u32 rowCount          the table's row count when encoded
 * u32 n                 rows in this record (= rowCount in a snapshot)
 * n × u32               the row ids (deltas only)
 * per column, in schema order: n × w values (i32: 4 bytes, f64: 8 bytes), row after row
 * ```
 * The bytes stay column by column (similar values side by side, int32 counts and ids at half the size); encoding and
 * applying walk the rows once and write or read each column's run at its own position.
 * A checkpoint is a snapshot plus the deltas of the changed rows after it, applied in order.
 */
export class RowTable {
  private readonly offsetByName = new Map<string, number>();
  private readonly widths: readonly number[];
  /** Each column's first double within a row. */
  private readonly offsets: readonly number[];
  private readonly ints: readonly boolean[];
  private readonly rowStride: number;
  /** The table's own double within a row: undo generation · 2 + change mark (1 while listed in `changed`). */
  private readonly stateAt: number;
  /** Bytes per row of each column, and of the columns before it, in the encoding. */
  private readonly columnBytes: readonly number[];
  private readonly bytesBefore: readonly number[];
  /** Bytes of one row over every column, in the encoding. */
  private readonly rowBytes: number;
  /** The encoded layout between the tag and rowCount. */
  private readonly layout: Uint8Array;
  private values: Float64Array;
  private rows = 0;
  private capacity: number;

  /** The rows changed since the last take, each once (its mark says whether it is listed). */
  private changed: Int32Array;
  private changedCount = 0;

  private batchOpen = false;
  /** rowCount and changedCount when the batch began: what a rollback returns to. */
  private batchRows = 0;
  private batchChanged = 0;
  /** rowCount, changedCount and undoCount at the latest savepoint (the batch's start when there is none). */
  private savepointRows = 0;
  private savepointChanged = 0;
  private savepointUndo = 0;
  /**
   * One per batch and per savepoint; a row's state holds the generation whose undo segment has its copy (stamps beat
   * clearing a bitset per batch).
   */
  private generation = 0;
  private undoRows: Int32Array;
  /** The saved rows, `stride` doubles each, in the order of `undoRows`. */
  private undoValues: Float64Array;
  private undoCount = 0;

  constructor(columns: readonly ColumnSpec[], initialRows = 1024) {
    const seen = new Set<string>();
    columns.forEach((spec) => checkSpec(spec, seen));
    this.widths = columns.map((spec) => spec.width ?? 1);
    this.ints = columns.map((spec) => spec.type === 'i32');
    this.offsets = prefixSums(this.widths);
    this.stateAt = this.widths.reduce((sum, w) => sum + w, 0);
    this.rowStride = this.stateAt + 1;
    columns.forEach((spec, c) => this.offsetByName.set(spec.name, this.offsets[c] as number));
    this.columnBytes = this.widths.map((w, c) => w * (this.ints[c] ? 4 : 8));
    this.bytesBefore = prefixSums(this.columnBytes);
    this.rowBytes = this.columnBytes.reduce((sum, b) => sum + b, 0);
    this.layout = encodeLayout(columns, this.widths);
    // Exactly as asked (a day sized like the previous one): a power of two would waste up to half of a large table.
    this.capacity = Math.max(16, Math.ceil(initialRows));
    this.values = new Float64Array(this.capacity * this.rowStride);
    this.changed = new Int32Array(this.capacity);
    this.undoRows = new Int32Array(64);
    this.undoValues = new Float64Array(64 * this.rowStride);
  }

  get rowCount(): number {
    return this.rows;
  }

  /**
   * The current backing array, every row contiguous (replaced when the table grows: re-fetch after {@link addRow}).
   * Write only the columns: a row's last double is the table's.
   */
  get data(): Float64Array {
    return this.values;
  }

  /** Doubles per row: the sum of the column widths, plus the table's own. */
  get stride(): number {
    return this.rowStride;
  }

  /** The column's first double within a row: its value k of row r is `data[r · stride + offsetOf(name) + k]`. */
  offsetOf(name: string): number {
    const offset = this.offsetByName.get(name);
    if (offset === undefined) throw new RangeError(`no column ${JSON.stringify(name)}`);
    return offset;
  }

  /** A new row, zeroed, recorded as changed (so the next delta carries it even if never touched). */
  addRow(): number {
    const row = this.rows;
    if (row === MAX_ROWS) throw new RangeError(`a row table holds at most ${MAX_ROWS} rows`);
    if (row === this.capacity) this.grow(row + 1);
    // Rows at and past rowCount are always zero (rollback, clear and a smaller snapshot zero what they drop).
    this.rows = row + 1;
    this.mark(row);
    return row;
  }

  /**
   * Call before changing a row's values: records it for the next checkpoint and, the first time in a batch, saves its
   * values for a rollback (rows added in the batch need none: a rollback drops them). Idempotent and cheap.
   */
  touch(row: number): void {
    if ((row | 0) !== row || row < 0 || row >= this.rows) throw new RangeError(`no row ${row} (rowCount ${this.rows})`);
    const state = this.values[row * this.rowStride + this.stateAt] as number;
    if ((state & 1) === 0) this.mark(row);
    // Rows added since the savepoint need no copy: undoing the segment drops them.
    if (this.batchOpen && row < this.savepointRows && state >> 1 !== this.generation) this.saveUndo(row);
  }

  /** Starts a batch: everything until {@link commitBatch} or {@link rollbackBatch} is kept or undone together. */
  beginBatch(): void {
    if (this.batchOpen) throw new Error('RowTable: a batch is already open (batches do not nest)');
    this.batchOpen = true;
    this.batchRows = this.rows;
    this.batchChanged = this.changedCount;
    this.undoCount = 0;
    this.startSegment();
  }

  commitBatch(): void {
    this.requireBatch('commitBatch');
    this.batchOpen = false;
    this.undoCount = 0;
  }

  /** Restores the touched rows, drops the added ones, and forgets the change marks the batch made. */
  rollbackBatch(): void {
    this.requireBatch('rollbackBatch');
    this.undoTo(0, this.batchRows, this.batchChanged);
    this.batchOpen = false;
  }

  /**
   * Inside a batch: marks the point {@link rollbackToSavepoint} returns to, replacing the previous savepoint. Costs a
   * copy of each row at its first touch after it (once per segment instead of once per batch).
   */
  savepoint(): void {
    this.requireBatch('savepoint');
    this.startSegment();
  }

  /**
   * Undoes what the batch did since its latest savepoint (since its start when there is none); the batch stays open
   * and the savepoint stays where it was.
   */
  rollbackToSavepoint(): void {
    this.requireBatch('rollbackToSavepoint');
    this.undoTo(this.savepointUndo, this.savepointRows, this.savepointChanged);
    // The segment's copies are gone: rows touched from here on must be saved again.
    this.startSegment();
  }

  /** The rows changed since the last take, ascending, for the next delta; clears the marks. Not inside a batch. */
  takeChangedRows(): Int32Array {
    this.requireNoBatch('takeChangedRows');
    const rows = this.changed.slice(0, this.changedCount).sort();
    this.forgetChanges();
    return rows;
  }

  /** Forgets the changed rows without listing them (after a snapshot, which carries every row). Not inside a batch. */
  discardChanges(): void {
    this.requireNoBatch('discardChanges');
    this.forgetChanges();
  }

  /** Drops every row, keeps the capacity. A checkpoint after a clear must be a snapshot (deltas never shrink). */
  clear(): void {
    this.requireNoBatch('clear');
    this.zeroRows(0, this.rows);
    this.rows = 0;
    this.forgetChanges();
  }

  /**
   * A delta: the given rows' values (and the row count, which covers rows added since).
   * @throws RangeError on a row out of range, or an `i32` column holding a value that is not an int32.
   */
  encodeRows(rows: Int32Array | readonly number[]): Uint8Array {
    const n = rows.length;
    for (let i = 0; i < n; i++) {
      const row = rows[i] as number;
      if ((row | 0) !== row || row < 0 || row >= this.rows)
        throw new RangeError(`cannot encode row ${row} (rowCount ${this.rows})`);
    }
    const out = new Uint8Array(this.headerBytes() + n * (4 + this.rowBytes));
    const view = new DataView(out.buffer);
    let pos = this.writeHeader(out, view, TAG_ROWS, n);
    for (let i = 0; i < n; i++, pos += 4) view.setUint32(pos, rows[i] as number, true);
    this.writeValues(view, pos, rows, n);
    return out;
  }

  /**
   * Every row.
   * @throws RangeError when an `i32` column holds a value that is not an int32.
   */
  encodeSnapshot(): Uint8Array {
    const n = this.rows;
    const out = new Uint8Array(this.headerBytes() + n * this.rowBytes);
    const view = new DataView(out.buffer);
    this.writeValues(view, this.writeHeader(out, view, TAG_SNAPSHOT, n), null, n);
    return out;
  }

  /**
   * Applies a snapshot (replaces the table) or a delta (grows to its row count, zeroed, then writes its rows). Does not
   * record changes: this is a restore. All or nothing: the bytes are checked before anything is written.
   * @throws RowTableCorruptError on another column layout, a wrong length, a delta that shrinks the table or names a
   * row beyond its row count.
   */
  applyEncoded(bytes: Uint8Array): void {
    this.requireNoBatch('applyEncoded');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { snapshot, rowCount, n } = this.readHeader(bytes, view);
    let pos = this.headerBytes();
    const ids = snapshot ? null : readIds(view, pos, n, rowCount);
    if (ids !== null) pos += 4 * n;
    if (snapshot) this.forgetChanges();
    if (rowCount > this.capacity) this.grow(rowCount);
    if (rowCount < this.rows) this.zeroRows(rowCount, this.rows);
    this.rows = rowCount;
    this.readValues(view, pos, ids, n);
  }

  /**
   * The header of checkpoint bytes, checked as {@link applyEncoded} checks it, without applying anything: lets a caller
   * bound what a delta may add before the table grows to it.
   * @throws RowTableCorruptError as {@link applyEncoded}.
   */
  peekEncoded(bytes: Uint8Array): { readonly snapshot: boolean; readonly rowCount: number; readonly rows: number } {
    const { snapshot, rowCount, n } = this.readHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { snapshot, rowCount, rows: n };
  }

  /**
   * Writes the values of rows `rows[0 … n−1]` (rows 0 … n−1 when null) from `pos` on: one pass over the rows, each
   * column's value run at its own position (the bytes are column by column).
   */
  private writeValues(view: DataView, pos: number, rows: ArrayLike<number> | null, n: number): void {
    const { values, rowStride: stride, offsets, widths, ints, columnBytes, bytesBefore } = this;
    for (let i = 0; i < n; i++) {
      const row = rows === null ? i : (rows[i] as number);
      for (let c = 0; c < widths.length; c++) {
        const w = widths[c] as number;
        const from = row * stride + (offsets[c] as number);
        let at = pos + n * (bytesBefore[c] as number) + i * (columnBytes[c] as number);
        if (ints[c]) {
          for (let k = 0; k < w; k++, at += 4) {
            const value = values[from + k] as number;
            if ((value | 0) !== value) throw new RangeError(`row ${row}: i32 column value ${value} is not an int32`);
            view.setInt32(at, value, true);
          }
        } else {
          for (let k = 0; k < w; k++, at += 8) view.setFloat64(at, values[from + k] as number, true);
        }
      }
    }
  }

  /** Reads values from `pos` on into rows `ids[0 … n−1]` (rows 0 … n−1 when null); the inverse of writeValues. */
  private readValues(view: DataView, pos: number, ids: Int32Array | null, n: number): void {
    const { values, rowStride: stride, offsets, widths, ints, columnBytes, bytesBefore } = this;
    for (let i = 0; i < n; i++) {
      const row = ids === null ? i : (ids[i] as number);
      for (let c = 0; c < widths.length; c++) {
        const w = widths[c] as number;
        const to = row * stride + (offsets[c] as number);
        let at = pos + n * (bytesBefore[c] as number) + i * (columnBytes[c] as number);
        if (ints[c]) for (let k = 0; k < w; k++, at += 4) values[to + k] = view.getInt32(at, true);
        else for (let k = 0; k < w; k++, at += 8) values[to + k] = view.getFloat64(at, true);
      }
    }
  }

  private headerBytes(): number {
    return 4 + this.layout.length + 8;
  }

  private writeHeader(out: Uint8Array, view: DataView, tag: number, n: number): number {
    view.setUint32(0, tag, true);
    out.set(this.layout, 4);
    const pos = 4 + this.layout.length;
    view.setUint32(pos, this.rows, true);
    view.setUint32(pos + 4, n, true);
    return pos + 8;
  }

  private readHeader(bytes: Uint8Array, view: DataView): { snapshot: boolean; rowCount: number; n: number } {
    const headerBytes = this.headerBytes();
    const details: Record<string, unknown> = { length: bytes.length };
    if (bytes.length < 4) throw new RowTableCorruptError('shorter than its tag', details);
    const tag = view.getUint32(0, true);
    details.tag = tag;
    if (tag !== TAG_ROWS && tag !== TAG_SNAPSHOT) throw new RowTableCorruptError(`unknown tag ${tag}`, details);
    for (let i = 0; i < this.layout.length; i++) {
      if (4 + i >= bytes.length) throw new RowTableCorruptError('truncated in its column layout', details);
      if (bytes[4 + i] !== this.layout[i]) throw new RowTableCorruptError('column layout differs from the table', details);
    }
    if (bytes.length < headerBytes) throw new RowTableCorruptError('shorter than its header', details);
    const rowCount = view.getUint32(headerBytes - 8, true);
    const n = view.getUint32(headerBytes - 4, true);
    const snapshot = tag === TAG_SNAPSHOT;
    Object.assign(details, { rowCount, n, tableRows: this.rows });
    const expected = headerBytes + n * ((snapshot ? 0 : 4) + this.rowBytes);
    if (bytes.length !== expected) throw new RowTableCorruptError(`${bytes.length} bytes, expected ${expected}`, details);
    if (rowCount > MAX_ROWS) throw new RowTableCorruptError(`row count ${rowCount} beyond ${MAX_ROWS}`, details);
    if (snapshot && n !== rowCount) throw new RowTableCorruptError(`snapshot of ${n} rows, row count ${rowCount}`, details);
    if (!snapshot && rowCount < this.rows) throw new RowTableCorruptError(`delta shrinks the table to ${rowCount} rows`, details);
    return { snapshot, rowCount, n };
  }

  private mark(row: number): void {
    const at = row * this.rowStride + this.stateAt;
    this.values[at] = (this.values[at] as number) | 1;
    this.changed[this.changedCount++] = row;
  }

  /** Unmarks the rows listed at `from` … changedCount − 1 and drops them from the list. */
  private unmarkFrom(from: number): void {
    const { values, rowStride: stride, stateAt } = this;
    for (let i = from; i < this.changedCount; i++) {
      const at = (this.changed[i] as number) * stride + stateAt;
      values[at] = (values[at] as number) & ~1;
    }
    this.changedCount = from;
  }

  private forgetChanges(): void {
    this.unmarkFrom(0);
  }

  /** A new undo segment from here: the savepoint's marks, and a generation so rows are saved again at first touch. */
  private startSegment(): void {
    if (this.generation === MAX_GENERATION) {
      // Every row counts as unsaved again (marks kept): at worst a row is copied twice in a segment, which undo tolerates.
      for (let at = this.stateAt; at < this.rows * this.rowStride; at += this.rowStride)
        this.values[at] = (this.values[at] as number) & 1;
      this.generation = 0;
    }
    this.generation++;
    this.savepointRows = this.rows;
    this.savepointChanged = this.changedCount;
    this.savepointUndo = this.undoCount;
  }

  /**
   * Restores the rows saved at undo entries `from` … undoCount − 1, newest first (a row saved in several segments
   * ends with its oldest copy), then drops the rows from `rows` on and the change marks from `changed` on.
   */
  private undoTo(from: number, rows: number, changed: number): void {
    const stride = this.rowStride;
    for (let u = this.undoCount - 1; u >= from; u--)
      copyDoubles(this.undoValues, u * stride, this.values, (this.undoRows[u] as number) * stride, stride);
    this.undoCount = from;
    this.zeroRows(rows, this.rows);
    this.rows = rows;
    // After the copies, which restored each row's state as it was at its save.
    this.unmarkFrom(changed);
  }

  /** Saves the row's values to the undo log: one contiguous copy of `stride` doubles. */
  private saveUndo(row: number): void {
    const at = row * this.rowStride + this.stateAt;
    this.values[at] = (this.generation << 1) | ((this.values[at] as number) & 1);
    const u = this.undoCount++;
    if (u === this.undoRows.length) this.growUndo();
    this.undoRows[u] = row;
    const stride = this.rowStride;
    copyDoubles(this.values, row * stride, this.undoValues, u * stride, stride);
  }

  private zeroRows(from: number, to: number): void {
    this.values.fill(0, from * this.rowStride, to * this.rowStride);
  }

  private requireBatch(what: string): void {
    if (!this.batchOpen) throw new Error(`RowTable.${what}: no batch is open`);
  }

  private requireNoBatch(what: string): void {
    if (this.batchOpen) throw new Error(`RowTable.${what}: not allowed while a batch is open`);
  }

  /** Doubles the capacity until `rows` fit; every per-row array is replaced (callers re-fetch {@link data}). */
  private grow(rows: number): void {
    let capacity = this.capacity;
    while (capacity < rows) capacity *= 2;
    this.values = resized(this.values, new Float64Array(capacity * this.rowStride));
    this.changed = resized(this.changed, new Int32Array(capacity));
    this.capacity = capacity;
  }

  private growUndo(): void {
    const rows = this.undoRows.length * 2;
    this.undoRows = resized(this.undoRows, new Int32Array(rows));
    this.undoValues = resized(this.undoValues, new Float64Array(rows * this.rowStride));
  }
}

/**
 * Copies `length` doubles from source[from …] to target[to …]. A plain loop: a row is a few dozen doubles, and
 * `target.set(source.subarray(…))` allocates a view per call (measured slower for rows this short).
 */
function copyDoubles(source: Float64Array, from: number, target: Float64Array, to: number, length: number): void {
  for (let k = 0; k < length; k++) target[to + k] = source[from + k] as number;
}

function checkSpec(spec: ColumnSpec, seen: Set<string>): void {
  const width = spec.width ?? 1;
  if (seen.has(spec.name)) throw new RangeError(`duplicate column ${JSON.stringify(spec.name)}`);
  if (spec.type !== 'i32' && spec.type !== 'f64') throw new RangeError(`column ${spec.name}: unknown type ${String(spec.type)}`);
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`column ${spec.name}: width must be a positive integer, got ${width}`);
  seen.add(spec.name);
}

/** [0, a0, a0 + a1, …]: where each entry starts when they are laid end to end. */
function prefixSums(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((value) => (sum += value) - value);
}

/** C, (type, width) per column, FNV-1a of the names: what two tables must share to exchange bytes. */
function encodeLayout(columns: readonly ColumnSpec[], widths: readonly number[]): Uint8Array {
  const layout = new Uint8Array(4 + 8 * columns.length + 4);
  const view = new DataView(layout.buffer);
  view.setUint32(0, columns.length, true);
  let names = 0x811c9dc5;
  columns.forEach((spec, c) => {
    view.setUint32(4 + 8 * c, TYPE_CODES[spec.type], true);
    view.setUint32(8 + 8 * c, widths[c] as number, true);
    for (let i = 0; i <= spec.name.length; i++)
      names = Math.imul(names ^ (i < spec.name.length ? spec.name.charCodeAt(i) : 0), 0x01000193);
  });
  view.setUint32(4 + 8 * columns.length, names >>> 0, true);
  return layout;
}

function resized<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The row ids of a delta, each checked against its row count. */
function readIds(view: DataView, pos: number, n: number, rowCount: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++, pos += 4) {
    const row = view.getUint32(pos, true);
    if (row >= rowCount) throw new RowTableCorruptError(`row ${row} beyond the row count ${rowCount}`, { row, rowCount });
    ids[i] = row;
  }
  return ids;
}
