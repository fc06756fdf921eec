import type { ClickHouseClient } from '@clickhouse/client';

/**
 * `oracul status`: the block ranges ingested by `oracul backfill --transfers-only`, read from the durable marker
 * (raw_blocks.transfers_only, migration 0008). For those blocks raw_transactions is not filled and raw_logs holds
 * the Transfer logs only; operators must know before querying transactions or other events there.
 */

export interface TransfersOnlyRange {
  readonly chain_id: number;
  readonly from_block: number;
  readonly to_block: number;
  /** Transfers-only blocks in [from_block, to_block] (consecutive: equal to the span). */
  readonly blocks: number;
}

export interface TransfersOnlyStatus {
  /** Consecutive runs of transfers-only blocks per chain, lowest first (at most `limit`). */
  readonly ranges: readonly TransfersOnlyRange[];
  readonly total_blocks: number;
  /** Why the warehouse could not be read (the rest of the report is still valid), else null. */
  readonly error: string | null;
}

/** Consecutive runs (gaps and islands: block_number − row number is constant within a run). */
const RANGES = `
  SELECT toString(chain_id) AS chain_id, toString(min(block_number)) AS from_block, toString(max(block_number)) AS to_block,
         toString(count()) AS blocks
  FROM (
    SELECT chain_id, block_number,
           toInt64(block_number) - toInt64(row_number() OVER (PARTITION BY chain_id ORDER BY block_number)) AS island
    FROM raw_blocks FINAL
    WHERE is_orphaned = 0 AND transfers_only = 1
  )
  GROUP BY chain_id, island
  ORDER BY chain_id, min(block_number)
  LIMIT {limit:UInt32}`;

export async function collectTransfersOnly(client: ClickHouseClient, limit = 50): Promise<TransfersOnlyStatus> {
  try {
    const rs = await client.query({ query: RANGES, query_params: { limit }, format: 'JSONEachRow' });
    const rows = await rs.json<{ chain_id: string; from_block: string; to_block: string; blocks: string }>();
    const ranges = rows.map((r) => ({
      chain_id: Number(r.chain_id),
      from_block: Number(r.from_block),
      to_block: Number(r.to_block),
      blocks: Number(r.blocks),
    }));
    const total = await client.query({
      query: 'SELECT toString(count()) AS n FROM raw_blocks FINAL WHERE is_orphaned = 0 AND transfers_only = 1',
      format: 'JSONEachRow',
    });
    const [t] = await total.json<{ n: string }>();
    return { ranges, total_blocks: Number(t?.n ?? 0), error: null };
  } catch (error) {
    return { ranges: [], total_blocks: 0, error: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

export function formatTransfersOnly(status: TransfersOnlyStatus): string {
  const head =
    'Transfers-only blocks (oracul backfill --transfers-only: raw_transactions NOT filled, raw_logs = Transfer logs only)';
  if (status.error !== null) return `${head}\n  unknown: warehouse not readable (${status.error})`;
  if (status.ranges.length === 0) return `${head}\n  none`;
  const lines = status.ranges.map((r) => `  chain ${r.chain_id}: blocks ${r.from_block}-${r.to_block} (${r.blocks})`);
  const shown = status.ranges.reduce((n, r) => n + r.blocks, 0);
  if (shown < status.total_blocks) lines.push(`  … ${status.total_blocks - shown} more blocks in further ranges`);
  return [head, ...lines].join('\n');
}
