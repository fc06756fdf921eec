import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { errorCode, isRetryable, OraculError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { metrics } from '../../core/metrics/index.ts';
import {
  isTopicName,
  type DeadLetter,
  type DeadLetterHeader,
  type Serde,
  type Serdes,
  type TopicName,
} from '../../schemas/index.ts';
import type { SinkRetry } from './sink-retry.ts';
import type { RowSet, SinkCounters, SinkRow } from './sink-types.ts';

/** Where a failed record of one source topic goes: its `<topic>.dlq` and that topic's serde. */
export interface DeadLetterTopic {
  readonly topic: TopicName;
  readonly serde: Serde<DeadLetter>;
}

/**
 * source topic → its dead-letter topic. Topics without a `<topic>.dlq` (the dead-letter topics themselves) are
 * absent: their failures are stored as rows, so `deadLetterRows` is then required.
 */
export function deadLetterTopics(
  serdes: Serdes,
  topics: readonly string[],
  hasDeadLetterRows: boolean,
): Map<string, DeadLetterTopic> {
  const out = new Map<string, DeadLetterTopic>();
  for (const topic of topics) {
    const dlq = `${topic}.dlq`;
    if (isTopicName(dlq)) out.set(topic, { topic: dlq, serde: serdes.forTopic(dlq) as Serde<DeadLetter> });
    else if (!hasDeadLetterRows) throw new Error(`createClickHouseSink: ${topic} has no ${dlq}; pass deadLetterRows`);
  }
  return out;
}

/** The record that failed and where it was read. */
export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** The dead letter of a record: the original bytes and headers, where it came from, and why it failed. */
export function deadLetterOf(failed: FailedRecord, stage: string, error: unknown, attempts: number): DeadLetter {
  const { message } = failed;
  const oracul = error instanceof OraculError ? error : undefined;
  return {
    source_topic: failed.topic,
    source_partition: failed.partition,
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
}

function toDeadLetterHeaders(headers: IHeaders | undefined): DeadLetterHeader[] {
  const out: DeadLetterHeader[] = [];
  for (const [key, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) out.push({ key, value: v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v) });
  }
  return out;
}

/** Dead-letters a record; resolves once the letter is published (or stored) and may be committed past. */
export type DeadLetterWriter = (failed: FailedRecord, error: unknown, attempts: number) => Promise<void>;

export interface DeadLetterWriterParameters {
  readonly stage: string;
  readonly table: string;
  readonly topics: ReadonlyMap<string, DeadLetterTopic>;
  /** The sink's producer (connected by start()). */
  readonly producer: () => Producer;
  /** Rows of a letter for topics without a `.dlq`, inserted into the sink's own table. */
  readonly deadLetterRows: ((letter: DeadLetter) => SinkRow[]) | undefined;
  readonly insert: (sets: readonly RowSet[]) => Promise<void>;
  readonly retry: SinkRetry;
  readonly signal: AbortSignal;
  readonly counters: SinkCounters;
  readonly logger: Logger;
}

/** Publishes dead letters to `<topic>.dlq` (retrying until it works), or stores them as rows where there is none. */
export function createDeadLetterWriter(p: DeadLetterWriterParameters): DeadLetterWriter {
  /**
   * A dead letter of a topic that has no `.dlq` (a dead-letter topic itself): its rows go straight into the table,
   * keyed like every other row, so a replay collapses. If the engine refuses even those, the failure is logged
   * and the record skipped: there is nowhere further to put it.
   */
  async function store(letter: DeadLetter): Promise<void> {
    try {
      await p.retry('insert', () => p.insert([p.deadLetterRows!(letter)]), isRetryable);
    } catch (error) {
      if (p.signal.aborted) throw error;
      p.logger.error({ msg: 'dead letter not stored; record skipped', source_topic: letter.source_topic, err: error });
    }
  }

  async function publish(dlq: DeadLetterTopic, failed: FailedRecord, letter: DeadLetter): Promise<void> {
    const value = await dlq.serde.serialize(letter);
    const key = failed.message.key ?? null;
    await p.retry(
      'dead-letter publish',
      () => p.producer().send({ topic: dlq.topic, messages: [{ key, value }] }),
      () => true,
    );
  }

  return async (failed, error, attempts) => {
    const letter = deadLetterOf(failed, p.stage, error, attempts);
    const dlq = p.topics.get(failed.topic);
    await (dlq ? publish(dlq, failed, letter) : store(letter));
    p.counters.deadLettered += 1;
    metrics.deadLetters.inc({ stage: p.stage, topic: failed.topic });
    p.logger.warn({
      msg: 'record dead-lettered',
      dlq_topic: dlq?.topic ?? p.table,
      partition: failed.partition,
      offset: failed.message.offset,
      error_code: letter.error_code,
      error_message: letter.error_message,
    });
  };
}
