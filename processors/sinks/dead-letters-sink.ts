import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { TOPICS, type DeadLetter, type Serdes, type TopicName } from '../../schemas/index.ts';
import { createClickHouseSink, type ClickHouseSink, type SinkBatchOptions, type SinkRow } from './clickhouse-sink.ts';
import { chDateTime64 } from './raw-rows.ts';

/**
 * Every `<topic>.dlq` → `dead_letters` (dwh/migrations/0005_meta.sql), one consumer group, so operators see dead
 * letters in ClickHouse, Superset and `oracul status`.
 *
 * - Stream stages write their dead letters inside their Kafka transactions and sinks with an idempotent producer;
 *   this sink reads read_committed like the others, so an aborted stage batch's dead letter never lands.
 * - Exactly-once effect as for every sink: rows are inserted, then offsets committed; a replay re-inserts identical
 *   rows under the key (source_topic, source_partition, source_offset, stage) with the same `failed_at` version,
 *   which ReplacingMergeTree collapses (FINAL). A record that failed again later (a newer `failed_at`) replaces it.
 * - A `.dlq` record this sink cannot decode has no dead-letter topic of its own: it becomes a row here, with
 *   `source_topic` the `.dlq` topic, `stage` `sink:dead_letters` and its bytes base64 (`deadLetterRows`).
 */

export const DEAD_LETTERS_TABLE = 'dead_letters';

/** The dead-letter topics, from schemas/topics.ts (config/kafka.yml declares the same; a unit test keeps them in step). */
export const DEAD_LETTER_TOPICS: readonly TopicName[] = (Object.keys(TOPICS) as TopicName[]).filter(
  (t) => TOPICS[t].schema === 'dead-letter',
);

const base64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

/** One `dead_letters` row (JSONEachRow): bytes as base64, timestamps as DateTime64 text. */
export function deadLetterRow(letter: DeadLetter): SinkRow {
  return {
    source_topic: letter.source_topic,
    source_partition: letter.source_partition,
    source_offset: letter.source_offset,
    source_timestamp: letter.source_timestamp === null ? null : chDateTime64(letter.source_timestamp),
    stage: letter.stage,
    error_code: letter.error_code,
    error_message: letter.error_message,
    error_details: letter.error_details,
    retryable: letter.retryable,
    attempts: letter.attempts,
    original_key_base64: base64(letter.original_key),
    original_value_base64: base64(letter.original_value),
    original_headers: letter.original_headers.map((h) => ({ key: h.key, value_base64: base64(h.value) })),
    failed_at: chDateTime64(letter.failed_at),
  };
}

export interface CreateDeadLettersSinkParameters {
  serdes: Serdes;
  batch?: SinkBatchOptions;
  /** Consumer group (default `<kafka.clientId>-sink-dead_letters`, the prefix `oracul status` lists). */
  groupId?: string;
  kafka?: Kafka;
  clickhouse?: ClickHouseClient;
}

export function createDeadLettersSink(common: Common, params: CreateDeadLettersSinkParameters): ClickHouseSink {
  return createClickHouseSink(common, {
    serdes: params.serdes,
    kafka: params.kafka,
    clickhouse: params.clickhouse,
    topic: DEAD_LETTER_TOPICS,
    table: DEAD_LETTERS_TABLE,
    ...(params.groupId === undefined ? {} : { groupId: params.groupId }),
    ...(params.batch ? { batch: params.batch } : {}),
    toRows: (letter: DeadLetter) => [deadLetterRow(letter)],
    deadLetterRows: (letter) => [deadLetterRow(letter)],
  });
}
