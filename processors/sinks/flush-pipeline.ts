import { isRetryable } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { metrics } from '../../core/metrics/index.ts';
import type { DeadLetterWriter } from './dead-letter-writer.ts';
import { SinkRowsRejectedError } from './errors.ts';
import { byTopic, type BufferedRecord, type SinkBatch, type SinkBuffer, type TopicOffset } from './sink-buffer.ts';
import type { SinkRetry } from './sink-retry.ts';
import type { RowSet, SinkCounters, SinkFlushInfo } from './sink-types.ts';

export interface FlushPipelineParameters {
  readonly topic: string;
  readonly table: string;
  /** The insert format, for the batch log line. */
  readonly format: string;
  readonly buffer: SinkBuffer;
  /** Rows that make a batch {@link FlushPipeline.ready} while no insert runs (default: never). */
  readonly minRows?: number;
  /**
   * Whether the consumer has read everything there is (default: always). While it has not (a backlog), a half-full
   * batch is not sent early: the next fetch fills it, so a backfill makes fewer, larger inserts (a half-full first
   * batch split the rows of a backlog into one insert more per table, scripts/bench/sinks.ts); once caught up, a batch
   * of minRows goes as soon as no insert runs.
   */
  readonly caughtUp?: () => boolean;
  /** Called when a background insert has committed (the sink checks whether the next batch is due or ready). */
  readonly onIdle?: () => void;
  /** One INSERT of the row sets (a batch: one set per record). */
  readonly insert: (sets: readonly RowSet[]) => Promise<void>;
  readonly retry: SinkRetry;
  readonly deadLetter: DeadLetterWriter;
  /** Commits offsets for the group (the current consumer's commitOffsets). */
  readonly commitOffsets: (offsets: TopicOffset[]) => Promise<void>;
  readonly afterInsert: ((info: SinkFlushInfo) => void | Promise<void>) | undefined;
  readonly counters: SinkCounters;
  /** topic|partition → the last committed offset, updated after each commit. */
  readonly committed: Map<string, TopicOffset>;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * Insert, then commit, one batch at a time and in order. eachBatch and the flush timer both go through
 * {@link locked}; a background flush lets the next batch be read, decoded and mapped while this one is encoded and
 * inserted, and every flush first waits for the previous one, so offsets are only committed after their insert and
 * in offset order.
 */
export class FlushPipeline {
  private lock: Promise<unknown> = Promise.resolve();
  /** The flush inserting in the background, whether it still runs, and its failure if it failed. */
  private inflight: Promise<void> | undefined;
  private inflightRunning = false;
  private inflightError: unknown;

  constructor(private readonly p: FlushPipelineParameters) {}

  /** A background flush failed: nothing more may be committed until the consumer restarts. */
  get failed(): boolean {
    return this.inflightError !== undefined;
  }

  /** A batch is due by time; while an insert runs it keeps filling (up to maxRows) instead of waiting for it. */
  get dueByTime(): boolean {
    return !this.inflightRunning && this.p.buffer.isDue;
  }

  /** No insert runs, the batch holds at least `minRows` and nothing more is waiting: sending it now keeps the warehouse busy. */
  get ready(): boolean {
    const { buffer, minRows, caughtUp } = this.p;
    return !this.inflightRunning && buffer.bufferedRows >= (minRows ?? Infinity) && (caughtUp?.() ?? true);
  }

  /** Runs `fn` after every earlier locked call, whether it failed or not. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Rethrows a background flush's failure (eachBatch: the consumer restarts from the last commit). */
  throwIfFailed(): void {
    if (this.inflightError !== undefined) throw this.inflightError;
  }

  /**
   * Must run under the lock. Inserts everything buffered, then commits the pending offsets. With `background`,
   * returns once the flush has started.
   */
  async flush(reason: string, background = false): Promise<void> {
    await this.settleInflight();
    const { buffer } = this.p;
    if (buffer.isEmpty) return;
    const work = this.insertAndCommit(buffer.take(), reason);
    if (!background) return work;
    this.inflightRunning = true;
    this.inflight = work
      .catch((error: unknown) => {
        this.inflightError = error;
        if (!this.p.signal.aborted) {
          this.p.logger.error({
            msg: 'background insert failed; nothing more is committed until the consumer restarts',
            err: error,
          });
        }
      })
      .finally(() => {
        this.inflightRunning = false;
        if (this.inflightError === undefined) this.p.onIdle?.();
      });
  }

  /** Buffered records were not committed: the replacement consumer reads them again, so they are dropped here. */
  async dropUncommitted(): Promise<void> {
    await this.locked(async () => {
      await this.inflight;
      this.inflight = undefined;
      this.inflightError = undefined;
      this.p.buffer.clear();
    });
  }

  /**
   * Waits for the background flush, if any. Its failure is rethrown here and by every later flush
   * until the consumer restarts (dropUncommitted): nothing read after a failed batch may be committed.
   */
  private async settleInflight(): Promise<void> {
    const running = this.inflight;
    this.inflight = undefined;
    if (running) await running;
    this.throwIfFailed();
  }

  private async insertAndCommit(batch: SinkBatch, reason: string): Promise<void> {
    const { topic, table } = this.p;
    const { records } = batch;
    const insertStarted = performance.now();
    await this.insertRecords(records);
    const insertMs = performance.now() - insertStarted;
    const offsetsByTopic = byTopic(batch.offsets.values());
    const offsets = offsetsByTopic[topic] ?? {};
    await this.p.afterInsert?.({ topic, table, rows: batch.rows, records: records.length, offsets, offsetsByTopic });
    const commitStarted = performance.now();
    await this.commit(batch.offsets, offsetsByTopic);
    this.account(batch, reason, insertMs, performance.now() - commitStarted);
  }

  /** Inserts the records' rows; on a data error, inserts record by record and dead-letters the rejected ones. */
  private async insertRecords(records: BufferedRecord[]): Promise<void> {
    const { retry, insert, logger } = this.p;
    const sets = records.filter((r) => r.rows.length > 0).map((r) => r.rows);
    if (sets.length === 0) return;
    try {
      await retry('insert', () => insert(sets), isRetryable);
      return;
    } catch (error) {
      if (!(error instanceof SinkRowsRejectedError)) throw error;
      logger.warn({ msg: 'rows rejected; isolating the offending records', records: records.length, err: error.toJSON() });
    }
    for (const record of records) {
      if (record.rows.length === 0) continue;
      try {
        await retry('insert', () => insert([record.rows]), isRetryable);
      } catch (error) {
        if (!(error instanceof SinkRowsRejectedError)) throw error;
        await this.p.deadLetter(record, error, 1);
      }
    }
  }

  private async commit(offsets: Map<string, TopicOffset>, offsetsByTopic: Record<string, Record<number, string>>): Promise<void> {
    if (offsets.size === 0) return;
    try {
      await this.p.commitOffsets([...offsets.values()]);
      for (const [key, entry] of offsets) this.p.committed.set(key, entry);
    } catch (error) {
      // The rows are in ClickHouse; the records will be read again (after a rebalance) and
      // re-inserted as identical rows, which the ReplacingMergeTree collapses.
      this.p.logger.warn({ msg: 'offset commit failed; records will be replayed', err: error, offsets: offsetsByTopic });
    }
  }

  private account(batch: SinkBatch, reason: string, insertMs: number, commitMs: number): void {
    const { counters, table, topic } = this.p;
    const rows = batch.rows;
    const records = batch.records.length;
    counters.records += records;
    metrics.sinkRecords.inc({ table }, records);
    counters.rows += rows;
    if (rows > 0) counters.batches += 1;
    if (rows === 0 && records === 0) return;
    this.p.logger.info({
      msg: 'batch inserted',
      topic,
      table,
      reason,
      format: this.p.format,
      batch_size: rows,
      records,
      partitions: batch.offsets.size,
      insert_ms: Math.round(insertMs),
      commit_ms: Math.round(commitMs),
      rows_per_s: insertMs > 0 ? Math.round((rows / insertMs) * 1000) : null,
    });
  }
}
