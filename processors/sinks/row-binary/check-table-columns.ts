import type { ClickHouseClient } from '@clickhouse/client';
import { SinkTableSchemaMismatchError } from '../errors.ts';
import type { SinkColumn } from './row-encoder.ts';

interface TableColumn {
  name: string;
  type: string;
  default_kind: string;
}

/** Type text as ClickHouse normalises it (`Decimal(38,18)` and `Decimal(38, 18)` are the same type). */
const normalise = (type: string): string => type.replace(/\s+/g, '').replace(/"/g, "'");

/**
 * Compares a sink's declared RowBinary columns with the table: every declared column exists, is
 * writable (not MATERIALIZED / ALIAS / EPHEMERAL) and has exactly the declared type (RowBinary has
 * no field names or types, so a drift would store wrong values instead of failing), and every
 * column left out has a default. Returns the mismatches; empty when the layout is right.
 */
export function compareColumns(declared: readonly SinkColumn[], actual: readonly TableColumn[]): string[] {
  const byName = new Map(actual.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const column of declared) {
    const found = byName.get(column.name);
    if (!found) problems.push(`${column.name}: not in the table`);
    else if (found.default_kind === 'MATERIALIZED' || found.default_kind === 'ALIAS' || found.default_kind === 'EPHEMERAL')
      problems.push(`${column.name}: ${found.default_kind} columns cannot be inserted`);
    else if (normalise(found.type) !== normalise(column.type))
      problems.push(`${column.name}: table type ${found.type}, sink writes ${column.type}`);
  }
  const names = new Set(declared.map((c) => c.name));
  for (const column of actual) {
    if (!names.has(column.name) && column.default_kind === '' && !column.type.startsWith('Nullable('))
      problems.push(`${column.name}: required by the table (no default) but not written by the sink`);
  }
  return problems;
}

/** Reads the table's columns and throws SinkTableSchemaMismatchError (retryable: a migration may be pending) on a mismatch. */
export async function checkTableColumns(
  clickhouse: ClickHouseClient,
  table: string,
  declared: readonly SinkColumn[],
): Promise<void> {
  const dot = table.indexOf('.');
  const rs = await clickhouse.query({
    query:
      dot < 0
        ? 'SELECT name, type, default_kind FROM system.columns WHERE database = currentDatabase() AND table = {table:String}'
        : 'SELECT name, type, default_kind FROM system.columns WHERE database = {database:String} AND table = {table:String}',
    query_params: dot < 0 ? { table } : { database: table.slice(0, dot), table: table.slice(dot + 1) },
    format: 'JSONEachRow',
  });
  const actual = await rs.json<TableColumn>();
  const problems = actual.length === 0 ? [`table ${table} not found`] : compareColumns(declared, actual);
  if (problems.length > 0) {
    throw new SinkTableSchemaMismatchError(`table ${table} does not match the sink's RowBinary columns: ${problems.join('; ')}`, {
      details: { table, problems },
    });
  }
}
