import type { ClickHouseClient } from '@clickhouse/client';

/**
 * `oracul status`: dead letters per source topic, stage and error code, read from ClickHouse `dead_letters` (the
 * dead-letters sink lands every `<topic>.dlq` there; its lag shows in the groups table as `…-sink-dead_letters`).
 *
 * Why the table and not the `.dlq` topics' offsets: stream stages write dead letters inside their Kafka
 * transactions, so a topic's end offset also counts commit markers (and aborted attempts); and only the records
 * say which stage failed and why. The table is read with FINAL, so a replayed dead letter counts once.
 */

export interface DeadLetterCount {
  readonly source_topic: string;
  readonly stage: string;
  readonly error_code: string;
  readonly count: number;
  /** Failed within the last 24 hours (by `failed_at`). */
  readonly last_24h: number;
  /** `YYYY-MM-DD hh:mm:ss.sss` UTC. */
  readonly last_failed_at: string;
}

export interface DeadLettersStatus {
  readonly total: number;
  readonly last_24h: number;
  /** Busiest first (at most `limit`). */
  readonly groups: readonly DeadLetterCount[];
  /** Why the warehouse could not be read (the rest of the report is still valid), else null. */
  readonly error: string | null;
}

const COUNTS = `
  SELECT source_topic, stage, error_code, toString(count()) AS count,
         toString(countIf(failed_at >= now64(3) - INTERVAL 1 DAY)) AS last_24h, toString(max(failed_at)) AS last_failed_at
  FROM dead_letters FINAL
  GROUP BY source_topic, stage, error_code
  ORDER BY count() DESC, source_topic, stage, error_code`;

export async function collectDeadLetters(client: ClickHouseClient, limit = 50): Promise<DeadLettersStatus> {
  try {
    const rs = await client.query({ query: COUNTS, format: 'JSONEachRow' });
    const rows = await rs.json<{
      source_topic: string;
      stage: string;
      error_code: string;
      count: string;
      last_24h: string;
      last_failed_at: string;
    }>();
    const all = rows.map((r) => ({ ...r, count: Number(r.count), last_24h: Number(r.last_24h) }));
    return {
      total: all.reduce((n, g) => n + g.count, 0),
      last_24h: all.reduce((n, g) => n + g.last_24h, 0),
      groups: all.slice(0, limit),
      error: null,
    };
  } catch (error) {
    return { total: 0, last_24h: 0, groups: [], error: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

export function formatDeadLetters(status: DeadLettersStatus): string {
  const head = 'Dead letters (ClickHouse dead_letters, from every <topic>.dlq)';
  if (status.error !== null) return `${head}\n  unknown: warehouse not readable (${status.error})`;
  if (status.groups.length === 0) return `${head}\n  none`;
  const header = ['SOURCE TOPIC', 'STAGE', 'ERROR CODE', 'COUNT', '24H', 'LAST'];
  const rows = status.groups.map((g) => [
    g.source_topic,
    g.stage,
    g.error_code,
    String(g.count),
    String(g.last_24h),
    g.last_failed_at,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const shown = status.groups.reduce((n, g) => n + g.count, 0);
  const more = shown < status.total ? [`  … ${status.total - shown} more in further groups`] : [];
  return [`${head}: ${status.total} total, ${status.last_24h} in the last 24 h`, line(header), ...rows.map(line), ...more].join(
    '\n',
  );
}
