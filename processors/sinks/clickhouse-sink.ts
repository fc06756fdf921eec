import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { errorCode, isRetryable, OraculError } from '../../core/errors.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { superviseConsumer, type SupervisedConsumer } from '../../core/kafka/supervised-consumer.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import { metrics, observeConsumerLag } from '../../core/metrics/index.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import {
  isTopicName,
  type DeadLetter,
  type DeadLetterHeader,
  type Serde,
  type Serdes,
  type TopicName,
  type TopicValue,
} from '../../schemas/index.ts';
import { classifyInsertError } from './classify-insert-error.ts';
import { checkTableColumns } from './row-binary/check-table-columns.ts';
import { insertRowBinary } from './row-binary/insert-row-binary.ts';
import { createRowEncoder, type SinkColumn } from './row-binary/row-encoder.ts';
import { SinkCatchUpTimeoutError, SinkMappingFailedError, SinkRowsRejectedError } from './errors.ts';

/** Where a consumed record came from; passed to `toRows` and kept in dead letters. */
export interface SinkRecordMeta {
  topic: string;
  partition: number;
  /** Kafka offset (a decimal string, as kafkajs gives it). */
  offset: string;
  key: Buffer | null;
  /** Kafka record timestamp, UTC epoch ms; null when absent. */
  timestamp: number | null;
}

export type SinkRow = Record<string, unknown>;

export interface SinkBatchOptions {
  /** Insert once this many rows are buffered (default 50 000). */
  maxRows?: number;
  /** Insert at the latest this long after the first buffered record (default 1 000 ms). */
  maxWaitMs?: number;
}

export interface SinkFlushInfo {
  topic: string;
  table: string;
  rows: number;
  records: number;
  /** Offsets about to be committed on the sink's (first) topic: partition → next offset to read. */
  offsets: Record<number, string>;
  /** The same for every topic the sink reads: topic → partition → next offset. */
  offsetsByTopic: Record<string, Record<number, string>>;
}

export interface CreateClickHouseSinkOptions<N extends TopicName> {
  serdes: Serdes;
  /**
   * The topic, or several topics of one value schema read by one consumer group into one table (the
   * dead-letters sink reads every `<topic>.dlq`). The first one names the sink (`sink.topic`).
   */
  topic: N | readonly N[];
  /** Target table, plain (in `clickhouse.database`) or `db.table`. */
  table: string;
  /** Consumer group; default `<kafka.clientId>-sink-<table>`. */
  groupId?: string;
  /**
   * Rows for one decoded record (may be empty). Throwing a NonRetryableError (or a bug)
   * dead-letters the record; throwing a RetryableError retries it with backoff.
   */
  toRows(value: TopicValue<N>, meta: SinkRecordMeta): SinkRow[] | Promise<SinkRow[]>;
  /**
   * Records for which every buffered row is inserted first, so `toRows` can read what
   * earlier records wrote (raw sinks: a reorg retraction looks up the orphaned rows).
   */
  flushBefore?(value: TopicValue<N>): boolean;
  batch?: SinkBatchOptions;
  /** Backoff while ClickHouse (or the DLQ) is unavailable: initial and maximum delay (default 250 ms, 15 s). */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long stop() keeps retrying the last insert before giving up on it (uncommitted: re-read later). Default 15 s. */
  stopTimeoutMs?: number;
  /** Settings for every INSERT. */
  insertSettings?: ClickHouseSettings;
  /**
   * Insert RowBinary of these columns (name and ClickHouse type, in order), encoded chunk by chunk
   * while the request is sent. The list is checked against the table before the first insert.
   * Without it, rows are sent as JSONEachRow (one JSON.stringify per batch).
   */
  rowBinary?: { columns: readonly SinkColumn[]; /** Rows per encoded chunk (default 2 000). */ chunkRows?: number };
  /**
   * Consumer group session timeout (default 30 000 ms): how long a member that died without
   * leaving (kill -9) holds its partitions before the group reassigns them. Heartbeats every third of it.
   */
  sessionTimeoutMs?: number;
  /** Read from the earliest offset when the group has none (default true). */
  fromBeginning?: boolean;
  /** Injected clients (default: built from config). The sink closes only what it built, unless ownsClickHouse. */
  kafka?: Kafka | undefined;
  clickhouse?: ClickHouseClient | undefined;
  /** Close `clickhouse` on stop() even though it was injected (default: only when the sink built it). */
  ownsClickHouse?: boolean;
  /** Test hook: runs after ClickHouse acknowledged a batch and before its offsets are committed. */
  afterInsert?(info: SinkFlushInfo): void | Promise<void>;
  /**
   * For topics without a `<topic>.dlq` (the dead-letter topics themselves): a record that fails is not published
   * but written as these rows into the sink's own table (required for such topics, checked at creation).
   */
  deadLetterRows?(letter: DeadLetter): SinkRow[];
}

export interface SinkStats {
  records: number;
  rows: number;
  batches: number;
  deadLettered: number;
  insertFailures: number;
  /** Committed offsets of the sink's (first) topic: partition → next offset. */
  committedOffsets: Record<number, string>;
  /** Committed offsets of every topic it reads: topic → partition → next offset. */
  committedByTopic: Record<string, Record<number, string>>;
}

export interface ClickHouseSink {
  /** The (first) topic the sink reads. */
  readonly topic: string;
  /** Every topic the sink reads. */
  readonly topics: readonly string[];
  readonly table: string;
  readonly groupId: string;
  /** Connects, subscribes and starts consuming; resolves once the consumer runs. */
  start(): Promise<void>;
  /** Inserts and commits what is buffered (retrying up to stopTimeoutMs), then leaves the group. */
  stop(): Promise<void>;
  /** Resolves once the group's committed offsets reach the end of every partition of the topic. */
  waitUntilCaughtUp(options?: { timeoutMs?: number; pollMs?: number }): Promise<void>;
  stats(): SinkStats;
}

interface BufferedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rows: SinkRow[];
}

/** A topic partition and the next offset to read in it (one commit entry). */
interface TopicOffset {
  topic: string;
  partition: number;
  offset: string;
}

const tpKey = (topic: string, partition: number): string => `${topic}|${partition}`;

/** topic → partition → offset, for stats and hooks. */
function byTopic(offsets: Iterable<TopicOffset>): Record<string, Record<number, string>> {
  const out: Record<string, Record<number, string>> = {};
  for (const { topic, partition, offset } of offsets) (out[topic] ??= {})[partition] = offset;
  return out;
}

const DEFAULT_MAX_ROWS = 50_000;
const DEFAULT_MAX_WAIT_MS = 1_000;

/**
 * A Kafka → ClickHouse sink for one topic and one table (docs: processors/sinks/README.md).
 *
 * - reads committed records only (isolation read_committed), decodes them with the topic's Serde,
 *   maps them to rows and buffers them across partitions up to `maxRows` / `maxWaitMs`;
 * - inserts (RowBinary encoded while sent when `rowBinary` columns are given, else JSONEachRow), then commits the offsets it covered: at-least-once delivery, and an
 *   exactly-once effect through the tables' ReplacingMergeTree keys and versions (a replayed batch
 *   re-inserts identical rows, which FINAL collapses);
 * - undecodable records, mapping failures and rows ClickHouse rejects go to `<topic>.dlq`, with the
 *   error code and the source topic/partition/offset, and their offsets are committed;
 * - while ClickHouse is unavailable the batch is retried with exponential backoff and jitter and
 *   consumption waits (nothing else is buffered, nothing is skipped); the group membership is kept
 *   alive with heartbeats.
 */
export function createClickHouseSink<N extends TopicName>(
  common: Common,
  options: CreateClickHouseSinkOptions<N>,
): ClickHouseSink {
  const { config } = common;
  const topicList: readonly N[] = typeof options.topic === 'string' ? [options.topic as N] : (options.topic as readonly N[]);
  if (topicList.length === 0) throw new Error('createClickHouseSink: no topic');
  const topic: string = topicList[0]!;
  const topicSet = new Set<string>(topicList);
  const table = options.table;
  const groupId = options.groupId ?? `${config.kafka.clientId}-sink-${table}`;
  const maxRows = options.batch?.maxRows ?? DEFAULT_MAX_ROWS;
  const maxWaitMs = options.batch?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const initialDelayMs = options.retry?.initialDelayMs ?? 250;
  const maxDelayMs = options.retry?.maxDelayMs ?? 15_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const stage = `sink:${table}`;
  const logger: Logger = componentLogger(common.logger, 'clickhouse-sink', { topic, table, group_id: groupId });

  const serdes = new Map(topicList.map((t) => [t as string, options.serdes.forTopic(t) as Serde<TopicValue<N>>] as const));
  /** source topic → its dead-letter topic and serde; absent for topics whose failures go to deadLetterRows. */
  const dlqs = new Map<string, { topic: TopicName; serde: Serde<DeadLetter> }>();
  for (const t of topicList) {
    const dlq = `${t}.dlq`;
    if (isTopicName(dlq)) dlqs.set(t, { topic: dlq, serde: options.serdes.forTopic(dlq) as Serde<DeadLetter> });
    else if (!options.deadLetterRows) throw new Error(`createClickHouseSink: ${t} has no ${dlq}; pass deadLetterRows`);
  }

  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `sink-${table}` });
  const ownsClickHouse = options.ownsClickHouse ?? options.clickhouse === undefined;
  const clickhouse = options.clickhouse ?? createWarehouseClient({ config, role: 'writer' });
  // Built once: a column type the encoder cannot write fails here, at creation, not on the first batch.
  const encoder = options.rowBinary ? createRowEncoder(table, options.rowBinary.columns) : undefined;
  const insertFormat = encoder ? 'RowBinary' : 'JSONEachRow';
  /** The column check, started by start() so it overlaps the group join; a failed one is asked again by the next insert. */
  let columnsCheck: Promise<void> | undefined;
  function checkColumns(): Promise<void> {
    if (!encoder) return Promise.resolve();
    const started = performance.now();
    const check = checkTableColumns(clickhouse, table, encoder.columns).then(() => {
      logger.info({ msg: 'table columns match the RowBinary layout', duration_ms: Math.round(performance.now() - started) });
    });
    check.catch(() => {
      if (columnsCheck === check) columnsCheck = undefined;
    });
    columnsCheck = check;
    return check;
  }

  let consumer: SupervisedConsumer | undefined;
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let heartbeat: (() => Promise<void>) | undefined;
  let stopping = false;
  let started = false;
  const abort = new AbortController();

  let buffer: BufferedRecord[] = [];
  let bufferedRows = 0;
  /** topic|partition → next offset to commit, for everything buffered or dead-lettered so far. */
  let pending = new Map<string, TopicOffset>();
  let pendingSince: number | undefined;
  /** The flush inserting in the background (see flushLocked), and its failure if it failed. */
  let inflight: Promise<void> | undefined;
  let inflightRunning = false;
  let inflightError: unknown;
  /** A batch is due by time; while an insert runs it keeps filling (up to maxRows) instead of waiting for it. */
  const dueByTime = (): boolean => !inflightRunning && pendingSince !== undefined && Date.now() - pendingSince >= maxWaitMs;
  const committed = new Map<string, TopicOffset>();
  const counters = { records: 0, rows: 0, batches: 0, deadLettered: 0, insertFailures: 0 };

  // One flush at a time; eachBatch and the timer both go through this chain.
  let lock: Promise<unknown> = Promise.resolve();
  function locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  }

  function markPending(from: string, partition: number, nextOffset: string): void {
    const key = tpKey(from, partition);
    const current = pending.get(key);
    if (current === undefined || BigInt(nextOffset) > BigInt(current.offset))
      pending.set(key, { topic: from, partition, offset: nextOffset });
    pendingSince ??= Date.now();
  }

  /** Retries `fn` while it fails retryably, with exponential backoff + jitter; aborted by stop(). */
  async function withBackoff<T>(what: string, fn: () => Promise<T>, isTransient: (e: unknown) => boolean): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        if (!isTransient(error) || abort.signal.aborted) throw error;
        const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 16)) * (1 + Math.random());
        logger.warn({
          msg: `${what} failed, consumption paused; retrying`,
          attempt: attempt + 1,
          retry_in_ms: Math.round(delay),
          buffered_rows: bufferedRows,
          err: error instanceof OraculError ? error.toJSON() : error,
        });
        counters.insertFailures += what === 'insert' ? 1 : 0;
        await sleep(delay, undefined, { signal: abort.signal });
        await heartbeat?.().catch(() => undefined);
      }
    }
  }

  async function insertRows(rows: SinkRow[]): Promise<void> {
    const timer = metrics.clickhouseInsertDuration.startTimer({ table });
    try {
      if (encoder) {
        await (columnsCheck ?? checkColumns());
        await insertRowBinary(clickhouse, encoder, rows, {
          ...(options.insertSettings ? { settings: options.insertSettings } : {}),
          ...(options.rowBinary?.chunkRows ? { chunkRows: options.rowBinary.chunkRows } : {}),
          signal: abort.signal,
        });
      } else {
        await clickhouse.insert({
          table,
          values: rows,
          format: 'JSONEachRow',
          ...(options.insertSettings ? { clickhouse_settings: options.insertSettings } : {}),
          abort_signal: abort.signal,
        });
      }
      timer({ outcome: 'ok' });
      metrics.clickhouseInsertedRows.inc({ table }, rows.length);
    } catch (error) {
      timer({ outcome: 'error' });
      if (abort.signal.aborted) throw error;
      throw classifyInsertError(error, table);
    }
  }

  async function deadLetter(
    from: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const oracul = error instanceof OraculError ? error : undefined;
    const record: DeadLetter = {
      source_topic: from,
      source_partition: partition,
      source_offset: Number(message.offset),
      source_timestamp: message.timestamp ? Number(message.timestamp) : null,
      original_key: message.key ?? null,
      original_value: message.value ?? null,
      original_headers: toDeadLetterHeaders(message.headers),
      stage,
      error_code: errorCode(error),
      error_message: (error instanceof Error ? error.message : String(error)).slice(0, 2000),
      error_details: oracul ? JSON.stringify(oracul.details) : null,
      retryable: isRetryable(error),
      attempts,
      failed_at: Date.now(),
    };
    const dlq = dlqs.get(from);
    if (dlq) {
      const value = await dlq.serde.serialize(record);
      await withBackoff(
        'dead-letter publish',
        () => producer!.send({ topic: dlq.topic, messages: [{ key: message.key ?? null, value }] }),
        () => true,
      );
    } else {
      await storeDeadLetter(record);
    }
    counters.deadLettered += 1;
    metrics.deadLetters.inc({ stage, topic: from });
    logger.warn({
      msg: 'record dead-lettered',
      dlq_topic: dlq?.topic ?? table,
      partition,
      offset: message.offset,
      error_code: record.error_code,
      error_message: record.error_message,
    });
  }

  /**
   * A dead letter of a topic that has no `.dlq` (a dead-letter topic itself): its rows go straight into the table,
   * keyed like every other row, so a replay collapses. If the engine refuses even those, the failure is logged
   * and the record skipped: there is nowhere further to put it.
   */
  async function storeDeadLetter(letter: DeadLetter): Promise<void> {
    try {
      await withBackoff('insert', () => insertRows(options.deadLetterRows!(letter)), isRetryable);
    } catch (error) {
      if (abort.signal.aborted) throw error;
      logger.error({ msg: 'dead letter not stored; record skipped', source_topic: letter.source_topic, err: error });
    }
  }

  /** Inserts the records' rows; on a data error, inserts record by record and dead-letters the rejected ones. */
  async function insertBuffered(records: BufferedRecord[]): Promise<void> {
    const rows = records.flatMap((r) => r.rows);
    if (rows.length === 0) return;
    try {
      await withBackoff('insert', () => insertRows(rows), isRetryable);
      return;
    } catch (error) {
      if (!(error instanceof SinkRowsRejectedError)) throw error;
      logger.warn({ msg: 'rows rejected; isolating the offending records', records: records.length, err: error.toJSON() });
    }
    for (const record of records) {
      if (record.rows.length === 0) continue;
      try {
        await withBackoff('insert', () => insertRows(record.rows), isRetryable);
      } catch (error) {
        if (!(error instanceof SinkRowsRejectedError)) throw error;
        await deadLetter(record.topic, record.partition, record.message, error, 1);
      }
    }
  }

  /**
   * Waits for the background flush, if any. Its failure is rethrown here and by every later flush
   * until the consumer restarts (dropUncommitted): nothing read after a failed batch may be committed.
   */
  async function settleInflight(): Promise<void> {
    const running = inflight;
    inflight = undefined;
    if (running) await running;
    if (inflightError !== undefined) throw inflightError;
  }

  /**
   * Must run under the lock. Inserts everything buffered, then commits the pending offsets. With
   * `background`, returns once the flush has started: the next batch is read, decoded and mapped
   * while this one is encoded and inserted (the engine's work overlaps the sink's). At most one
   * flush runs at a time and each waits for the previous one, so commits stay in offset order.
   */
  async function flushLocked(reason: string, background = false): Promise<void> {
    await settleInflight();
    if (buffer.length === 0 && pending.size === 0) return;
    const records = buffer;
    const offsets = pending;
    const rows = bufferedRows;
    buffer = [];
    bufferedRows = 0;
    pending = new Map();
    pendingSince = undefined;
    const work = insertAndCommit(records, offsets, rows, reason);
    if (!background) return work;
    inflightRunning = true;
    inflight = work
      .catch((error: unknown) => {
        inflightError = error;
        if (!abort.signal.aborted) {
          logger.error({ msg: 'background insert failed; nothing more is committed until the consumer restarts', err: error });
        }
      })
      .finally(() => {
        inflightRunning = false;
      });
  }

  async function insertAndCommit(
    records: BufferedRecord[],
    offsets: Map<string, TopicOffset>,
    rows: number,
    reason: string,
  ): Promise<void> {
    const startedAt = performance.now();
    await insertBuffered(records);
    const insertMs = performance.now() - startedAt;
    const offsetsByTopic = byTopic(offsets.values());
    const offsetsObject = offsetsByTopic[topic] ?? {};
    await options.afterInsert?.({ topic, table, rows, records: records.length, offsets: offsetsObject, offsetsByTopic });

    const commitStarted = performance.now();
    if (offsets.size > 0) {
      try {
        await consumer!.current.commitOffsets([...offsets.values()]);
        for (const [key, entry] of offsets) committed.set(key, entry);
      } catch (error) {
        // The rows are in ClickHouse; the records will be read again (after a rebalance) and
        // re-inserted as identical rows, which the ReplacingMergeTree collapses.
        logger.warn({ msg: 'offset commit failed; records will be replayed', err: error, offsets: offsetsByTopic });
      }
    }
    counters.records += records.length;
    metrics.sinkRecords.inc({ table }, records.length);
    counters.rows += rows;
    if (rows > 0) counters.batches += 1;
    if (rows > 0 || records.length > 0) {
      logger.info({
        msg: 'batch inserted',
        topic,
        table,
        reason,
        format: insertFormat,
        batch_size: rows,
        records: records.length,
        partitions: offsets.size,
        insert_ms: Math.round(insertMs),
        commit_ms: Math.round(performance.now() - commitStarted),
        rows_per_s: insertMs > 0 ? Math.round((rows / insertMs) * 1000) : null,
      });
    }
  }

  async function decode(from: string, partition: number, message: KafkaMessage): Promise<TopicValue<N> | undefined> {
    if (message.value === null) {
      await deadLetter(from, partition, message, new SinkMappingFailedError(`tombstone (null value) on ${from}`), 1);
      return undefined;
    }
    const serde = serdes.get(from)!;
    let attempts = 0;
    try {
      return await withBackoff(
        'decode',
        () => {
          attempts += 1;
          return serde.deserialize(message.value!);
        },
        isRetryable,
      );
    } catch (error) {
      if (abort.signal.aborted) throw error;
      await deadLetter(from, partition, message, error, attempts);
      return undefined;
    }
  }

  async function mapRows(
    from: string,
    partition: number,
    message: KafkaMessage,
    value: TopicValue<N>,
  ): Promise<SinkRow[] | undefined> {
    const meta: SinkRecordMeta = {
      topic: from,
      partition,
      offset: message.offset,
      key: message.key ?? null,
      timestamp: message.timestamp ? Number(message.timestamp) : null,
    };
    let attempts = 0;
    try {
      return await withBackoff(
        'map rows',
        async () => {
          attempts += 1;
          return options.toRows(value, meta);
        },
        isRetryable,
      );
    } catch (error) {
      if (abort.signal.aborted) throw error;
      const wrapped =
        error instanceof OraculError
          ? error
          : new SinkMappingFailedError(`toRows failed: ${error instanceof Error ? error.message : String(error)}`, {
              cause: error,
            });
      await deadLetter(from, partition, message, wrapped, attempts);
      return undefined;
    }
  }

  /** A new member of the group's consumer; superviseConsumer (started in start()) replaces one that crashed for good. */
  function createConsumer(): Consumer {
    const c = kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.floor((options.sessionTimeoutMs ?? 30_000) / 3),
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: Math.min(500, maxWaitMs),
    });
    // Batches made only of transaction markers (or aborted records) never reach eachBatch:
    // move the commit position past them so the group does not show a false lag.
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && topicSet.has(payload.topic) && !stopping) {
        markPending(payload.topic, payload.partition, (BigInt(payload.lastOffset) + 1n).toString());
      }
    });
    return c;
  }

  async function runConsumer(c: Consumer): Promise<void> {
    await c.connect();
    await c.subscribe({ topics: [...topicList], fromBeginning: options.fromBeginning ?? true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  }

  /** Buffered records were not committed: the replacement member reads them again, so they are dropped here. */
  async function dropUncommitted(): Promise<void> {
    await locked(async () => {
      await inflight;
      inflight = undefined;
      inflightError = undefined;
      buffer = [];
      bufferedRows = 0;
      pending = new Map();
      pendingSince = undefined;
    });
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    heartbeat = payload.heartbeat;
    if (stopping) return;
    await locked(async () => {
      // A failed background flush crashes this consumer: the group re-reads from the last commit.
      if (inflightError !== undefined) throw inflightError;
      const from = batch.topic;
      for (const message of batch.messages) {
        if (stopping || !isRunning() || isStale()) return;
        const value = await decode(from, batch.partition, message);
        const next = (BigInt(message.offset) + 1n).toString();
        if (value === undefined) {
          markPending(from, batch.partition, next);
          payload.resolveOffset(message.offset);
          continue;
        }
        if (options.flushBefore?.(value)) await flushLocked('barrier');
        const rows = await mapRows(from, batch.partition, message, value);
        if (rows !== undefined) {
          buffer.push({ topic: from, partition: batch.partition, message, rows });
          bufferedRows += rows.length;
        }
        markPending(from, batch.partition, next);
        // In-memory progress only (autoCommit is off): the next fetch starts after this record.
        payload.resolveOffset(message.offset);
        if (bufferedRows >= maxRows) await flushLocked('size', true);
      }
      // Past the transaction marker that may close the batch.
      markPending(from, batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
      observeConsumerLag(stage, from, batch.partition, Number(batch.offsetLag()));
      if (dueByTime()) await flushLocked('time', true);
    });
    await payload.heartbeat();
  }

  return {
    topic,
    topics: [...topicList],
    table,
    groupId,
    async start() {
      if (started) throw new Error('sink already started');
      started = true;
      // Not awaited: an unreachable warehouse must not fail start(); the first insert waits for (or retries) it.
      checkColumns().catch(() => undefined);
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      // kafkajs restarts a crashed consumer only after retriable errors; a broker restart can end it with a
      // non-retriable one ("Failed to find group coordinator"), after which the sink would stay stopped for good.
      consumer = superviseConsumer({
        name: groupId,
        logger,
        initialDelayMs,
        maxDelayMs,
        create: createConsumer,
        run: runConsumer,
        onCrash: async (_error, kafkajsRestarts) => {
          // A failed background insert is the sink's own state: reset it whoever restarts the consumer (both
          // resume from the committed offsets).
          if (!kafkajsRestarts || inflightError !== undefined) await dropUncommitted();
        },
      });
      await consumer.start();
      flushTimer = setInterval(
        () => {
          // After a failed background insert only eachBatch acts (it rethrows, so the consumer restarts).
          if (stopping || inflightError !== undefined || !dueByTime()) return;
          locked(() => (dueByTime() ? flushLocked('time', true) : Promise.resolve())).catch((error: unknown) => {
            if (!abort.signal.aborted) logger.error({ msg: 'timed flush failed', err: error });
          });
        },
        Math.max(25, Math.floor(maxWaitMs / 4)),
      );
      logger.info({ msg: 'sink started', max_rows: maxRows, max_wait_ms: maxWaitMs, format: insertFormat });
    },
    async stop() {
      if (!started || stopping) return;
      stopping = true;
      if (flushTimer) clearInterval(flushTimer);
      const giveUp = setTimeout(() => abort.abort(new Error('sink stop timeout')), stopTimeoutMs);
      try {
        await locked(() => flushLocked('stop'));
      } catch (error) {
        logger.warn({ msg: 'last batch not inserted; it will be read again', err: error });
      } finally {
        clearTimeout(giveUp);
      }
      await consumer?.stop();
      await producer?.disconnect();
      await admin?.disconnect();
      if (ownsClickHouse) await clickhouse.close();
      logger.info({ msg: 'sink stopped', ...counters });
    },
    async waitUntilCaughtUp({ timeoutMs = 60_000, pollMs = 200 } = {}) {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      const deadline = Date.now() + timeoutMs;
      let lag = -1n;
      while (Date.now() < deadline) {
        let ends: { topic: string; partitions: Awaited<ReturnType<Admin['fetchTopicOffsets']>> }[];
        let groupOffsets: Awaited<ReturnType<Admin['fetchOffsets']>>;
        try {
          [ends, groupOffsets] = await Promise.all([
            Promise.all(topicList.map(async (t) => ({ topic: t as string, partitions: await admin!.fetchTopicOffsets(t) }))),
            admin.fetchOffsets({ groupId, topics: [...topicList] }),
          ]);
        } catch (error) {
          // Leaders moving, coordinator loading: ask again until the deadline.
          if ((error as { retriable?: boolean }).retriable !== true) throw error;
          await sleep(pollMs);
          continue;
        }
        const committedBy = new Map(
          groupOffsets.flatMap((g) => g.partitions.map((p) => [tpKey(g.topic, p.partition), BigInt(p.offset)] as const)),
        );
        lag = 0n;
        for (const { topic: t, partitions } of ends) {
          for (const end of partitions) {
            const high = BigInt(end.high);
            const low = BigInt(end.low);
            const at = committedBy.get(tpKey(t, end.partition)) ?? -1n;
            const position = at < 0n ? low : at;
            if (high > position) lag += high - position;
          }
        }
        if (lag === 0n) return;
        await sleep(pollMs);
      }
      throw new SinkCatchUpTimeoutError(`sink ${stage} did not catch up with ${topicList.join(', ')} within ${timeoutMs} ms`, {
        details: { topic, table, group_id: groupId, lag: lag.toString() },
      });
    },
    stats() {
      const committedByTopic = byTopic(committed.values());
      return { ...counters, committedOffsets: { ...committedByTopic[topic] }, committedByTopic };
    },
  };
}

/** Starts the sink, waits until it has consumed the whole topic, and stops it (tests, benchmarks, one-shot loads). */
export async function runSinkUntilCaughtUp(sink: ClickHouseSink, options: { timeoutMs?: number } = {}): Promise<SinkStats> {
  await sink.start();
  try {
    await sink.waitUntilCaughtUp(options);
  } finally {
    await sink.stop();
  }
  return sink.stats();
}

function toDeadLetterHeaders(headers: IHeaders | undefined): DeadLetterHeader[] {
  const out: DeadLetterHeader[] = [];
  for (const [key, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) out.push({ key, value: v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v) });
  }
  return out;
}
