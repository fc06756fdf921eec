import type { ClickHouseClient } from '@clickhouse/client';
import type DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../core/logger.ts';
import { isoDay } from '../core/time.ts';
import type { FinalizedCache } from './cache.ts';
import type { CoalescingOptions } from './coalesced-loader.ts';
import { readAnswerText } from './answer-text.ts';
import { dayRangeLoaders, type FlowRange, type TokenRange } from './day-range-reads.ts';
import { GatewayUpstreamError } from './errors.ts';
import type { WarehouseBudget } from './limits.ts';
import type { RecentRead, ResponseScope } from './response-cache.ts';
import { SQL, type SqlName } from './sql.ts';
import type { SendStatementText } from './text-statements.ts';

/** Rows exactly as the warehouse returns them (JSONEachRow, 64-bit integers and decimals as strings). */
export interface TokenRow {
  chain_id: string;
  address: string;
  symbol: string | null;
  name: string | null;
  decimals: number | null;
  source: string;
  symbol_encoding: string | null;
  updated_at: string;
  version: string;
}

export interface TokenMetricsRow {
  date: string;
  chain_id: string;
  token_address: string;
  symbol: string | null;
  decimals: number | null;
  volume_raw: string;
  volume_usd: string | null;
  minted_raw: string;
  burned_raw: string;
  transfer_count: string;
  priced_transfer_count: string;
  tx_count: string;
  unique_addresses: string;
  price_open: string | null;
  price_high: string | null;
  price_low: string | null;
  price_close: string | null;
  price_source: string | null;
  price_staleness_ms: string | null;
  version: string;
  is_final: boolean;
  emitted_at: string;
  inserted_at: string;
}

export interface AddressFlowRow {
  date: string;
  chain_id: string;
  address: string;
  token_address: string;
  symbol: string | null;
  inflow_raw: string;
  outflow_raw: string;
  net_flow_raw: string;
  inflow_usd: string | null;
  outflow_usd: string | null;
  net_flow_usd: string | null;
  transfer_count: string;
  tx_count: string;
  counterparties_count: string;
  version: string;
  is_final: boolean;
  emitted_at: string;
  inserted_at: string;
}

export interface AnomalyRow {
  anomaly_id: string;
  chain_id: string;
  entity_type: string;
  entity_id: string;
  token_address: string | null;
  metric: string;
  day: string;
  value: number | null;
  baseline_center: number | null;
  baseline_spread: number | null;
  baseline_days: number;
  score: number | null;
  lower_bound: number | null;
  upper_bound: number | null;
  method: string;
  severity: string;
  status: string;
  /** DateTime64 text, or epoch ms for anomalies that came from Kafka. */
  detected_at: string | number;
  updated_at: string | number;
  version: string | number;
  source_version: string | number;
}

export interface DataQualityRow {
  check_name: string;
  chain_id: string;
  subject: string;
  status: string;
  observed: number | null;
  threshold: number | null;
  check_window: string;
  checked_at: string;
  details: string;
}

export type TopTokensOrder = 'volume_usd' | 'transfer_count' | 'unique_addresses';

/** The ranking flags of SQL.topTokens for each order: exactly one is set. */
const TOP_TOKENS_ORDER: Record<TopTokensOrder, Record<`by_${TopTokensOrder}`, 0 | 1>> = {
  volume_usd: { by_volume_usd: 1, by_transfer_count: 0, by_unique_addresses: 0 },
  transfer_count: { by_volume_usd: 0, by_transfer_count: 1, by_unique_addresses: 0 },
  unique_addresses: { by_volume_usd: 0, by_transfer_count: 0, by_unique_addresses: 1 },
};

/** Largest number of flow rows one addressFlowsDaily call returns (days × tokens). */
export const MAX_FLOW_ROWS = 20_000;

export interface AnomalyFilter {
  entityType: string;
  entityId: string;
  from: string;
  to: string;
  severities: readonly string[];
  statuses: readonly string[];
  cursor: { day: string; detectedAt: string; id: string } | undefined;
  limit: number;
}

export interface WarehouseReaderParameters {
  client: ClickHouseClient;
  chainId: number;
  logger: Logger;
  cache: FinalizedCache;
  /** Identical reads of changing data within this window share one result; 0 disables. */
  recentCacheMs?: number;
  /** How concurrent day-range reads are coalesced into one statement (default: 1 in flight, 32 per statement). */
  readBatch?: CoalescingOptions;
  /** Sends the day-range statements (gateway/text-statements.ts); default: through `client`. */
  sendText?: SendStatementText;
}

/**
 * Every answer here is small and bounded (LIMIT): buffered, the embedded endpoint runs the query on an engine thread
 * instead of opening a result stream on its event loop (docs/adr/0013-gateway-read-path.md).
 */
const BUFFERED = { clickhouse_settings: { wait_end_of_query: 1 } } as const;

/** The day-range reads' output format, appended to their constant statement (exec sends the text as it is). */
const TAB_SEPARATED_RAW = '\nFORMAT TabSeparatedRaw';

export const DEFAULT_READ_BATCH: CoalescingOptions = { maxInFlight: 1, maxBatch: 32 };

/** A shared list result is served, while one refresh runs, until it is this many recentCacheMs windows old. */
export const RECENT_STALE_WINDOWS = 5;

interface RecentEntry {
  rows: unknown[];
  at: number;
  /** What refreshes it. */
  name: SqlName;
  params: Record<string, unknown>;
}

/** Statements whose results may be shared for recentCacheMs (lists of changing data; the live path is subscriptions). */
const RECENT_CACHEABLE = new Set<SqlName>(['anomaliesPage', 'topTokens', 'tokensPage', 'dataQuality']);

/**
 * Typed reads of the warehouse for the gateway. Every statement is a constant of
 * gateway/sql.ts with its values in query_params; a failure becomes a
 * GatewayUpstreamError whose cause (the ClickHouse text) is logged, never returned.
 */
export class WarehouseReader {
  readonly cache: FinalizedCache;
  private readonly client: ClickHouseClient;
  private readonly sendText: SendStatementText | undefined;
  private readonly chainId: string;
  private readonly logger: Logger;
  /** Identical statements in flight share one warehouse call (the embedded engine runs parameterised queries one at a time). */
  private readonly inFlight = new Map<string, Promise<unknown[]>>();
  private readonly recent: LRUCache<string, RecentEntry> | undefined;
  private readonly recentMs: number;
  private readonly tokenRanges: DataLoader<TokenRange, TokenMetricsRow[]>;
  private readonly flowRanges: DataLoader<FlowRange, AddressFlowRow[]>;

  constructor(params: WarehouseReaderParameters) {
    this.client = params.client;
    this.sendText = params.sendText;
    this.chainId = String(params.chainId);
    this.logger = params.logger;
    this.cache = params.cache;
    this.recentMs = params.recentCacheMs ?? 0;
    // Kept RECENT_STALE_WINDOWS windows: an entry older than one window is served while one refresh runs, so
    // readers of a hot list never wait for its once-a-window query (stale-while-revalidate).
    this.recent =
      this.recentMs > 0
        ? new LRUCache<string, RecentEntry>({ max: 1_000, ttl: this.recentMs * RECENT_STALE_WINDOWS, ttlResolution: 0 })
        : undefined;
    const loaders = dayRangeLoaders<TokenMetricsRow, AddressFlowRow>(
      (name, values) => this.answerText(name, values),
      this.chainId,
      { ...(params.readBatch ?? DEFAULT_READ_BATCH), maxFlowRows: MAX_FLOW_ROWS },
    );
    this.tokenRanges = loaders.tokens;
    this.flowRanges = loaders.flows;
  }

  /**
   * Runs a statement of gateway/sql.ts, sharing the result with identical concurrent (and, for
   * lists, recent) calls. Only a query actually sent is charged to `budget` (the operation's),
   * and one over it is refused before it is sent.
   */
  run<T>(name: SqlName, params: Record<string, unknown>, budget?: WarehouseBudget, scope?: ResponseScope): Promise<T[]> {
    const key = `${name}|${JSON.stringify(params)}`;
    const recent = RECENT_CACHEABLE.has(name) ? this.recent : undefined;
    if (!recent) scope?.uncacheable();
    const hit = recent?.get(key);
    if (hit) {
      this.refreshIfPast(key, hit);
      scope?.recent(key, hit.rows);
      return Promise.resolve(hit.rows as T[]);
    }
    const rows = this.shared(key, name, budget, () => this.fetchList<T>(name, params, key, recent));
    return scope && recent ? rows.then((r) => (scope.recent(key, r), r)) : rows;
  }

  /**
   * True when a read of `key` would be answered with these very `rows` now (a cached response that read them is as
   * fresh as running it again); like such a read, it starts the list's refresh when past its window.
   */
  servesRecent({ key, rows }: RecentRead): boolean {
    const hit = this.recent?.get(key);
    if (hit?.rows !== rows) return false;
    this.refreshIfPast(key, hit);
    return true;
  }

  /** Past its window a list is still the answer, and one refresh runs (not charged to the operation: it was answered). */
  private refreshIfPast(key: string, entry: RecentEntry): void {
    if (performance.now() - entry.at < this.recentMs || this.inFlight.has(key)) return;
    this.track(key, this.fetchList(entry.name, entry.params, key, this.recent)).catch(() => undefined);
  }

  /** Sends a statement and keeps a list result for recentCacheMs. */
  private fetchList<T>(
    name: SqlName,
    params: Record<string, unknown>,
    key: string,
    recent: LRUCache<string, RecentEntry> | undefined,
  ): Promise<T[]> {
    return this.execute<T>(name, params).then((rows) => {
      recent?.set(key, { rows, at: performance.now(), name, params });
      return rows;
    });
  }

  /**
   * A read shared with an identical one in flight (free), else charged to `budget` (refused before it is sent when
   * over it) and started.
   */
  private shared<T>(key: string, name: SqlName, budget: WarehouseBudget | undefined, start: () => Promise<T[]>): Promise<T[]> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T[]>;
    try {
      budget?.charge(name);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(key, start());
  }

  /** Registers a call in flight under `key` until it settles. */
  private track<T>(key: string, call: Promise<T[]>): Promise<T[]> {
    this.inFlight.set(key, call);
    const clear = () => this.inFlight.delete(key);
    call.then(clear, clear);
    return call;
  }

  private execute<T>(name: SqlName, params: Record<string, unknown>): Promise<T[]> {
    return this.guarded(name, async () => {
      const rs = await this.client.query({ query: SQL[name], query_params: params, format: 'JSONEachRow', ...BUFFERED });
      return rs.json<T>();
    });
  }

  /** A statement's TabSeparatedRaw answer as one string (the day-range reads split and filter it as text). */
  private answerText(name: SqlName, params: Record<string, unknown>): Promise<string> {
    const send = this.sendText;
    return this.guarded(name, async () => {
      if (send) return send(SQL[name] + TAB_SEPARATED_RAW, params);
      const { stream } = await this.client.exec({ query: SQL[name] + TAB_SEPARATED_RAW, query_params: params, ...BUFFERED });
      return readAnswerText(stream);
    });
  }

  /** Runs a warehouse call; its failure is logged with the ClickHouse text and becomes a GatewayUpstreamError. */
  private async guarded<R>(name: SqlName, call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (cause) {
      this.logger.error({ msg: 'warehouse query failed', query: name, err: cause });
      throw new GatewayUpstreamError(`warehouse query ${name} failed`, { cause, details: { query: name } });
    }
  }

  async ping(): Promise<boolean> {
    try {
      const rows = await this.run<{ ok: number }>('ping', {});
      return rows.length === 1;
    } catch {
      return false;
    }
  }

  tokensPage(after: string, limit: number, budget?: WarehouseBudget, scope?: ResponseScope): Promise<TokenRow[]> {
    return this.run<TokenRow>('tokensPage', { chain_id: this.chainId, after, limit }, budget, scope);
  }

  tokensByAddress(addresses: readonly string[], budget?: WarehouseBudget): Promise<TokenRow[]> {
    return this.run<TokenRow>('tokensByAddress', { chain_id: this.chainId, addresses: [...addresses] }, budget);
  }

  /** Day-range read through the finalized-day cache; tells `scope` whether the answer may be reused. */
  private async dayRange<T extends { is_final: boolean }>(
    key: string,
    entity: string,
    from: string,
    to: string,
    scope: ResponseScope | undefined,
    read: () => Promise<T[]>,
  ): Promise<readonly T[]> {
    const cached = this.cache.get<T>(key);
    if (cached) {
      scope?.finalized(entity, from, to);
      return cached;
    }
    const rows = await read();
    if (this.cache.offer(key, entity, from, to, isoDay(Date.now()), rows)) scope?.finalized(entity, from, to);
    else scope?.uncacheable();
    return rows;
  }

  tokenMetricsDaily(
    token: string,
    from: string,
    to: string,
    budget?: WarehouseBudget,
    scope?: ResponseScope,
  ): Promise<readonly TokenMetricsRow[]> {
    const key = `tmd|${token}|${from}|${to}`;
    return this.dayRange(key, `token:${token}`, from, to, scope, () =>
      this.shared(key, 'tokenMetricsDaily', budget, () => this.tokenRanges.load({ token, from, to })),
    );
  }

  addressFlowsDaily(
    address: string,
    from: string,
    to: string,
    token: string,
    budget?: WarehouseBudget,
    scope?: ResponseScope,
  ): Promise<readonly AddressFlowRow[]> {
    const key = `afd|${address}|${from}|${to}|${token}`;
    return this.dayRange(key, `address:${address}`, from, to, scope, () =>
      this.shared(key, 'addressFlowsDaily', budget, () => this.flowRanges.load({ address, from, to, token })),
    );
  }

  topTokens(
    day: string,
    by: TopTokensOrder,
    limit: number,
    budget?: WarehouseBudget,
    scope?: ResponseScope,
  ): Promise<TokenMetricsRow[]> {
    const params = { chain_id: this.chainId, day, limit, ...TOP_TOKENS_ORDER[by] };
    return this.run<TokenMetricsRow>('topTokens', params, budget, scope);
  }

  anomalies(filter: AnomalyFilter, budget?: WarehouseBudget, scope?: ResponseScope): Promise<AnomalyRow[]> {
    return this.run<AnomalyRow>(
      'anomaliesPage',
      {
        chain_id: this.chainId,
        entity_type: filter.entityType,
        entity_id: filter.entityId,
        from: filter.from,
        to: filter.to,
        severities: [...filter.severities],
        statuses: [...filter.statuses],
        has_cursor: filter.cursor ? 1 : 0,
        cursor_day: filter.cursor?.day ?? '1970-01-01',
        cursor_detected_at: filter.cursor?.detectedAt ?? '1970-01-01 00:00:00.000',
        cursor_id: filter.cursor?.id ?? '',
        limit: filter.limit,
      },
      budget,
      scope,
    );
  }

  dataQuality(
    from: string,
    to: string,
    status: string,
    limit: number,
    budget?: WarehouseBudget,
    scope?: ResponseScope,
  ): Promise<DataQualityRow[]> {
    return this.run<DataQualityRow>('dataQuality', { from, to, status, limit }, budget, scope);
  }

  async latestBlock(budget?: WarehouseBudget): Promise<{ block_number: string; block_timestamp: string } | undefined> {
    const rows = await this.run<{ block_number: string; block_timestamp: string }>(
      'latestBlock',
      { chain_id: this.chainId },
      budget,
    );
    return rows[0];
  }

  async latestDataQuality(
    budget?: WarehouseBudget,
  ): Promise<{ check_name: string; status: string; checked_at: string } | undefined> {
    const rows = await this.run<{ check_name: string; status: string; checked_at: string }>('latestDataQuality', {}, budget);
    return rows[0];
  }
}
