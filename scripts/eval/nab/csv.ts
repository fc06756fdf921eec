/**
 * Minimal CSV reader for NAB's files: comma-separated, one header line, no
 * quoting (NAB's data and result files never quote), trailing newline optional.
 */
import { NabDataError } from './errors.ts';

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function parseCsv(text: string, source: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const [headerLine, ...body] = lines;
  if (headerLine === undefined) throw new NabDataError(`${source}: empty CSV`, { source });
  if (text.includes('"')) throw new NabDataError(`${source}: quoted CSV fields are not supported`, { source });
  const header = headerLine.split(',');
  const rows = body.map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new NabDataError(`${source}:${i + 2}: expected ${header.length} fields, got ${cells.length}`, {
        source,
        line: i + 2,
      });
    }
    return cells;
  });
  return { header, rows };
}

/** Index of a named column, or a NabDataError naming the file. */
export function columnIndex(table: CsvTable, name: string, source: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new NabDataError(`${source}: no column "${name}" in ${table.header.join(',')}`, { source, column: name });
  return i;
}

/** Parses a numeric cell; NAB values are plain decimal floats. */
export function parseNumber(cell: string | undefined, source: string): number {
  const x = cell === undefined || cell.trim() === '' ? NaN : Number(cell);
  if (!Number.isFinite(x)) throw new NabDataError(`${source}: not a finite number: ${cell}`, { source, cell });
  return x;
}
