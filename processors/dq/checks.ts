/**
 * Data-quality checks over the warehouse (docs/dq.md). Each check is SQL with query parameters run through the
 * warehouse client, and yields one DataQualityCheck (schemas/dq.checks.avsc) per chain (or per token).
 *
 * All reads use FINAL and skip orphaned rows, so they see what readers see. The block window is the last
 * `gapWindowBlocks` blocks of raw_blocks: [max − N + 1, max].
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { OraculConfig } from '../../config/schema.ts';
import type { CheckStatus, DataQualityCheck } from '../../schemas/generated/types.ts';
import { dqRecordKey } from './publish.ts';

export const DQ_CHECKS = [
  'freshness',
  'block_gaps',
  'duplicate_tx_hash',
  'log_index_contiguity',
  'block_tx_count',
  'transfer_log_coverage',
  'price_staleness',
] as const;
export type DqCheckName = (typeof DQ_CHECKS)[number];

/** keccak256('Transfer(address,address,uint256)'). */
export const TRANSFER_TOPIC0 = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** At most this many examples (missing blocks, duplicate hashes…) go into `details`. */
const EXAMPLES = 20;

export interface ChainHead {
  readonly number: bigint;
  readonly timestampMs: number;
}

export interface DqContext {
  readonly client: ClickHouseClient;
  readonly config: Pick<OraculConfig, 'dq' | 'chains' | 'tokens'>;
  readonly nowMs: number;
  /** The chain head from RPC; null when no RPC is configured for the chain. */
  readonly head: (chainId: number) => Promise<ChainHead | null>;
  /**
   * When each check (by `<check>:<chain>:<subject>`) first ran against this warehouse: the start of its grace period.
   * A check with no entry is running for the first time (its grace period starts now).
   */
  readonly firstCheckedAtMs?: ReadonlyMap<string, number>;
}

/** How long a check has been monitoring its subject, from its first recorded run (0 on the first run). */
function monitoredForMs(ctx: DqContext, check: DqCheckName, chainId: number, subject: string): number {
  const first = ctx.firstCheckedAtMs?.get(dqRecordKey({ check_name: check, chain_id: chainId, subject }));
  return first === undefined ? 0 : Math.max(0, ctx.nowMs - first);
}

/**
 * Nothing to judge yet is `pending` while the grace period runs and `fail` after it: a cold start must not alert,
 * but a pipeline that never ingests must.
 */
function pendingOrFail(monitoredMs: number, graceMinutes: number): CheckStatus {
  return monitoredMs < graceMinutes * 60_000 ? 'pending' : 'fail';
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

function result(
  check: DqCheckName,
  chainId: number,
  subject: string,
  status: CheckStatus,
  observed: number | null,
  threshold: number | null,
  window: string,
  checkedAt: number,
  details: Record<string, unknown>,
): DataQualityCheck {
  return {
    check_name: check,
    chain_id: chainId,
    subject,
    status,
    observed,
    threshold,
    check_window: window,
    checked_at: checkedAt,
    details: JSON.stringify(details),
  };
}

export function errorResult(
  check: DqCheckName,
  chainId: number,
  subject: string,
  checkedAt: number,
  error: unknown,
): DataQualityCheck {
  const e = error as { code?: string; message?: string };
  return result(check, chainId, subject, 'error', null, null, '', checkedAt, {
    error: e.message ?? String(error),
    code: e.code ?? null,
  });
}

interface BlockWindow {
  readonly lo: number;
  readonly hi: number;
  readonly label: string;
}

/** [max − N + 1, max] of raw_blocks (lo never below the first ingested block); null when the table is empty. */
export async function blockWindow(ctx: DqContext, chainId: number): Promise<BlockWindow | null> {
  const [r] = await rows<{ lo: string; hi: string; n: string }>(
    ctx.client,
    `SELECT toString(min(block_number)) AS lo, toString(max(block_number)) AS hi, toString(count()) AS n
     FROM raw_blocks FINAL WHERE chain_id = {chain:UInt64} AND is_orphaned = 0`,
    { chain: chainId },
  );
  if (r === undefined || r.n === '0') return null;
  const hi = Number(r.hi);
  const lo = Math.max(Number(r.lo), hi - ctx.config.dq.gapWindowBlocks + 1);
  return { lo, hi, label: `blocks:${lo}-${hi}` };
}

/**
 * Pure verdict of the freshness check: lag of the latest ingested block behind the head, in minutes. With no block
 * ingested yet, `pending` until the check has been monitoring for `maxLagMinutes`, then `fail`.
 */
export function freshnessVerdict(
  headMs: number,
  latestMs: number | null,
  maxLagMinutes: number,
  monitoredMs = Number.POSITIVE_INFINITY,
): { status: CheckStatus; lagMinutes: number | null } {
  if (latestMs === null) return { status: pendingOrFail(monitoredMs, maxLagMinutes), lagMinutes: null };
  const lagMinutes = Math.max(0, headMs - latestMs) / 60_000;
  return { status: lagMinutes > maxLagMinutes ? 'fail' : 'pass', lagMinutes };
}

export async function checkFreshness(ctx: DqContext, chainId: number): Promise<DataQualityCheck> {
  const max = ctx.config.dq.freshnessMaxLagMinutes;
  const head = await ctx.head(chainId);
  if (head === null)
    return errorResult('freshness', chainId, '', ctx.nowMs, new Error(`no RPC URL configured for chain ${chainId}`));
  const [r] = await rows<{ n: string; bn: string; ts: string }>(
    ctx.client,
    `SELECT toString(count()) AS n, toString(max(block_number)) AS bn, toString(toUnixTimestamp64Milli(max(block_timestamp))) AS ts
     FROM raw_blocks FINAL WHERE chain_id = {chain:UInt64} AND is_orphaned = 0`,
    { chain: chainId },
  );
  const latestMs = r === undefined || r.n === '0' ? null : Number(r.ts);
  const verdict = freshnessVerdict(head.timestampMs, latestMs, max, monitoredForMs(ctx, 'freshness', chainId, ''));
  return result(
    'freshness',
    chainId,
    '',
    verdict.status,
    verdict.lagMinutes,
    max,
    `blocks:${r?.bn ?? 'none'}-${head.number}`,
    ctx.nowMs,
    {
      head_block: head.number.toString(),
      head_timestamp: new Date(head.timestampMs).toISOString(),
      latest_block: r === undefined || r.n === '0' ? null : r.bn,
      blocks_behind: r === undefined || r.n === '0' ? null : (head.number - BigInt(r.bn)).toString(),
      ...(latestMs === null ? { note: 'no block ingested yet' } : {}),
    },
  );
}

export async function checkBlockGaps(ctx: DqContext, chainId: number, w: BlockWindow): Promise<DataQualityCheck> {
  const params = { chain: chainId, lo: w.lo, hi: w.hi, count: w.hi - w.lo + 1, examples: EXAMPLES };
  const [c] = await rows<{ present: string }>(
    ctx.client,
    `SELECT toString(uniqExact(block_number)) AS present FROM raw_blocks FINAL
     WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}`,
    params,
  );
  const missing = w.hi - w.lo + 1 - Number(c?.present ?? 0);
  const examples =
    missing === 0
      ? []
      : (
          await rows<{ n: string }>(
            ctx.client,
            `SELECT toString(number) AS n FROM numbers({lo:UInt64}, {count:UInt64})
             WHERE number NOT IN (SELECT block_number FROM raw_blocks FINAL
                                  WHERE chain_id = {chain:UInt64} AND is_orphaned = 0
                                    AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64})
             ORDER BY number LIMIT {examples:UInt32}`,
            params,
          )
        ).map((r) => r.n);
  return result('block_gaps', chainId, '', missing === 0 ? 'pass' : 'fail', missing, null, w.label, ctx.nowMs, {
    missing_blocks: missing,
    first_missing: examples,
  });
}

export async function checkDuplicateTxHash(ctx: DqContext, chainId: number, w: BlockWindow): Promise<DataQualityCheck> {
  const dups = await rows<{ tx_hash: string; n: string; blocks: string[] }>(
    ctx.client,
    `SELECT tx_hash, toString(count()) AS n, arrayMap(x -> toString(x), groupUniqArray(block_number)) AS blocks
     FROM raw_transactions FINAL
     WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}
     GROUP BY tx_hash HAVING count() > 1 ORDER BY tx_hash`,
    { chain: chainId, lo: w.lo, hi: w.hi },
  );
  return result('duplicate_tx_hash', chainId, '', dups.length === 0 ? 'pass' : 'fail', dups.length, null, w.label, ctx.nowMs, {
    duplicates: dups.slice(0, EXAMPLES).map((d) => ({ tx_hash: d.tx_hash, rows: Number(d.n), blocks: d.blocks })),
  });
}

/**
 * Blocks ingested by `oracul backfill --transfers-only` (raw_blocks.transfers_only, migration 0008): raw_logs holds
 * their Transfer logs only (log indexes have holes by design) and raw_transactions none of their transactions, so
 * the completeness checks skip them instead of reporting missing transactions or logs. Gaps, duplicates and the
 * Transfer coverage still apply to them.
 */
const TRANSFERS_ONLY_BLOCKS = `SELECT block_number, block_hash FROM raw_blocks FINAL
  WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND transfers_only = 1
    AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}`;

async function transfersOnlyBlockCount(ctx: DqContext, chainId: number, w: BlockWindow): Promise<number> {
  const [r] = await rows<{ n: string }>(ctx.client, `SELECT toString(count()) AS n FROM (${TRANSFERS_ONLY_BLOCKS})`, {
    chain: chainId,
    lo: w.lo,
    hi: w.hi,
  });
  return Number(r?.n ?? 0);
}

export async function checkLogIndexContiguity(ctx: DqContext, chainId: number, w: BlockWindow): Promise<DataQualityCheck> {
  const bad = await rows<{ blk: string; n: string; lo: string; hi: string; distinct: string }>(
    ctx.client,
    `SELECT toString(block_number) AS blk, toString(count()) AS n, toString(min(log_index)) AS lo,
            toString(max(log_index)) AS hi, toString(uniqExact(log_index)) AS distinct
     FROM raw_logs FINAL
     WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}
       AND (block_number, block_hash) NOT IN (${TRANSFERS_ONLY_BLOCKS})
     GROUP BY block_number
     HAVING min(log_index) != 0 OR max(log_index) + 1 != count() OR uniqExact(log_index) != count()
     ORDER BY block_number`,
    { chain: chainId, lo: w.lo, hi: w.hi },
  );
  const skipped = await transfersOnlyBlockCount(ctx, chainId, w);
  return result('log_index_contiguity', chainId, '', bad.length === 0 ? 'pass' : 'fail', bad.length, null, w.label, ctx.nowMs, {
    blocks: bad
      .slice(0, EXAMPLES)
      .map((b) => ({ block: b.blk, logs: Number(b.n), min: Number(b.lo), max: Number(b.hi), distinct: Number(b.distinct) })),
    transfers_only_blocks_skipped: skipped,
  });
}

export async function checkBlockTxCount(ctx: DqContext, chainId: number, w: BlockWindow): Promise<DataQualityCheck> {
  const bad = await rows<{ blk: string; expected: string; ingested: string }>(
    ctx.client,
    `SELECT toString(b.block_number) AS blk, toString(b.transaction_count) AS expected, toString(t.n) AS ingested
     FROM (SELECT block_number, block_hash, transaction_count FROM raw_blocks FINAL
           WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND transfers_only = 0
             AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}) AS b
     LEFT JOIN (SELECT block_number, block_hash, count() AS n FROM raw_transactions FINAL
                WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64}
                GROUP BY block_number, block_hash) AS t
     ON b.block_number = t.block_number AND b.block_hash = t.block_hash
     WHERE b.transaction_count != t.n
     ORDER BY b.block_number`,
    { chain: chainId, lo: w.lo, hi: w.hi },
  );
  const skipped = await transfersOnlyBlockCount(ctx, chainId, w);
  return result('block_tx_count', chainId, '', bad.length === 0 ? 'pass' : 'fail', bad.length, null, w.label, ctx.nowMs, {
    blocks: bad
      .slice(0, EXAMPLES)
      .map((b) => ({ block: b.blk, header_tx_count: Number(b.expected), ingested: Number(b.ingested) })),
    transfers_only_blocks_skipped: skipped,
  });
}

export async function checkTransferLogCoverage(ctx: DqContext, chainId: number, w: BlockWindow): Promise<DataQualityCheck> {
  const minRatio = ctx.config.dq.transferCoverageMinRatio;
  // The decoder trails raw ingestion: compare only up to the last block it has produced anything for.
  const [p] = await rows<{ hi: string; n: string }>(
    ctx.client,
    `SELECT toString(max(b)) AS hi, toString(count()) AS n FROM (
       SELECT max(block_number) AS b FROM erc20_transfers WHERE chain_id = {chain:UInt64}
       UNION ALL SELECT max(block_number) AS b FROM erc20_rejects WHERE chain_id = {chain:UInt64})`,
    { chain: chainId },
  );
  const hi = Math.min(w.hi, p === undefined ? w.hi : Number(p.hi));
  if (hi < w.lo)
    return result('transfer_log_coverage', chainId, '', 'pending', null, minRatio, `blocks:${w.lo}-${w.hi}`, ctx.nowMs, {
      note: 'the decoder has not reached the block window yet',
      decoder_last_block: p === undefined || p.n === '0' || p.hi === '0' ? null : p.hi,
    });
  const params = { chain: chainId, lo: w.lo, hi, topic0: TRANSFER_TOPIC0 };
  const [c] = await rows<{ logs: string; transfers: string; rejects: string }>(
    ctx.client,
    `SELECT
       toString((SELECT count() FROM raw_logs FINAL WHERE chain_id = {chain:UInt64} AND is_orphaned = 0
                   AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64} AND topic0 = {topic0:String})) AS logs,
       toString((SELECT count() FROM erc20_transfers FINAL WHERE chain_id = {chain:UInt64} AND is_orphaned = 0
                   AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64})) AS transfers,
       toString((SELECT count() FROM erc20_rejects FINAL WHERE chain_id = {chain:UInt64} AND is_orphaned = 0
                   AND block_number BETWEEN {lo:UInt64} AND {hi:UInt64})) AS rejects`,
    params,
  );
  const logs = Number(c?.logs ?? 0);
  const covered = Number(c?.transfers ?? 0) + Number(c?.rejects ?? 0);
  const ratio = logs === 0 ? (covered === 0 ? 1 : Infinity) : covered / logs;
  // Too few (transfers lost) and too many (duplicates) both fail.
  const ok = Number.isFinite(ratio) && Math.abs(1 - ratio) <= 1 - minRatio + 1e-12;
  return result(
    'transfer_log_coverage',
    chainId,
    '',
    ok ? 'pass' : 'fail',
    Number.isFinite(ratio) ? ratio : null,
    minRatio,
    `blocks:${w.lo}-${hi}`,
    ctx.nowMs,
    {
      transfer_logs: logs,
      erc20_transfers: Number(c?.transfers ?? 0),
      erc20_rejects: Number(c?.rejects ?? 0),
    },
  );
}

export async function checkPriceStaleness(ctx: DqContext): Promise<DataQualityCheck[]> {
  const max = ctx.config.dq.priceMaxStalenessMinutes;
  const chainIdOf = (name: string): number => ctx.config.chains.find((c) => c.name === name)?.chainId ?? 1;
  const latest = await rows<{ chain_id: string; token_address: string; ts: string }>(
    ctx.client,
    `SELECT toString(chain_id) AS chain_id, lower(token_address) AS token_address,
            toString(toUnixTimestamp64Milli(max(price_timestamp))) AS ts
     FROM prices_spot FINAL WHERE price_usd IS NOT NULL GROUP BY chain_id, token_address`,
    {},
  );
  const byToken = new Map(latest.map((r) => [`${r.chain_id}:${r.token_address}`, Number(r.ts)]));
  const from = new Date(ctx.nowMs - max * 60_000).toISOString();
  const window = `${from}/${new Date(ctx.nowMs).toISOString()}`;
  return ctx.config.tokens.map((t) => {
    const chainId = chainIdOf(t.chain);
    const last = byToken.get(`${chainId}:${t.address.toLowerCase()}`);
    const ageMinutes = last === undefined ? null : Math.max(0, ctx.nowMs - last) / 60_000;
    const subject = t.address.toLowerCase();
    const status: CheckStatus =
      ageMinutes === null
        ? pendingOrFail(monitoredForMs(ctx, 'price_staleness', chainId, subject), max)
        : ageMinutes > max
          ? 'fail'
          : 'pass';
    return result('price_staleness', chainId, subject, status, ageMinutes, max, window, ctx.nowMs, {
      symbol: t.symbol,
      latest_price_at: last === undefined ? null : new Date(last).toISOString(),
      ...(last === undefined ? { note: 'no price polled yet' } : {}),
    });
  });
}

/** First recorded run of every check (`<check>:<chain>:<subject>` → ms) in data_quality_checks: the grace periods' start. */
export async function readFirstCheckedAt(client: ClickHouseClient): Promise<Map<string, number>> {
  // UInt64 comes back quoted in JSON: chain_id is text here.
  const first = await rows<{ check_name: string; chain_id: string; subject: string; ms: string }>(
    client,
    `SELECT check_name, chain_id, subject, toString(toUnixTimestamp64Milli(min(checked_at))) AS ms
     FROM data_quality_checks GROUP BY check_name, chain_id, subject`,
    {},
  );
  return new Map(first.map((r) => [dqRecordKey({ ...r, chain_id: Number(r.chain_id) }), Number(r.ms)]));
}

/** The checks that judge a chain's recent block window: an error or an empty window gives them all the same result. */
const BLOCK_WINDOW_CHECKS = [
  'block_gaps',
  'duplicate_tx_hash',
  'log_index_contiguity',
  'block_tx_count',
  'transfer_log_coverage',
] as const satisfies readonly DqCheckName[];

/** Runs the selected checks for every configured chain (and every tracked token); a failing query gives `error`. */
export async function runDqChecks(ctx: DqContext, only: readonly DqCheckName[] = DQ_CHECKS): Promise<DataQualityCheck[]> {
  const out: DataQualityCheck[] = [];
  const want = new Set(only);
  const guarded = async (check: DqCheckName, chainId: number, run: () => Promise<DataQualityCheck>): Promise<void> => {
    if (!want.has(check)) return;
    try {
      out.push(await run());
    } catch (error) {
      out.push(errorResult(check, chainId, '', ctx.nowMs, error));
    }
  };
  for (const chain of ctx.config.chains) {
    const id = chain.chainId;
    await guarded('freshness', id, () => checkFreshness(ctx, id));
    const blockChecks = BLOCK_WINDOW_CHECKS.filter((check) => want.has(check));
    let w: BlockWindow | null;
    try {
      w = await blockWindow(ctx, id);
    } catch (error) {
      for (const check of blockChecks) out.push(errorResult(check, id, '', ctx.nowMs, error));
      continue;
    }
    if (w === null) {
      const note = { note: 'raw_blocks is empty' };
      for (const check of blockChecks) out.push(result(check, id, '', 'pending', null, null, 'blocks:none', ctx.nowMs, note));
      continue;
    }
    const win = w;
    await guarded('block_gaps', id, () => checkBlockGaps(ctx, id, win));
    await guarded('duplicate_tx_hash', id, () => checkDuplicateTxHash(ctx, id, win));
    await guarded('log_index_contiguity', id, () => checkLogIndexContiguity(ctx, id, win));
    await guarded('block_tx_count', id, () => checkBlockTxCount(ctx, id, win));
    await guarded('transfer_log_coverage', id, () => checkTransferLogCoverage(ctx, id, win));
  }
  if (want.has('price_staleness')) {
    try {
      out.push(...(await checkPriceStaleness(ctx)));
    } catch (error) {
      out.push(errorResult('price_staleness', 0, '', ctx.nowMs, error));
    }
  }
  return out;
}
