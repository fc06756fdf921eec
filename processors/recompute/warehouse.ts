import type { ClickHouseClient } from '@clickhouse/client';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { diffAnomalies, diffMart, fingerprint, keyOf, type MartSpec, type Row, type StoredMart } from './diff.ts';
import { ANOMALIES_OF_DAY, maxMartVersions, visibleMartRows } from './sql.ts';

/** The warehouse side of `oracul recompute`: streamed reads, batched inserts, and the upserts of one day. */

/** What happened to one table for one day. */
export interface TableResult {
  /** Rows the recomputation produced. */
  computed: number;
  /** Rows inserted because they differ from (or are missing in) the stored rows. */
  written: number;
  /** Stored rows the recomputation did not produce, deleted (marts) or withdrawn (anomalies). */
  removed: number;
}

/** Where one day is written: the client, the chain and day, and rows per INSERT. */
export interface DayTarget {
  readonly client: ClickHouseClient;
  readonly chainId: number;
  readonly day: string;
  readonly batchRows: number;
}

/** Streams a query's JSONEachRow rows to `onRow` (one chunk in memory at a time). */
export async function streamRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  onRow: (row: T) => void,
): Promise<void> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  for await (const rows of result.stream<T>()) {
    for (const row of rows) onRow(row.json<T>());
  }
}

async function insertRows(target: DayTarget, table: string, rows: readonly Row[]): Promise<void> {
  const { client, batchRows } = target;
  for (let i = 0; i < rows.length; i += batchRows) {
    await client.insert({ table, values: rows.slice(i, i + batchRows), format: 'JSONEachRow' });
  }
}

async function storedMart(target: DayTarget, spec: MartSpec): Promise<StoredMart> {
  const visible = new Map<string, string>();
  const maxVersion = new Map<string, number>();
  const params = { chain: target.chainId, day: target.day };
  await streamRows<Row>(target.client, visibleMartRows(spec), params, (row) =>
    visible.set(keyOf(row, spec.keyColumns), fingerprint(row, spec.visible)),
  );
  await streamRows<Row>(target.client, maxMartVersions(spec), params, (row) =>
    maxVersion.set(keyOf(row, spec.keyColumns), Number(row.v)),
  );
  return { visible, maxVersion };
}

/**
 * Upserts one day of a mart (see diffMart). Returns the version each computed row now has, by key (the scorers'
 * source version).
 */
export async function upsertMart(
  target: DayTarget,
  spec: MartSpec,
  rows: readonly Row[],
  result: TableResult,
): Promise<Map<string, number>> {
  const stored = await storedMart(target, spec);
  const diff = diffMart(spec, stored, target.chainId, target.day, rows);
  result.computed += rows.length;
  result.written += diff.writes.length - diff.removed;
  result.removed += diff.removed;
  await insertRows(target, spec.table, diff.writes);
  return diff.versions;
}

/** Upserts one day's anomalies (see diffAnomalies). */
export async function upsertAnomalies(target: DayTarget, anomalies: readonly Anomaly[], result: TableResult): Promise<void> {
  const stored = new Map<string, Row>();
  await streamRows<Row>(target.client, ANOMALIES_OF_DAY, { chain: target.chainId, day: target.day }, (row) =>
    stored.set(String(row.anomaly_id), row),
  );
  const diff = diffAnomalies(stored, anomalies, target.day);
  result.computed += anomalies.length;
  result.written += diff.writes.length - diff.removed;
  result.removed += diff.removed;
  await insertRows(target, 'anomalies', diff.writes);
}
