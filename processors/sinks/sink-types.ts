import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { DeadLetter, Serdes, TopicName, TopicValue } from '../../schemas/index.ts';
import type { BinaryWriter } from './row-binary/binary-writer.ts';
import type { SinkColumn } from './row-binary/row-encoder.ts';

/** The public shapes of a ClickHouse sink (re-exported by clickhouse-sink.ts and index.ts). */

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

/**
 * Rows of one record already encoded as RowBinary of the sink's declared columns (a record a `transcoder` read
 * straight from its Avro bytes): `length` rows in `rowBinary`.
 */
export class EncodedRows {
  constructor(
    readonly rowBinary: Buffer,
    readonly length: number,
  ) {}
}

/** What one record adds to a batch: row objects, or rows already encoded. */
export type RowSet = SinkRow[] | EncodedRows;

/** Rows of the record's Avro body appended to `w` as RowBinary of the declared columns (see `rowBinary.transcoder`). */
export interface RecordTranscoder {
  /**
   * How many rows were appended, or `undefined` (with `w` left as it was) when the record must take the general
   * path (decode, `toRows`, encode): any kind but a plain block, or a value the general path would refuse, so its
   * dead letter or rejection stays exactly what that path gives.
   */
  transcode(body: Buffer, w: BinaryWriter): number | undefined;
}

export interface SinkBatchOptions {
  /** Insert once this many rows are buffered (default 50 000). */
  maxRows?: number;
  /** Insert at the latest this long after the first buffered record (default 1 000 ms). */
  maxWaitMs?: number;
  /**
   * Insert a batch of at least this many rows without waiting for `maxWaitMs` once no insert is running and the
   * consumer has read everything there is (default half of maxRows); a backlog fills batches up to `maxRows` instead
   * (fewer, larger inserts), and trickling records (live blocks) still wait for `maxWaitMs`.
   */
  minRows?: number;
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
  rowBinary?: {
    columns: readonly SinkColumn[];
    /** Rows per encoded chunk (default 2 000). */
    chunkRows?: number;
    /**
     * Reads a record's Avro body straight into RowBinary of `columns`, without a decoded value or row objects
     * (ADR 0015). Used for records written with the topic's own schema; a record it declines takes the general path.
     */
    transcoder?: RecordTranscoder;
  };
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

export interface SinkStats extends SinkCounters {
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

/** What a sink has done so far (the numeric part of {@link SinkStats}). */
export interface SinkCounters {
  records: number;
  rows: number;
  batches: number;
  deadLettered: number;
  insertFailures: number;
}
