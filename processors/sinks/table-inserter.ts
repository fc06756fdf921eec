import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Logger } from '../../core/logger.ts';
import { metrics } from '../../core/metrics/index.ts';
import { classifyInsertError } from './classify-insert-error.ts';
import { checkTableColumns } from './row-binary/check-table-columns.ts';
import { insertRowBinary } from './row-binary/insert-row-binary.ts';
import type { RowEncoder } from './row-binary/row-encoder.ts';
import { EncodedRows, type RowSet, type SinkRow } from './sink-types.ts';

export interface TableInserterParameters {
  readonly clickhouse: ClickHouseClient;
  readonly table: string;
  /** RowBinary encoder of the declared columns; without it rows go as JSONEachRow. */
  readonly encoder: RowEncoder | undefined;
  readonly insertSettings: ClickHouseSettings | undefined;
  readonly chunkRows: number | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** One INSERT of a list of rows into the sink's table (RowBinary streamed while sent, or JSONEachRow). */
export class TableInserter {
  readonly format: 'RowBinary' | 'JSONEachRow';
  /** The column check, started by start() so it overlaps the group join; a failed one is asked again by the next insert. */
  private columnsCheck: Promise<void> | undefined;

  constructor(private readonly p: TableInserterParameters) {
    this.format = p.encoder ? 'RowBinary' : 'JSONEachRow';
  }

  /** Checks the RowBinary columns against the table (nothing to check for JSONEachRow). */
  checkColumns(): Promise<void> {
    const { encoder, clickhouse, table, logger } = this.p;
    if (!encoder) return Promise.resolve();
    const started = performance.now();
    const check = checkTableColumns(clickhouse, table, encoder.columns).then(() => {
      logger.info({ msg: 'table columns match the RowBinary layout', duration_ms: Math.round(performance.now() - started) });
    });
    check.catch(() => {
      if (this.columnsCheck === check) this.columnsCheck = undefined;
    });
    this.columnsCheck = check;
    return check;
  }

  /** Inserts the row sets in one INSERT; a failure is classified (SinkRowsRejectedError for data, retryable for an outage). */
  async insert(sets: readonly RowSet[]): Promise<void> {
    const { table, signal } = this.p;
    const timer = metrics.clickhouseInsertDuration.startTimer({ table });
    try {
      await this.send(sets);
      timer({ outcome: 'ok' });
      metrics.clickhouseInsertedRows.inc({ table }, countRows(sets));
    } catch (error) {
      timer({ outcome: 'error' });
      if (signal.aborted) throw error;
      throw classifyInsertError(error, table);
    }
  }

  private async send(sets: readonly RowSet[]): Promise<void> {
    const { clickhouse, table, encoder, insertSettings, chunkRows, signal } = this.p;
    if (encoder) {
      await (this.columnsCheck ?? this.checkColumns());
      await insertRowBinary(clickhouse, encoder, sets, {
        ...(insertSettings ? { settings: insertSettings } : {}),
        ...(chunkRows ? { chunkRows } : {}),
        signal,
      });
      return;
    }
    await clickhouse.insert({
      table,
      values: rowObjects(sets),
      format: 'JSONEachRow',
      ...(insertSettings ? { clickhouse_settings: insertSettings } : {}),
      abort_signal: signal,
    });
  }
}

/** Rows in the sets. */
export function countRows(sets: readonly RowSet[]): number {
  let n = 0;
  for (const set of sets) n += set.length;
  return n;
}

/** JSONEachRow takes row objects only: encoded rows exist only where a RowBinary transcoder made them. */
function rowObjects(sets: readonly RowSet[]): SinkRow[] {
  if (sets.length === 1 && Array.isArray(sets[0])) return sets[0];
  return sets.flatMap((set) => {
    if (set instanceof EncodedRows) throw new TypeError('RowBinary rows in a JSONEachRow insert');
    return set;
  });
}
