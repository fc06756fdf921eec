import { describe, expect, it } from 'vitest';
import { xorshift32 } from '../../../core/xorshift.ts';
import { RowTable, RowTableCorruptError, type ColumnSpec } from './row-table.ts';
import { thrown } from './testing/thrown.ts';

const SCHEMA: readonly ColumnSpec[] = [
  { name: 'count', type: 'i32' },
  { name: 'sum', type: 'f64', width: 8 },
  { name: 'flags', type: 'i32', width: 8 },
  { name: 'price', type: 'f64' },
];
const WIDTHS = SCHEMA.map((spec) => spec.width ?? 1);
/** Where each column's values start in a reference row (all columns' values, in schema order). */
const OFFSETS = WIDTHS.map((_, c) => WIDTHS.slice(0, c).reduce((a, b) => a + b, 0));
const ROW_VALUES = WIDTHS.reduce((a, b) => a + b, 0);

/** Where value k of a column of a row is in the table's backing array. */
const at = (table: RowTable, row: number, name: string, k = 0): number => row * table.stride + table.offsetOf(name) + k;

/** The table as plain rows, in the reference's shape, read column by column through offsetOf. */
function dump(table: RowTable): number[][] {
  const rows: number[][] = [];
  for (let row = 0; row < table.rowCount; row++) {
    const values: number[] = [];
    SCHEMA.forEach((spec, c) => {
      for (let k = 0; k < (WIDTHS[c] as number); k++) values.push(table.data[at(table, row, spec.name, k)] as number);
    });
    rows.push(values);
  }
  return rows;
}

/** The invariant behind addRow not zeroing: every value past the last row is zero. */
function expectZeroTail(table: RowTable): void {
  const { data } = table;
  let nonZero = -1;
  for (let i = table.rowCount * table.stride; i < data.length && nonZero < 0; i++) if (data[i] !== 0) nonZero = i;
  expect(nonZero).toBe(-1);
}

const clone = (rows: number[][]): number[][] => rows.map((row) => [...row]);

/** A value for column `c`: any int32, or a double that is an exact large integer, a fraction or a negative. */
function valueFor(c: number, random: () => number): number {
  if (SCHEMA[c]?.type === 'i32') return Math.floor(random() * 2 ** 32) - 2 ** 31;
  const kind = random();
  if (kind < 0.4) return Math.floor(random() * 2 ** 53) - 2 ** 52;
  if (kind < 0.8) return (random() - 0.5) * 1e9;
  return Math.floor(random() * 2 ** 32);
}

/**
 * Random batches against a reference: `committed` is what committed batches left, `working` the open batch's view;
 * `changed` the rows committed work changed since the last take.
 */
class Model {
  committed: number[][] = [];
  working: number[][] = [];
  changed = new Set<number>();
  pending = new Set<number>();
  savepointRollbacks = 0;
  constructor(
    readonly table: RowTable,
    readonly random: () => number,
  ) {}

  /** One random step inside a batch: add a row, or touch a row and change (or keep) one of its values. */
  step(): void {
    const { table, random } = this;
    if (this.working.length === 0 || random() < 0.15) {
      expect(table.addRow()).toBe(this.working.length);
      this.working.push(new Array<number>(ROW_VALUES).fill(0));
      this.pending.add(this.working.length - 1);
      return;
    }
    const row =
      random() < 0.5
        ? this.working.length - 1 - Math.floor(random() * Math.min(8, this.working.length))
        : Math.floor(random() * this.working.length);
    table.touch(row);
    this.pending.add(row);
    if (random() < 0.1) return;
    this.write(row);
  }

  write(row: number): void {
    const c = Math.floor(this.random() * SCHEMA.length);
    const k = Math.floor(this.random() * (WIDTHS[c] as number));
    const value = valueFor(c, this.random);
    this.table.data[at(this.table, row, (SCHEMA[c] as ColumnSpec).name, k)] = value;
    (this.working[row] as number[])[(OFFSETS[c] as number) + k] = value;
  }

  /** A batch of random steps, with savepoints and rollbacks to them now and then. */
  batch(steps: number, rollback: boolean): void {
    this.table.beginBatch();
    let savepoint = { working: clone(this.working), pending: new Set(this.pending) };
    for (let i = 0; i < steps; i++) {
      const r = this.random();
      if (r < 0.03) {
        this.table.savepoint();
        savepoint = { working: clone(this.working), pending: new Set(this.pending) };
      } else if (r < 0.05) {
        this.table.rollbackToSavepoint();
        this.working = clone(savepoint.working);
        this.pending = new Set(savepoint.pending);
        this.savepointRollbacks++;
      } else {
        this.step();
      }
    }
    if (rollback) {
      this.table.rollbackBatch();
      this.working = clone(this.committed);
    } else {
      this.table.commitBatch();
      this.committed = clone(this.working);
      for (const row of this.pending) this.changed.add(row);
    }
    this.pending.clear();
  }

  /** A touch and a write outside any batch: kept, recorded, not undoable. */
  outside(): void {
    if (this.working.length === 0) return;
    const row = Math.floor(this.random() * this.working.length);
    this.table.touch(row);
    this.write(row);
    this.committed = clone(this.working);
    this.changed.add(row);
  }
}

describe('RowTable', () => {
  it('equals a reference model through random batches, commits and rollbacks; checkpoints = snapshot + deltas', () => {
    const random = xorshift32(42);
    const model = new Model(new RowTable(SCHEMA, 16), random);
    let replica = new RowTable(SCHEMA, 16);
    let deltas = 0;
    for (let round = 0; round < 600; round++) {
      model.batch(1 + Math.floor(random() * (random() < 0.1 ? 400 : 40)), random() < 0.3);
      if (random() < 0.1) model.outside();
      expect(dump(model.table)).toEqual(model.committed);
      if (round % 10 === 0) expectZeroTail(model.table);
      if (random() < 0.2) {
        const changed = model.table.takeChangedRows();
        expect(Array.from(changed)).toEqual([...model.changed].sort((a, b) => a - b));
        model.changed.clear();
        replica.applyEncoded(model.table.encodeRows(changed));
        deltas++;
        expect(dump(replica)).toEqual(model.committed);
        expect(model.table.takeChangedRows()).toHaveLength(0);
      }
      if (random() < 0.03) {
        // A new checkpoint base: the changes since the last take still go out as the next delta.
        replica = new RowTable(SCHEMA, 1);
        replica.applyEncoded(model.table.encodeSnapshot());
        replica.applyEncoded(model.table.encodeRows(Array.from(model.changed)));
        expect(dump(replica)).toEqual(model.committed);
      }
    }
    expect(deltas).toBeGreaterThan(50);
    expect(model.savepointRollbacks).toBeGreaterThan(100);
    expect(model.table.rowCount).toBeGreaterThan(1000);
    const restored = new RowTable(SCHEMA);
    restored.applyEncoded(model.table.encodeSnapshot());
    expect(dump(restored)).toEqual(model.committed);
    expect(restored.takeChangedRows()).toHaveLength(0);
  });

  it('lays each row out contiguously, the columns in schema order, then one double of its own', () => {
    const table = new RowTable(SCHEMA, 4);
    expect(table.stride).toBe(ROW_VALUES + 1);
    expect(SCHEMA.map((spec) => table.offsetOf(spec.name))).toEqual(OFFSETS);
    expect(table.data).toBeInstanceOf(Float64Array);
    expect(table.data.length).toBe(16 * (ROW_VALUES + 1));
    table.addRow();
    table.addRow();
    table.data[at(table, 1, 'flags', 7)] = 3;
    expect(table.data.indexOf(3)).toBe(ROW_VALUES + 1 + (OFFSETS[2] as number) + 7);
  });

  it('keeps values through growth; the backing array is replaced, so callers re-fetch', () => {
    const table = new RowTable(SCHEMA, 4);
    const before = table.data;
    for (let row = 0; row < 5000; row++) {
      table.addRow();
      for (let k = 0; k < 8; k++) table.data[at(table, row, 'sum', k)] = row * 8 + k + 0.5;
      table.data[at(table, row, 'count')] = -row;
      table.data[at(table, row, 'flags', 7)] = 2 ** 31 - 1 - row;
    }
    expect(table.data).not.toBe(before);
    expect(table.data.length).toBe(8192 * table.stride);
    for (let row = 0; row < 5000; row++) {
      for (let k = 0; k < 8; k++) expect(table.data[at(table, row, 'sum', k)]).toBe(row * 8 + k + 0.5);
      expect(table.data[at(table, row, 'count')]).toBe(-row);
      expect(table.data[at(table, row, 'flags', 7)]).toBe(2 ** 31 - 1 - row);
    }
    expectZeroTail(table);
    expect(table.takeChangedRows()).toHaveLength(5000);
  });

  it('rolls back a large batch: every touched row restored, added rows dropped and zeroed when added again', () => {
    const table = new RowTable(SCHEMA, 16);
    for (let row = 0; row < 300; row++) {
      table.addRow();
      table.data[at(table, row, 'price')] = row;
      table.data[at(table, row, 'sum', 7)] = -row;
    }
    table.takeChangedRows();
    table.beginBatch();
    for (let row = 0; row < 300; row++) {
      table.touch(row);
      table.touch(row);
      table.data[at(table, row, 'price')] = -1;
      table.data[at(table, row, 'count')] = 1;
      // A second touch saves nothing again: the rollback restores the values from before the first.
      table.touch(row);
      table.data[at(table, row, 'sum', 7)] = 1;
    }
    for (let i = 0; i < 2000; i++) table.data[at(table, table.addRow(), 'flags', 7)] = 9;
    table.rollbackBatch();
    expect(table.rowCount).toBe(300);
    for (let row = 0; row < 300; row++) {
      expect(table.data[at(table, row, 'price')]).toBe(row);
      expect(table.data[at(table, row, 'count')]).toBe(0);
      expect(table.data[at(table, row, 'sum', 7)]).toBe(-row);
    }
    expectZeroTail(table);
    expect(table.takeChangedRows()).toHaveLength(0);
    expect(table.data[at(table, table.addRow(), 'flags', 7)]).toBe(0);
  });

  it('undoes a savepoint’s segment: rows added before it keep their values then, rows added after it go', () => {
    const table = new RowTable(SCHEMA, 16);
    table.addRow();
    table.takeChangedRows();
    table.beginBatch();
    table.touch(0);
    table.data[at(table, 0, 'count')] = 1;
    table.data[at(table, table.addRow(), 'count')] = 2; // row 1, added in the batch before the savepoint
    table.savepoint();
    table.touch(0);
    table.touch(1);
    table.data[at(table, 0, 'count')] = 10;
    table.data[at(table, 1, 'count')] = 20;
    table.addRow();
    table.rollbackToSavepoint();
    expect([table.rowCount, table.data[at(table, 0, 'count')], table.data[at(table, 1, 'count')]]).toEqual([2, 1, 2]);
    expectZeroTail(table);
    // The savepoint stays: touched again, rows are saved again, and a second rollback to it undoes that too.
    table.touch(1);
    table.data[at(table, 1, 'count')] = 30;
    table.rollbackToSavepoint();
    expect(table.data[at(table, 1, 'count')]).toBe(2);
    table.commitBatch();
    expect(Array.from(table.takeChangedRows())).toEqual([0, 1]);
    table.beginBatch();
    table.savepoint();
    table.touch(1);
    table.data[at(table, 1, 'count')] = 40;
    table.rollbackToSavepoint();
    table.rollbackBatch();
    expect([table.rowCount, table.data[at(table, 0, 'count')], table.data[at(table, 1, 'count')]]).toEqual([2, 1, 2]);
    expect(table.takeChangedRows()).toHaveLength(0);
  });

  it('keeps marks made before a rolled-back batch, and touches outside a batch without undo', () => {
    const table = new RowTable(SCHEMA);
    [0, 1, 2].forEach(() => table.addRow());
    table.takeChangedRows();
    table.touch(1);
    table.data[at(table, 1, 'count')] = 5;
    table.beginBatch();
    table.touch(1);
    table.touch(2);
    table.data[at(table, 1, 'count')] = 6;
    table.rollbackBatch();
    expect(table.data[at(table, 1, 'count')]).toBe(5);
    expect(Array.from(table.takeChangedRows())).toEqual([1]);
  });

  it('refuses misuse', () => {
    const table = new RowTable(SCHEMA);
    expect(() => table.touch(0)).toThrow(RangeError);
    table.addRow();
    for (const bad of [-1, 1, 0.5, NaN]) expect(() => table.touch(bad)).toThrow(RangeError);
    expect(() => table.offsetOf('nope')).toThrow(RangeError);
    expect(() => table.encodeRows([1])).toThrow(RangeError);
    expect(() => table.commitBatch()).toThrow(/no batch/);
    expect(() => table.rollbackBatch()).toThrow(/no batch/);
    expect(() => table.savepoint()).toThrow(/no batch/);
    expect(() => table.rollbackToSavepoint()).toThrow(/no batch/);
    table.beginBatch();
    expect(() => table.discardChanges()).toThrow(/batch/);
    expect(() => table.beginBatch()).toThrow(/do not nest/);
    expect(() => table.takeChangedRows()).toThrow(/batch/);
    expect(() => table.clear()).toThrow(/batch/);
    expect(() => table.applyEncoded(table.encodeSnapshot())).toThrow(/batch/);
    table.commitBatch();
    expect(
      () =>
        new RowTable([
          { name: 'a', type: 'i32' },
          { name: 'a', type: 'f64' },
        ]),
    ).toThrow(/duplicate/);
    expect(() => new RowTable([{ name: 'a', type: 'i32', width: 0 }])).toThrow(/width/);
    expect(() => new RowTable([{ name: 'a', type: 'u8' as 'i32' }])).toThrow(/type/);
  });

  it('clears rows and marks but keeps its capacity', () => {
    const table = new RowTable(SCHEMA, 16);
    for (let i = 0; i < 100; i++) table.data[at(table, table.addRow(), 'count')] = 7;
    const data = table.data;
    table.clear();
    expect(table.rowCount).toBe(0);
    expectZeroTail(table);
    expect(table.takeChangedRows()).toHaveLength(0);
    expect(table.addRow()).toBe(0);
    expect(table.data).toBe(data);
    expect(data[at(table, 0, 'count')]).toBe(0);
  });

  it('applies a snapshot from any byte offset, replacing what the table held', () => {
    const source = new RowTable(SCHEMA);
    for (let row = 0; row < 10; row++) {
      source.addRow();
      source.data[at(source, row, 'sum', 3)] = 2 ** 53 - row;
      source.data[at(source, row, 'flags', 1)] = -(2 ** 31) + row;
    }
    const snapshot = source.encodeSnapshot();
    const framed = new Uint8Array(snapshot.length + 5);
    framed.set(snapshot, 3);
    const target = new RowTable(SCHEMA);
    for (let row = 0; row < 20; row++) target.data[at(target, target.addRow(), 'price')] = 1;
    target.applyEncoded(framed.subarray(3, 3 + snapshot.length));
    expect(dump(target)).toEqual(dump(source));
    expectZeroTail(target);
    expect(target.takeChangedRows()).toHaveLength(0);
    const delta = source.encodeRows(new Int32Array([4]));
    const framedDelta = new Uint8Array(delta.length + 1);
    framedDelta.set(delta, 1);
    target.applyEncoded(framedDelta.subarray(1));
    expect(dump(target)).toEqual(dump(source));
  });

  it('grows to a delta’s row count with zeroed rows, also over space a rollback left dirty', () => {
    const source = new RowTable(SCHEMA);
    for (let row = 0; row < 6; row++) source.addRow();
    source.data[at(source, 5, 'count')] = 3;
    const target = new RowTable(SCHEMA);
    target.beginBatch();
    for (let row = 0; row < 6; row++) target.data[at(target, target.addRow(), 'sum')] = 1;
    target.rollbackBatch();
    target.applyEncoded(source.encodeRows([5]));
    expect(dump(target)).toEqual(dump(source));
  });

  it('rejects another layout, truncated or trailing bytes and impossible rows, leaving the table unchanged', () => {
    const source = new RowTable(SCHEMA);
    for (let row = 0; row < 4; row++) source.data[at(source, source.addRow(), 'count')] = row + 1;
    const snapshot = source.encodeSnapshot();
    const delta = source.encodeRows([1, 3]);
    const target = new RowTable(SCHEMA);
    target.applyEncoded(snapshot);
    const before = dump(target);
    const rejects = (bytes: Uint8Array, reason: RegExp): void => {
      expect(thrown(() => target.applyEncoded(bytes))).toMatchObject({
        code: 'ORACUL_ROW_TABLE_CORRUPT',
        retryable: false,
        message: expect.stringMatching(reason),
      });
      expect(dump(target)).toEqual(before);
    };
    const others: ColumnSpec[][] = [
      SCHEMA.slice(0, 3),
      [...SCHEMA, { name: 'extra', type: 'i32' }],
      SCHEMA.map((spec) => (spec.name === 'price' ? { ...spec, type: 'i32' } : spec)),
      SCHEMA.map((spec) => (spec.name === 'sum' ? { ...spec, width: 4 } : spec)),
      SCHEMA.map((spec) => (spec.name === 'price' ? { ...spec, name: 'usd' } : spec)),
      [SCHEMA[0], SCHEMA[2], SCHEMA[1], SCHEMA[3]] as ColumnSpec[],
    ];
    for (const schema of others) {
      const other = new RowTable(schema);
      other.addRow();
      rejects(other.encodeSnapshot(), /layout|bytes/);
    }
    rejects(snapshot.subarray(0, snapshot.length - 1), /expected/);
    rejects(new Uint8Array([...delta, 0]), /expected/);
    rejects(snapshot.subarray(0, 2), /tag/);
    rejects(snapshot.subarray(0, 20), /truncated|header/);
    const badTag = delta.slice();
    badTag[0] = 7;
    rejects(badTag, /tag/);
    const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerBytes = 4 + 4 + 8 * SCHEMA.length + 4 + 8;
    const beyond = delta.slice();
    view(beyond).setUint32(headerBytes + 4, 4, true);
    rejects(beyond, /beyond/);
    const shrinking = delta.slice();
    view(shrinking).setUint32(headerBytes - 8, 3, true);
    view(shrinking).setUint32(headerBytes + 4, 2, true);
    rejects(shrinking, /shrinks/);
    const short = snapshot.slice();
    view(short).setUint32(headerBytes - 8, 5, true);
    rejects(short, /snapshot/);
    expect(thrown(() => target.applyEncoded(badTag))).toBeInstanceOf(RowTableCorruptError);
  });

  it('encodes column by column, i32 columns as int32: the bytes of the column-per-array layout', () => {
    const table = new RowTable([
      { name: 'n', type: 'i32' },
      { name: 'x', type: 'f64', width: 2 },
    ]);
    for (let row = 0; row < 2; row++) {
      table.addRow();
      table.data[at(table, row, 'n')] = row === 0 ? -2 : 7;
      table.data[at(table, row, 'x', 0)] = row + 0.5;
      table.data[at(table, row, 'x', 1)] = -(2 ** 53) + row;
    }
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
    // Written by the column-per-array table: tag, C = 2, (i32, 1), (f64, 2), FNV-1a of the names, rowCount 2, n, then
    // (deltas) the row ids, then n per row as int32 (-2, 7), then x per row as 2 doubles (0.5, -2^53 | 1.5, 1 - 2^53).
    const layout = '02000000' + '0100000001000000' + '0200000002000000' + '5354a277' + '02000000';
    expect(hex(table.encodeSnapshot())).toBe(
      '02000000' + layout + '02000000' + 'feffffff07000000' + '000000000000e03f00000000000040c3000000000000f83fffffffffffff3fc3',
    );
    expect(hex(table.encodeRows([1]))).toBe(
      '01000000' + layout + '01000000' + '01000000' + '07000000' + '000000000000f83fffffffffffff3fc3',
    );
    const copy = new RowTable([
      { name: 'n', type: 'i32' },
      { name: 'x', type: 'f64', width: 2 },
    ]);
    copy.applyEncoded(table.encodeSnapshot());
    const columns = (t: RowTable): number[] =>
      Array.from(t.data.subarray(0, 2 * t.stride)).filter((_, i) => i % t.stride !== t.stride - 1);
    expect(columns(copy)).toEqual(columns(table));
  });

  it('refuses to encode an i32 column value that is not an int32, rather than wrapping it', () => {
    for (const bad of [0.5, 2 ** 31, -(2 ** 31) - 1, NaN]) {
      const table = new RowTable(SCHEMA);
      table.addRow();
      table.data[at(table, 0, 'flags', 3)] = bad;
      expect(() => table.encodeRows([0])).toThrow(/not an int32/);
      expect(() => table.encodeSnapshot()).toThrow(/not an int32/);
    }
    const table = new RowTable(SCHEMA);
    table.addRow();
    table.data[at(table, 0, 'price')] = 0.5;
    table.data[at(table, 0, 'count')] = -(2 ** 31);
    expect(dump(roundTrip(table))).toEqual(dump(table));
  });
});

function roundTrip(table: RowTable): RowTable {
  const copy = new RowTable(SCHEMA);
  copy.applyEncoded(table.encodeSnapshot());
  return copy;
}
