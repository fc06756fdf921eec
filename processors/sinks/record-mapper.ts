import { isRetryable, OraculError } from '../../core/errors.ts';
import type { Serde, TopicName, TopicValue } from '../../schemas/index.ts';
import type { DeadLetterWriter, FailedRecord } from './dead-letter-writer.ts';
import { SinkMappingFailedError } from './errors.ts';
import type { SinkRetry } from './sink-retry.ts';
import { BinaryWriter } from './row-binary/binary-writer.ts';
import { EncodedRows, type RecordTranscoder, type SinkRecordMeta, type SinkRow } from './sink-types.ts';

export interface RecordMapperParameters<N extends TopicName> {
  /** source topic → its value serde. */
  readonly serdes: ReadonlyMap<string, Serde<TopicValue<N>>>;
  readonly toRows: (value: TopicValue<N>, meta: SinkRecordMeta) => SinkRow[] | Promise<SinkRow[]>;
  readonly retry: SinkRetry;
  readonly deadLetter: DeadLetterWriter;
  readonly signal: AbortSignal;
  /** Reads records of the topic's own schema straight into RowBinary (rowBinary.transcoder). */
  readonly transcoder?: RecordTranscoder | undefined;
}

/** Transcoded records share 1 MiB buffers (a slice each); a record starts a fresh one when less than this is left. */
const SLAB_BYTES = 1 << 20;
const MIN_FREE_BYTES = 64 * 1024;

/**
 * Record → value → rows. Retryable failures (the schema registry or a lookup being down) are retried; any other
 * failure dead-letters the record and yields `undefined`, so the caller only moves the offset past it.
 */
export class RecordMapper<N extends TopicName> {
  private readonly writer = new BinaryWriter(SLAB_BYTES);

  constructor(private readonly p: RecordMapperParameters<N>) {}

  /**
   * The record's rows as RowBinary when the transcoder takes it: a record written with the topic's own schema that
   * the transcoder accepts. `undefined` sends it down the general path (decode, then rows), which also retries or
   * dead-letters whatever failed here, with the errors it has always given.
   */
  async encoded(record: FailedRecord): Promise<EncodedRows | undefined> {
    const { transcoder } = this.p;
    const serde = this.p.serdes.get(record.topic)!;
    const value = record.message.value;
    if (!transcoder || value === null || !serde.bodyInOwnSchema) return undefined;
    let body: Buffer | undefined;
    try {
      body = await serde.bodyInOwnSchema(value);
    } catch {
      return undefined;
    }
    if (body === undefined) return undefined;
    // Output runs a little longer than the Avro body (the envelope columns repeat on every row).
    this.writer.reserve(Math.max(MIN_FREE_BYTES, 2 * body.length));
    let rows: number | undefined;
    try {
      rows = transcoder.transcode(body, this.writer);
    } catch {
      // Not a decline but a fault of the transcoder itself: the general path still takes the record (and
      // dead-letters it if it is bad), rather than the consumer crashing on it again after every restart.
      this.writer.rewind();
      return undefined;
    }
    return rows === undefined ? undefined : new EncodedRows(this.writer.slice(), rows);
  }

  /** The decoded value, or `undefined` when the record was a tombstone or undecodable (dead-lettered). */
  async decode(record: FailedRecord): Promise<TopicValue<N> | undefined> {
    const { message, topic } = record;
    if (message.value === null) {
      await this.p.deadLetter(record, new SinkMappingFailedError(`tombstone (null value) on ${topic}`), 1);
      return undefined;
    }
    const serde = this.p.serdes.get(topic)!;
    return this.attempt(
      record,
      'decode',
      () => serde.deserialize(message.value!),
      (error) => error,
    );
  }

  /** The record's rows, or `undefined` when `toRows` failed for good (dead-lettered). */
  rows(record: FailedRecord, value: TopicValue<N>): Promise<SinkRow[] | undefined> {
    const { message } = record;
    const meta: SinkRecordMeta = {
      topic: record.topic,
      partition: record.partition,
      offset: message.offset,
      key: message.key ?? null,
      timestamp: message.timestamp ? Number(message.timestamp) : null,
    };
    return this.attempt(record, 'map rows', async () => this.p.toRows(value, meta), asMappingError);
  }

  private async attempt<T>(
    record: FailedRecord,
    what: string,
    fn: () => Promise<T>,
    reason: (error: unknown) => unknown,
  ): Promise<T | undefined> {
    let attempts = 0;
    try {
      return await this.p.retry(
        what,
        () => {
          attempts += 1;
          return fn();
        },
        isRetryable,
      );
    } catch (error) {
      if (this.p.signal.aborted) throw error;
      await this.p.deadLetter(record, reason(error), attempts);
      return undefined;
    }
  }
}

function asMappingError(error: unknown): unknown {
  if (error instanceof OraculError) return error;
  const message = `toRows failed: ${error instanceof Error ? error.message : String(error)}`;
  return new SinkMappingFailedError(message, { cause: error });
}
