import { SinkRowsRejectedError } from '../errors.ts';
import type { BinaryWriter } from './binary-writer.ts';
import { parseColumnType, type ColumnType } from './column-type.ts';
import { defaultBytes, ValueEncodeError, valueEncoder, type ValueEncoder } from './value-encoders.ts';

/** One column an insert writes: its name and ClickHouse type, exactly as `system.columns.type` shows it. */
export interface SinkColumn {
  readonly name: string;
  readonly type: string;
}

/** Encodes rows of one table's declared columns, in their order, as RowBinary. */
export interface RowEncoder {
  readonly table: string;
  readonly columns: readonly SinkColumn[];
  /** `INSERT INTO <table> (<columns>) FORMAT RowBinary` */
  readonly insertStatement: string;
  /** Appends rows [from, to) to `w`. Throws SinkRowsRejectedError (table, column, row) for a value its column cannot hold. */
  encode(w: BinaryWriter, rows: readonly Record<string, unknown>[], from: number, to: number): void;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Built once per sink from the declared columns: type text → one encoder per column. A column
 * missing from a row (`undefined`) gets its type's default, as an omitted JSONEachRow field does;
 * `null` is accepted only by Nullable columns (JSONEachRow would silently store 0 or '').
 */
export function createRowEncoder(table: string, columns: readonly SinkColumn[]): RowEncoder {
  if (columns.length === 0) throw new TypeError(`RowBinary encoder for ${table}: no columns`);
  for (const c of columns)
    if (!IDENTIFIER.test(c.name)) throw new TypeError(`RowBinary encoder for ${table}: column name ${c.name}`);
  const names = columns.map((c) => c.name);
  const types: ColumnType[] = columns.map((c) => parseColumnType(c.type));
  const encoders: ValueEncoder[] = types.map(valueEncoder);
  const defaults: Buffer[] = types.map(defaultBytes);
  const count = columns.length;
  return {
    table,
    columns,
    insertStatement: `INSERT INTO ${table} (${names.join(', ')}) FORMAT RowBinary`,
    encode(w, rows, from, to) {
      let r = from;
      let c = 0;
      try {
        for (; r < to; r += 1) {
          const row = rows[r]!;
          for (c = 0; c < count; c += 1) {
            const value = row[names[c]!];
            if (value === undefined) w.raw(defaults[c]!);
            else encoders[c]!(w, value);
          }
        }
      } catch (error) {
        if (!(error instanceof ValueEncodeError)) throw error;
        const column = columns[c]!;
        throw new SinkRowsRejectedError(`RowBinary: ${table}.${column.name} (${column.type}): ${error.message}`, {
          cause: error,
          details: { table, column: column.name, type: column.type, row: r },
        });
      }
    },
  };
}
