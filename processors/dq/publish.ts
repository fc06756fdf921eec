import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { DataQualityCheck } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';

export const DQ_TOPIC = 'dq.checks';
export const DQ_TABLE = 'data_quality_checks';

/** Record key of dq.checks: '<check_name>:<chain_id>:<subject>'. */
export const dqRecordKey = (c: Pick<DataQualityCheck, 'check_name' | 'chain_id' | 'subject'>): string =>
  `${c.check_name}:${c.chain_id}:${c.subject}`;

const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The data_quality_checks row of a result (dwh/migrations/0005_meta.sql). */
export function dqRow(c: DataQualityCheck): Record<string, unknown> {
  return {
    check_name: c.check_name,
    chain_id: c.chain_id,
    subject: c.subject,
    status: c.status,
    observed: c.observed,
    threshold: c.threshold,
    check_window: c.check_window,
    checked_at: chTime(c.checked_at),
    details: c.details,
  };
}

export interface PublishDqParameters {
  readonly client: ClickHouseClient;
  /** Omit to write the table only (e.g. `oracul dq run --no-topic`). */
  readonly producer?: Producer;
  readonly serdes?: Serdes;
}

/**
 * Writes results to table data_quality_checks and topic dq.checks (Avro, registry serdes). Both writes are
 * idempotent for a replay: the table collapses rows on (check, chain, subject, checked_at), the topic's consumers
 * (alerts) dedup on status transitions.
 */
export async function publishDqResults(params: PublishDqParameters, results: readonly DataQualityCheck[]): Promise<void> {
  if (results.length === 0) return;
  await params.client.insert({ table: DQ_TABLE, values: results.map(dqRow), format: 'JSONEachRow' });
  if (params.producer !== undefined && params.serdes !== undefined) {
    const serde = params.serdes.forTopic(DQ_TOPIC);
    const messages = await Promise.all(results.map(async (r) => ({ key: dqRecordKey(r), value: await serde.serialize(r) })));
    await params.producer.send({ topic: DQ_TOPIC, messages });
  }
}
