import { DAY_MS, parseIsoDay } from '../../core/time.ts';
import type { Anomaly } from '../../schemas/generated/types.ts';
import { anomalyRow } from '../anomalies/rows.ts';
import { chDateTime64 } from '../sinks/raw-rows.ts';
import type { MartColumns } from './sql.ts';

/**
 * What to write so that a stored day shows the recomputed rows: pure functions over the stored rows (read by
 * warehouse.ts) and the computed ones. Rows are compared by their visible values as text, so a second run over the
 * same data writes nothing.
 */

export type Row = Record<string, unknown>;

export interface MartSpec extends MartColumns {
  readonly table: 'token_metrics_daily' | 'address_flows_daily';
  /** Key columns besides chain_id and date. */
  readonly keyColumns: readonly string[];
  /** Columns a reader sees (not version, emitted_at, inserted_at). */
  readonly visible: readonly string[];
}

export const TOKEN_MART: MartSpec = {
  table: 'token_metrics_daily',
  keyColumns: ['token_address'],
  visible: [
    'symbol',
    'decimals',
    'volume_raw',
    'volume_usd',
    'minted_raw',
    'burned_raw',
    'transfer_count',
    'priced_transfer_count',
    'tx_count',
    'unique_addresses',
    'price_open',
    'price_high',
    'price_low',
    'price_close',
    'price_source',
    'price_staleness_ms',
    'is_final',
  ],
};

export const ADDRESS_MART: MartSpec = {
  table: 'address_flows_daily',
  keyColumns: ['address', 'token_address'],
  visible: [
    'symbol',
    'inflow_raw',
    'outflow_raw',
    'net_flow_raw',
    'inflow_usd',
    'outflow_usd',
    'net_flow_usd',
    'transfer_count',
    'tx_count',
    'counterparties_count',
    'is_final',
  ],
};

const ANOMALY_VISIBLE = [
  'entity_type',
  'entity_id',
  'token_address',
  'metric',
  'value',
  'baseline_center',
  'baseline_spread',
  'baseline_days',
  'score',
  'lower_bound',
  'upper_bound',
  'method',
  'severity',
  'status',
] as const;

/** Trims a decimal's trailing fractional zeros (`3000.100000` → `3000.1`); other text unchanged. */
function normalDecimal(value: string): string {
  if (!/^-?\d+\.\d+$/.test(value)) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

const text = (value: unknown): string => (value === null || value === undefined ? 'null' : normalDecimal(String(value)));

/** The row's key columns joined by `|` (the key of the stored and computed maps). */
export const keyOf = (row: Row, columns: readonly string[]): string => columns.map((c) => String(row[c])).join('|');

/** The row's visible values as comparable text. */
export const fingerprint = (row: Row, columns: readonly string[]): string => columns.map((c) => text(row[c])).join('\u0001');

/** The last millisecond of `day` as a ClickHouse DateTime64 literal (the emitted/updated time of deletions). */
function endOfDay(day: string): string {
  return chDateTime64(parseIsoDay(day)! + DAY_MS - 1);
}

/** A mart day as stored. */
export interface StoredMart {
  /** key → fingerprint of the visible row. */
  readonly visible: Map<string, string>;
  /** key → highest version stored (deleted rows included). */
  readonly maxVersion: Map<string, number>;
}

export interface MartDiff {
  readonly writes: Row[];
  /** key → the version each computed row has once the writes are in. */
  readonly versions: Map<string, number>;
  /** Deletion rows among the writes. */
  readonly removed: number;
}

/**
 * Rows that differ from the visible ones get the next version; visible keys the recomputation did not produce get
 * a deletion row (transfer_count = 0 ⇒ is_deleted).
 */
export function diffMart(spec: MartSpec, stored: StoredMart, chainId: number, day: string, rows: readonly Row[]): MartDiff {
  const writes: Row[] = [];
  const versions = new Map<string, number>();
  for (const row of rows) {
    const key = keyOf(row, spec.keyColumns);
    const storedMax = stored.maxVersion.get(key) ?? 0;
    if (stored.visible.get(key) === fingerprint(row, spec.visible)) {
      versions.set(key, storedMax);
      continue;
    }
    const version = Math.max(storedMax + 1, Number(row.version));
    versions.set(key, version);
    writes.push({ ...row, version });
  }
  const deletions = [...stored.visible.keys()]
    .filter((key) => !versions.has(key))
    .map((key) => martDeletion(spec, key, chainId, day, (stored.maxVersion.get(key) ?? 0) + 1));
  return { writes: [...writes, ...deletions], versions, removed: deletions.length };
}

function martDeletion(spec: MartSpec, key: string, chainId: number, day: string, version: number): Row {
  const parts = key.split('|');
  const deletion: Row = { date: day, chain_id: chainId, transfer_count: 0, is_final: true, emitted_at: endOfDay(day) };
  spec.keyColumns.forEach((c, i) => (deletion[c] = parts[i]));
  deletion.version = version;
  return deletion;
}

export interface AnomalyDiff {
  readonly writes: Row[];
  /** Withdrawals among the writes. */
  readonly removed: number;
}

/**
 * Changed anomalies get the next version (keeping the first detection time); stored ones the scorers no longer
 * raise are re-inserted as `withdrawn`. `stored`: anomaly_id → the visible row.
 */
export function diffAnomalies(stored: ReadonlyMap<string, Row>, anomalies: readonly Anomaly[], day: string): AnomalyDiff {
  const writes: Row[] = [];
  const raised = new Set<string>();
  for (const anomaly of anomalies) {
    raised.add(anomaly.anomaly_id);
    const row = anomalyRow(anomaly);
    const previous = stored.get(anomaly.anomaly_id);
    if (previous !== undefined && fingerprint(previous, ANOMALY_VISIBLE) === fingerprint(row, ANOMALY_VISIBLE)) continue;
    const storedVersion = previous === undefined ? 0 : Number(previous.version);
    writes.push({
      ...row,
      version: Math.max(storedVersion + 1, anomaly.version),
      detected_at: previous?.detected_at ?? row.detected_at,
    });
  }
  const updatedAt = endOfDay(day);
  let removed = 0;
  for (const [id, row] of stored) {
    if (raised.has(id) || row.status === 'withdrawn') continue;
    writes.push({ ...row, status: 'withdrawn', version: Number(row.version) + 1, updated_at: updatedAt });
    removed++;
  }
  return { writes, removed };
}
