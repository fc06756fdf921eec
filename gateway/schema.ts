import SchemaBuilder from '@pothos/core';
import type DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import type { Anomaly, CheckStatus, TokenMetricsDaily } from '../schemas/index.ts';
import type { Principal } from './auth.ts';
import { GATEWAY_ERROR_CODES, gatewayError } from './errors.ts';
import type { ConsumerGroupLag, ComponentHealth, HealthProbe, HealthSnapshot } from './health.ts';
import { releasingOnEnd, type SubscriptionSlots, type WarehouseBudget } from './limits.ts';
import { epochDayToIso, type AnomalyEvent, type LiveFeed, type TokenMetricsEvent } from './live.ts';
import type { ResponseScope } from './response-cache.ts';
import {
  checkFirst,
  checkRange,
  decodeCursor,
  encodeCursor,
  parseAddress,
  parseBigInt,
  parseDate,
  parseDateTime,
  parseDecimal,
  serializeBigInt,
  serializeDateTime,
} from './scalars.ts';
import type {
  AddressFlowRow,
  AnomalyRow,
  DataQualityRow,
  TokenMetricsRow,
  TokenRow,
  TopTokensOrder,
  WarehouseReader,
} from './warehouse.ts';

/** Per-request context: who calls, the warehouse reader, batch loaders, the live feed. */
export interface GatewayContext {
  principal: Principal;
  reader: WarehouseReader;
  live: LiveFeed;
  health: HealthProbe;
  loaders: { tokenByAddress: DataLoader<string, TokenRow | null> };
  maxRangeDays: number;
  /** Warehouse queries this operation may still send (every reader call passes it). */
  budget: WarehouseBudget;
  /** Open subscriptions per key and per connection. */
  subscriptions: SubscriptionSlots;
  /** Whether this operation's answer may be reused (response cache): day-range reads report into it. */
  scope: ResponseScope;
  /** The graphql-ws socket or HTTP connection the operation came on. */
  connection: object | undefined;
}

const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    Address: { Input: string; Output: string };
    Date: { Input: string; Output: string };
    BigInt: { Input: bigint; Output: bigint | string | number };
    Decimal: { Input: string; Output: string };
    DateTime: { Input: string; Output: string | number };
  };
}>({ defaultFieldNullability: false });

// ---------- scalars ----------

builder.scalarType('Address', {
  description:
    'An Ethereum address: 0x followed by 40 hex characters. Input may be lowercase, uppercase or EIP-55 checksummed (a mixed-case address with a wrong checksum is rejected); output is always lowercase.',
  serialize: (value) => value,
  parseValue: (value) => parseAddress(value),
});
builder.scalarType('Date', {
  description: 'A UTC calendar day, ISO-8601 YYYY-MM-DD, between 1970-01-01 and 2149-06-06.',
  serialize: (value) => value,
  parseValue: (value) => parseDate(value),
});
builder.scalarType('BigInt', {
  description:
    'An exact integer as a base-10 string (uint256 token amounts in base units, signed flows, 64-bit counters). Never a float: parse it with a big-integer type.',
  serialize: (value) => serializeBigInt(value),
  parseValue: (value) => parseBigInt(value),
});
builder.scalarType('Decimal', {
  description: 'An exact decimal number as a base-10 string (USD values with up to 18 fractional digits, prices). Never a float.',
  serialize: (value) => value,
  parseValue: (value) => parseDecimal(value),
});
builder.scalarType('DateTime', {
  description: 'A UTC instant, ISO-8601 with milliseconds (2026-01-02T03:04:05.678Z).',
  serialize: (value) => serializeDateTime(value),
  parseValue: (value) => parseDateTime(value),
});

// ---------- enums ----------

const TopTokensBy = builder.enumType('TopTokensBy', {
  description: 'Ranking of topTokens.',
  values: {
    VOLUME_USD: { value: 'volume_usd', description: 'USD volume of the day, highest first (tokens without USD volume last).' },
    TRANSFER_COUNT: { value: 'transfer_count', description: 'Number of transfers of the day, highest first.' },
    UNIQUE_ADDRESSES: { value: 'unique_addresses', description: 'Distinct senders and receivers of the day, highest first.' },
  } as const,
});
const Severity = builder.enumType('Severity', {
  description: 'Anomaly severity bands, from the score (thresholds in docs/anomalies.md).',
  values: {
    LOW: { value: 'low', description: 'Mild deviation.' },
    MEDIUM: { value: 'medium', description: 'Clear deviation.' },
    HIGH: { value: 'high', description: 'Strong deviation; alerted by default.' },
  } as const,
});
const AnomalyStatus = builder.enumType('AnomalyStatus', {
  description: 'Lifecycle of an anomaly.',
  values: {
    OPEN: { value: 'open', description: 'The day is still running; the anomaly may change.' },
    FINAL: { value: 'final', description: 'The day closed and the anomaly holds.' },
    WITHDRAWN: {
      value: 'withdrawn',
      description: 'New data or a reorg retraction brought the value back within bounds. Hidden unless asked for.',
    },
  } as const,
});
const EntityType = builder.enumType('EntityType', {
  description: 'What kind of entity an anomaly is about.',
  values: {
    TOKEN: { value: 'token', description: 'A token: a token_metrics_daily metric; entityId is the token contract.' },
    ADDRESS: { value: 'address', description: 'An address: an address_flows_daily metric; entityId is the address.' },
  } as const,
});
const DataQualityStatus = builder.enumType('DataQualityStatus', {
  description: 'Outcome of a data-quality check run.',
  values: {
    PASS: { value: 'pass', description: 'The check passed.' },
    FAIL: { value: 'fail', description: 'The data violates the check.' },
    ERROR: { value: 'error', description: 'The check could not run.' },
    PENDING: {
      value: 'pending',
      description: 'Nothing to judge yet (no block ingested or price polled within the grace period); never alerted.',
    },
  } as const,
});
const ComponentStatus = builder.enumType('ComponentStatus', {
  description: 'Whether a component answered the gateway.',
  values: {
    UP: { value: 'UP', description: 'Reachable and working.' },
    DOWN: { value: 'DOWN', description: 'Unreachable or failing; see detail.' },
  } as const,
});
const AnomalyEventKind = builder.enumType('AnomalyEventKind', {
  description: 'Why an anomaly was pushed to subscribers.',
  values: {
    NEW: { value: 'NEW', description: 'First version of the anomaly this gateway saw (or after it had been withdrawn).' },
    ESCALATED: { value: 'ESCALATED', description: 'A new version with a higher severity than before.' },
  } as const,
});

// ---------- helpers ----------

function requireRange(ctx: GatewayContext, from: string, to: string): void {
  checkRange(from, to, ctx.maxRangeDays);
}

/**
 * Starts a subscription in one of the caller's slots (refused with SUBSCRIPTION_LIMIT when
 * its key or connection has none left); the slot is given back when the stream ends.
 */
function openSubscription<T>(ctx: GatewayContext, start: () => AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  const release = ctx.subscriptions.acquire(ctx.principal.keyId, ctx.connection);
  try {
    // Pushed events' token lookups follow the topic, not the document: the caps bound them.
    ctx.budget.lift();
    return releasingOnEnd(start(), release);
  } catch (error) {
    release();
    throw error;
  }
}

const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  description: 'Relay pagination state of a connection (forward pagination only).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'True when more items follow endCursor.' }),
    hasPreviousPage: t.boolean({ description: 'Always false: connections page forward only.', resolve: () => false }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'Cursor of the last edge; pass it as `after` for the next page. Null on an empty page.',
    }),
    startCursor: t.string({
      nullable: true,
      description: 'Not tracked (forward pagination only); always null.',
      resolve: () => null,
    }),
  }),
});

// ---------- Token ----------

const Token = builder.objectRef<TokenRow>('Token').implement({
  description: 'A tracked ERC-20 token contract with its latest metadata (table tokens).',
  fields: (t) => ({
    chainId: t.int({ description: 'EIP-155 chain id (1 = Ethereum mainnet).', resolve: (r) => Number(r.chain_id) }),
    address: t.field({ type: 'Address', description: 'Token contract address.', resolve: (r) => r.address }),
    symbol: t.exposeString('symbol', { nullable: true, description: 'Token symbol; null when unknown.' }),
    name: t.exposeString('name', { nullable: true, description: 'Token name; null when unknown.' }),
    decimals: t.exposeInt('decimals', {
      nullable: true,
      description: 'Token decimals; null when unknown (USD values are then null, 18 is never assumed).',
    }),
    source: t.exposeString('source', {
      description: 'Where the metadata came from: seed (curated CSV) or rpc (contract reads).',
    }),
    symbolEncoding: t.exposeString('symbol_encoding', {
      nullable: true,
      description: 'How the symbol was encoded on chain for rpc rows: string, bytes32 or SYMBOL.',
    }),
    updatedAt: t.field({ type: 'DateTime', description: 'When this metadata was last changed.', resolve: (r) => r.updated_at }),
    version: t.field({
      type: 'BigInt',
      description: 'Metadata version (epoch ms of the change); the highest wins.',
      resolve: (r) => r.version,
    }),
  }),
});

const TokenEdge = builder.objectRef<{ cursor: string; node: TokenRow }>('TokenEdge').implement({
  description: 'A token and its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque cursor of this edge.' }),
    node: t.field({ type: Token, description: 'The token.', resolve: (e) => e.node }),
  }),
});
const TokenConnection = builder
  .objectRef<{ edges: { cursor: string; node: TokenRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>(
    'TokenConnection',
  )
  .implement({
    description: 'A page of tracked tokens, ordered by address.',
    fields: (t) => ({
      edges: t.field({ type: [TokenEdge], description: 'Tokens of this page.', resolve: (c) => c.edges }),
      nodes: t.field({
        type: [Token],
        description: 'The same tokens without cursors.',
        resolve: (c) => c.edges.map((e) => e.node),
      }),
      pageInfo: t.field({ type: PageInfo, description: 'Pagination state.', resolve: (c) => c.pageInfo }),
    }),
  });

const tokenField = {
  type: Token,
  nullable: true,
  description: 'Metadata of the token (batched lookup); null when the token is not in the tokens table.',
} as const;

// ---------- TokenMetricsDaily ----------

/** A token_metrics_daily row; inserted_at is null for live versions that come from Kafka. */
type MetricsRow = Omit<TokenMetricsRow, 'inserted_at'> & { inserted_at: string | null };

export function tokenMetricsFromAvro(value: TokenMetricsDaily): MetricsRow {
  return {
    date: epochDayToIso(value.date),
    chain_id: String(value.chain_id),
    token_address: value.token_address,
    symbol: value.symbol,
    decimals: value.decimals,
    volume_raw: value.volume_raw,
    volume_usd: value.volume_usd,
    minted_raw: value.minted_raw,
    burned_raw: value.burned_raw,
    transfer_count: String(value.transfer_count),
    priced_transfer_count: String(value.priced_transfer_count),
    tx_count: String(value.tx_count),
    unique_addresses: String(value.unique_addresses),
    price_open: value.price_open,
    price_high: value.price_high,
    price_low: value.price_low,
    price_close: value.price_close,
    price_source: value.price_source,
    price_staleness_ms: value.price_staleness_ms === null ? null : String(value.price_staleness_ms),
    version: String(value.version),
    is_final: value.is_final,
    emitted_at: new Date(value.emitted_at).toISOString(),
    inserted_at: null,
  };
}

const TokenMetrics = builder.objectRef<MetricsRow>('TokenMetricsDaily').implement({
  description:
    'Daily (UTC) metrics of one token: one row of token_metrics_daily, latest version. Raw amounts are exact base units (BigInt); USD values are exact decimals.',
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'The UTC day.', resolve: (r) => r.date }),
    chainId: t.int({ description: 'EIP-155 chain id.', resolve: (r) => Number(r.chain_id) }),
    tokenAddress: t.field({ type: 'Address', description: 'ERC-20 contract.', resolve: (r) => r.token_address }),
    token: t.field({ ...tokenField, resolve: (r, _a, ctx) => ctx.loaders.tokenByAddress.load(r.token_address) }),
    symbol: t.exposeString('symbol', { nullable: true, description: 'Token symbol at aggregation time; null when unknown.' }),
    decimals: t.exposeInt('decimals', {
      nullable: true,
      description: 'Token decimals; null when unknown (then every USD value is null).',
    }),
    volumeRaw: t.field({
      type: 'BigInt',
      description: 'Sum of transferred amounts (base units), mints and burns included.',
      resolve: (r) => r.volume_raw,
    }),
    volumeUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Sum of USD values of the priced transfers (see pricedTransferCount); null when none had a fresh price.',
      resolve: (r) => r.volume_usd,
    }),
    mintedRaw: t.field({
      type: 'BigInt',
      description: 'Sum of minted amounts (transfers from the zero address).',
      resolve: (r) => r.minted_raw,
    }),
    burnedRaw: t.field({
      type: 'BigInt',
      description: 'Sum of burned amounts (transfers to the zero address).',
      resolve: (r) => r.burned_raw,
    }),
    transferCount: t.int({ description: 'Number of transfers.', resolve: (r) => Number(r.transfer_count) }),
    pricedTransferCount: t.int({
      description: 'Transfers with a price no older than the staleness limit, i.e. included in volumeUsd.',
      resolve: (r) => Number(r.priced_transfer_count),
    }),
    txCount: t.int({
      description: 'Distinct transactions with at least one transfer of the token.',
      resolve: (r) => Number(r.tx_count),
    }),
    uniqueAddresses: t.int({
      description: 'Exact number of distinct senders and receivers, the zero address excluded.',
      resolve: (r) => Number(r.unique_addresses),
    }),
    priceOpen: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'First USD price of the day; null without prices.',
      resolve: (r) => r.price_open,
    }),
    priceHigh: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Highest USD price of the day; null without prices.',
      resolve: (r) => r.price_high,
    }),
    priceLow: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Lowest USD price of the day; null without prices.',
      resolve: (r) => r.price_low,
    }),
    priceClose: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Last USD price of the day (so far, while open); null without prices.',
      resolve: (r) => r.price_close,
    }),
    priceSource: t.exposeString('price_source', {
      nullable: true,
      description: 'Source of the prices used; null without prices.',
    }),
    priceStalenessMs: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Largest age (ms) of a price used for a USD value of the day; null when nothing was priced.',
      resolve: (r) => r.price_staleness_ms,
    }),
    version: t.field({
      type: 'BigInt',
      description: 'Row version; strictly increasing per token and day, the highest wins.',
      resolve: (r) => r.version,
    }),
    isFinal: t.exposeBoolean('is_final', { description: 'False while the day is open; true once the window closed.' }),
    emittedAt: t.field({
      type: 'DateTime',
      description: 'Stream time when this version was emitted.',
      resolve: (r) => r.emitted_at,
    }),
    insertedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the warehouse stored this version; null for live updates that come straight from Kafka.',
      resolve: (r) => r.inserted_at,
    }),
  }),
});

// ---------- AddressFlowDaily ----------

const AddressFlow = builder.objectRef<AddressFlowRow>('AddressFlowDaily').implement({
  description: 'Daily (UTC) flows of one address in one token: one row of address_flows_daily, latest version.',
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'The UTC day.', resolve: (r) => r.date }),
    chainId: t.int({ description: 'EIP-155 chain id.', resolve: (r) => Number(r.chain_id) }),
    address: t.field({ type: 'Address', description: 'The address whose flows these are.', resolve: (r) => r.address }),
    tokenAddress: t.field({ type: 'Address', description: 'ERC-20 contract of the flows.', resolve: (r) => r.token_address }),
    token: t.field({ ...tokenField, resolve: (r, _a, ctx) => ctx.loaders.tokenByAddress.load(r.token_address) }),
    symbol: t.exposeString('symbol', { nullable: true, description: 'Token symbol; null when unknown.' }),
    inflowRaw: t.field({ type: 'BigInt', description: 'Amount received (base units).', resolve: (r) => r.inflow_raw }),
    outflowRaw: t.field({ type: 'BigInt', description: 'Amount sent (base units).', resolve: (r) => r.outflow_raw }),
    netFlowRaw: t.field({
      type: 'BigInt',
      description: 'inflowRaw − outflowRaw (may be negative).',
      resolve: (r) => r.net_flow_raw,
    }),
    inflowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'USD value received; null when unpriced.',
      resolve: (r) => r.inflow_usd,
    }),
    outflowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'USD value sent; null when unpriced.',
      resolve: (r) => r.outflow_usd,
    }),
    netFlowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'inflowUsd − outflowUsd; null when unpriced.',
      resolve: (r) => r.net_flow_usd,
    }),
    transferCount: t.int({ description: 'Transfers in or out.', resolve: (r) => Number(r.transfer_count) }),
    txCount: t.int({ description: 'Distinct transactions.', resolve: (r) => Number(r.tx_count) }),
    counterpartiesCount: t.int({ description: 'Distinct counterparties.', resolve: (r) => Number(r.counterparties_count) }),
    version: t.field({ type: 'BigInt', description: 'Row version; the highest wins.', resolve: (r) => r.version }),
    isFinal: t.exposeBoolean('is_final', { description: 'False while the day is open.' }),
    emittedAt: t.field({
      type: 'DateTime',
      description: 'Stream time when this version was emitted.',
      resolve: (r) => r.emitted_at,
    }),
    insertedAt: t.field({
      type: 'DateTime',
      description: 'When the warehouse stored this version.',
      resolve: (r) => r.inserted_at,
    }),
  }),
});

// ---------- Anomaly ----------

export function anomalyFromAvro(value: Anomaly): AnomalyRow {
  return {
    ...value,
    chain_id: String(value.chain_id),
    day: epochDayToIso(value.day),
  };
}

const AnomalyType = builder.objectRef<AnomalyRow>('Anomaly').implement({
  description: 'An anomaly of one metric of one entity on one day (table / topic anomalies), latest version.',
  fields: (t) => ({
    anomalyId: t.exposeString('anomaly_id', {
      description: 'Deterministic id (sha256 of chain, entity, token, metric, day, method).',
    }),
    chainId: t.int({ description: 'EIP-155 chain id.', resolve: (r) => Number(r.chain_id) }),
    entityType: t.field({
      type: EntityType,
      description: 'Token or address.',
      resolve: (r) => r.entity_type as 'token' | 'address',
    }),
    entityId: t.field({ type: 'Address', description: 'The token contract or the address.', resolve: (r) => r.entity_id }),
    tokenAddress: t.field({
      type: 'Address',
      nullable: true,
      description: 'Token the metric is measured in; null for an address metric summed across tokens in USD.',
      resolve: (r) => r.token_address,
    }),
    token: t.field({
      ...tokenField,
      resolve: (r, _a, ctx) => (r.token_address ? ctx.loaders.tokenByAddress.load(r.token_address) : null),
    }),
    metric: t.exposeString('metric', {
      description: 'Scored metric, a column of the source mart (volume_usd, transfer_count, ...).',
    }),
    day: t.field({ type: 'Date', description: 'The UTC day scored.', resolve: (r) => r.day }),
    value: t.float({ nullable: true, description: 'Observed value (of the day so far while OPEN).', resolve: (r) => r.value }),
    baselineCenter: t.float({
      nullable: true,
      description: 'Baseline location over the previous final days.',
      resolve: (r) => r.baseline_center,
    }),
    baselineSpread: t.float({ nullable: true, description: 'Baseline scale.', resolve: (r) => r.baseline_spread }),
    baselineDays: t.exposeInt('baseline_days', { description: 'Final days in the baseline.' }),
    score: t.float({
      nullable: true,
      description: 'Anomaly score against the baseline; meaning depends on method.',
      resolve: (r) => r.score,
    }),
    lowerBound: t.exposeFloat('lower_bound', { nullable: true, description: 'Lowest normal value; null when unbounded below.' }),
    upperBound: t.exposeFloat('upper_bound', { nullable: true, description: 'Highest normal value; null when unbounded above.' }),
    method: t.exposeString('method', { description: 'Detector: zscore, robust_zscore, iqr, ewma, ...' }),
    severity: t.field({ type: Severity, description: 'Severity band.', resolve: (r) => r.severity as 'low' | 'medium' | 'high' }),
    status: t.field({
      type: AnomalyStatus,
      description: 'Lifecycle state.',
      resolve: (r) => r.status as 'open' | 'final' | 'withdrawn',
    }),
    detectedAt: t.field({ type: 'DateTime', description: 'Stream time of the first version.', resolve: (r) => r.detected_at }),
    updatedAt: t.field({ type: 'DateTime', description: 'Stream time of this version.', resolve: (r) => r.updated_at }),
    version: t.field({ type: 'BigInt', description: 'Version; strictly increasing per anomalyId.', resolve: (r) => r.version }),
    sourceVersion: t.field({
      type: 'BigInt',
      description: 'Version of the mart row that was scored.',
      resolve: (r) => r.source_version,
    }),
  }),
});

const AnomalyEdge = builder.objectRef<{ cursor: string; node: AnomalyRow }>('AnomalyEdge').implement({
  description: 'An anomaly and its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque cursor of this edge.' }),
    node: t.field({ type: AnomalyType, description: 'The anomaly.', resolve: (e) => e.node }),
  }),
});
const AnomalyConnection = builder
  .objectRef<{ edges: { cursor: string; node: AnomalyRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>(
    'AnomalyConnection',
  )
  .implement({
    description: 'A page of anomalies, newest first (by day, then detection time, then id).',
    fields: (t) => ({
      edges: t.field({ type: [AnomalyEdge], description: 'Anomalies of this page.', resolve: (c) => c.edges }),
      nodes: t.field({
        type: [AnomalyType],
        description: 'The same anomalies without cursors.',
        resolve: (c) => c.edges.map((e) => e.node),
      }),
      pageInfo: t.field({ type: PageInfo, description: 'Pagination state.', resolve: (c) => c.pageInfo }),
    }),
  });

// ---------- DataQualityCheck ----------

const DataQualityCheck = builder.objectRef<DataQualityRow>('DataQualityCheck').implement({
  description: 'One data-quality check run (table data_quality_checks).',
  fields: (t) => ({
    checkName: t.exposeString('check_name', { description: 'Check identifier (docs/data-quality.md).' }),
    chainId: t.int({ description: 'EIP-155 chain id; 0 when not chain-specific.', resolve: (r) => Number(r.chain_id) }),
    subject: t.exposeString('subject', {
      description: 'What was checked within the chain (e.g. a token); empty for the whole chain.',
    }),
    status: t.field({ type: DataQualityStatus, description: 'Outcome.', resolve: (r) => r.status as CheckStatus }),
    observed: t.exposeFloat('observed', { nullable: true, description: 'Observed measure; null when not numeric.' }),
    threshold: t.exposeFloat('threshold', { nullable: true, description: 'Threshold the measure was compared with.' }),
    checkWindow: t.exposeString('check_window', { description: 'Checked interval: ISO-8601 interval or blocks:<from>-<to>.' }),
    checkedAt: t.field({ type: 'DateTime', description: 'When the check ran.', resolve: (r) => r.checked_at }),
    details: t.exposeString('details', { description: 'Check-specific details, a JSON object as text.' }),
  }),
});

// ---------- Health ----------

const ConsumerLag = builder.objectRef<ConsumerGroupLag>('ConsumerLag').implement({
  description: 'How far a processor consumer group is behind its input topics.',
  fields: (t) => ({
    groupId: t.exposeString('groupId', { description: 'Kafka consumer group id.' }),
    lag: t.field({ type: 'BigInt', description: 'Records not yet committed, summed over partitions.', resolve: (g) => g.lag }),
    topics: t.exposeStringList('topics', { description: 'Topics the group has committed offsets for.' }),
  }),
});
const Component = builder.objectRef<ComponentHealth>('ComponentHealth').implement({
  description: 'State of one dependency of the gateway.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'warehouse, kafka or live-feed.' }),
    status: t.field({ type: ComponentStatus, description: 'UP or DOWN.', resolve: (c) => c.status }),
    detail: t.exposeString('detail', {
      nullable: true,
      description: 'Human-readable detail (broker count, subscriber count, error).',
    }),
  }),
});
const Health = builder.objectRef<HealthSnapshot>('Health').implement({
  description: 'Pipeline health as the gateway sees it.',
  fields: (t) => ({
    latestBlockNumber: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Highest canonical block in raw_blocks.',
      resolve: (h) => h.latestBlockNumber,
    }),
    latestBlockTimestamp: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Timestamp of that block.',
      resolve: (h) => h.latestBlockTimestamp,
    }),
    chainHeadBlockNumber: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Chain head from the configured RPC endpoint; null when none is configured or it did not answer.',
      resolve: (h) => h.chainHeadBlockNumber,
    }),
    ingestionLagBlocks: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'chainHeadBlockNumber − latestBlockNumber; null without a chain head.',
      resolve: (h) => h.ingestionLagBlocks,
    }),
    ingestionLagSeconds: t.exposeInt('ingestionLagSeconds', {
      nullable: true,
      description: 'Seconds between now and latestBlockTimestamp; null without blocks.',
    }),
    consumerLag: t.field({
      type: [ConsumerLag],
      description: 'Lag of every processor consumer group.',
      resolve: (h) => h.consumerLag,
    }),
    lastDataQualityCheckAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last data-quality check ran.',
      resolve: (h) => h.lastDataQualityCheckAt,
    }),
    lastDataQualityCheck: t.exposeString('lastDataQualityCheck', { nullable: true, description: 'Name of that check.' }),
    lastDataQualityStatus: t.field({
      type: DataQualityStatus,
      nullable: true,
      description: 'Its outcome.',
      resolve: (h) => h.lastDataQualityStatus as CheckStatus | null,
    }),
    components: t.field({ type: [Component], description: 'State of each dependency.', resolve: (h) => h.components }),
  }),
});

// ---------- subscription payloads ----------

const AnomalyEventType = builder.objectRef<AnomalyEvent>('AnomalyEvent').implement({
  description: 'A new or escalated anomaly from the anomalies topic.',
  fields: (t) => ({
    eventId: t.exposeString('eventId', {
      description: 'Position in the topic (<partition>:<offset>); resubscribe with after: eventId to receive what was missed.',
    }),
    kind: t.field({ type: AnomalyEventKind, description: 'NEW or ESCALATED.', resolve: (e) => e.kind }),
    publishedAt: t.field({ type: 'DateTime', description: 'Kafka record timestamp.', resolve: (e) => e.publishedAt }),
    receivedAt: t.field({ type: 'DateTime', description: 'When the gateway received it.', resolve: (e) => e.receivedAt }),
    anomaly: t.field({ type: AnomalyType, description: 'The anomaly version.', resolve: (e) => anomalyFromAvro(e.value) }),
  }),
});
const TokenMetricsEventType = builder.objectRef<TokenMetricsEvent>('TokenMetricsUpdate').implement({
  description:
    'A new version of a token day from the token.metrics.daily topic (live window update, final record or re-emission).',
  fields: (t) => ({
    eventId: t.exposeString('eventId', { description: 'Position in the topic (<partition>:<offset>), for after.' }),
    publishedAt: t.field({ type: 'DateTime', description: 'Kafka record timestamp.', resolve: (e) => e.publishedAt }),
    metrics: t.field({ type: TokenMetrics, description: 'The new version.', resolve: (e) => tokenMetricsFromAvro(e.value) }),
  }),
});

// ---------- Query ----------

const FAR_PAST = '1970-01-01';
const FAR_FUTURE = '2149-06-06';

builder.queryType({
  description: 'Read access to Oracul analytics. Every field needs an API key (header); health needs the ops role.',
  fields: (t) => ({
    tokens: t.field({
      type: TokenConnection,
      description: 'Tracked tokens with metadata, ordered by address.',
      args: {
        first: t.arg.int({ description: 'Page size, 1..500 (default 100).' }),
        after: t.arg.string({ description: 'endCursor of the previous page.' }),
      },
      resolve: async (_root, args, ctx) => {
        const first = checkFirst(args.first, 100);
        const after = args.after
          ? (decodeCursor(
              'token',
              args.after,
              (p) => p.length === 1 && typeof p[0] === 'string' && /^0x[0-9a-f]{40}$/.test(p[0]),
            )[0] as string)
          : '';
        const rows = await ctx.reader.tokensPage(after, first + 1, ctx.budget);
        const page = rows.slice(0, first);
        const edges = page.map((node) => ({ cursor: encodeCursor('token', [node.address]), node }));
        return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    }),
    tokenMetricsDaily: t.field({
      type: [TokenMetrics],
      description:
        'Daily metrics of one token from `from` to `to` (inclusive, at most gateway.maxRangeDays days), oldest first. Days without transfers have no row.',
      args: {
        token: t.arg({ type: 'Address', required: true, description: 'Token contract.' }),
        from: t.arg({ type: 'Date', required: true, description: 'First day (inclusive).' }),
        to: t.arg({ type: 'Date', required: true, description: 'Last day (inclusive).' }),
      },
      resolve: async (_root, args, ctx) => {
        requireRange(ctx, args.from, args.to);
        return [...(await ctx.reader.tokenMetricsDaily(args.token, args.from, args.to, ctx.budget, ctx.scope))];
      },
    }),
    addressFlowsDaily: t.field({
      type: [AddressFlow],
      description:
        'Daily flows of one address from `from` to `to` (inclusive, bounded), per token, oldest first; at most 20000 rows.',
      args: {
        address: t.arg({ type: 'Address', required: true, description: 'The address.' }),
        from: t.arg({ type: 'Date', required: true, description: 'First day (inclusive).' }),
        to: t.arg({ type: 'Date', required: true, description: 'Last day (inclusive).' }),
        token: t.arg({ type: 'Address', description: 'Only flows of this token.' }),
      },
      resolve: async (_root, args, ctx) => {
        requireRange(ctx, args.from, args.to);
        return [
          ...(await ctx.reader.addressFlowsDaily(args.address, args.from, args.to, args.token ?? '', ctx.budget, ctx.scope)),
        ];
      },
    }),
    topTokens: t.field({
      type: [TokenMetrics],
      description: "The day's token metrics ranked by `by`, best first.",
      args: {
        day: t.arg({ type: 'Date', required: true, description: 'The UTC day.' }),
        by: t.arg({ type: TopTokensBy, required: true, description: 'Ranking metric.' }),
        first: t.arg.int({ description: 'How many, 1..500 (default 10).' }),
      },
      resolve: (_root, args, ctx) =>
        ctx.reader.topTokens(args.day, args.by as TopTokensOrder, checkFirst(args.first, 10), ctx.budget),
    }),
    anomalies: t.field({
      type: AnomalyConnection,
      description: 'Anomalies, newest first, optionally filtered. WITHDRAWN ones only when status: WITHDRAWN is asked for.',
      args: {
        entityType: t.arg({ type: EntityType, description: 'Only tokens or only addresses.' }),
        entityId: t.arg({ type: 'Address', description: 'Only this token or address.' }),
        from: t.arg({ type: 'Date', description: 'Only days on or after.' }),
        to: t.arg({ type: 'Date', description: 'Only days on or before.' }),
        minSeverity: t.arg({ type: Severity, description: 'Only this severity or higher.' }),
        status: t.arg({ type: AnomalyStatus, description: 'Only this status (default: OPEN and FINAL).' }),
        first: t.arg.int({ description: 'Page size, 1..500 (default 50).' }),
        after: t.arg.string({ description: 'endCursor of the previous page.' }),
      },
      resolve: async (_root, args, ctx) => {
        const first = checkFirst(args.first, 50);
        const from = args.from ?? FAR_PAST;
        const to = args.to ?? FAR_FUTURE;
        if (from > to) throw gatewayError(GATEWAY_ERROR_CODES.invalidRange, '`from` must not be after `to`');
        const minRank = { low: 0, medium: 1, high: 2 }[args.minSeverity ?? 'low'];
        const cursor = args.after
          ? decodeCursor(
              'anomaly',
              args.after,
              (p) =>
                p.length === 3 &&
                typeof p[0] === 'string' &&
                /^\d{4}-\d{2}-\d{2}$/.test(p[0]) &&
                typeof p[1] === 'string' &&
                /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/.test(p[1]) &&
                typeof p[2] === 'string' &&
                p[2].length <= 128,
            )
          : undefined;
        const rows = await ctx.reader.anomalies(
          {
            entityType: args.entityType ?? '',
            entityId: args.entityId ?? '',
            from,
            to,
            severities: ['low', 'medium', 'high'].slice(minRank),
            statuses: args.status ? [args.status] : ['open', 'final'],
            cursor: cursor ? { day: cursor[0] as string, detectedAt: cursor[1] as string, id: cursor[2] as string } : undefined,
            limit: first + 1,
          },
          ctx.budget,
        );
        const edges = rows.slice(0, first).map((node) => ({
          cursor: encodeCursor('anomaly', [node.day, String(node.detected_at), node.anomaly_id]),
          node,
        }));
        return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    }),
    dataQuality: t.field({
      type: [DataQualityCheck],
      description: 'Data-quality check runs between `from` and `to` (inclusive days, bounded), newest first.',
      args: {
        from: t.arg({ type: 'Date', required: true, description: 'First day (inclusive).' }),
        to: t.arg({ type: 'Date', required: true, description: 'Last day (inclusive).' }),
        status: t.arg({ type: DataQualityStatus, description: 'Only runs with this outcome.' }),
        first: t.arg.int({ description: 'How many, 1..500 (default 100).' }),
      },
      resolve: (_root, args, ctx) => {
        requireRange(ctx, args.from, args.to);
        return ctx.reader.dataQuality(args.from, args.to, args.status ?? '', checkFirst(args.first, 100), ctx.budget);
      },
    }),
    health: t.field({
      type: Health,
      description: 'Ingestion, consumer lag, data quality and component states. Needs an ops key.',
      resolve: (_root, _args, ctx) => {
        if (ctx.principal.role !== 'ops') throw gatewayError(GATEWAY_ERROR_CODES.forbidden, 'health needs an ops key');
        return ctx.health.snapshot(ctx.budget);
      },
    }),
  }),
});

// ---------- Subscription ----------

builder.subscriptionType({
  description: "Live data over graphql-ws (WebSocket) or SSE, from the gateway's Kafka consumer.",
  fields: (t) => ({
    anomalyDetected: t.field({
      type: AnomalyEventType,
      description:
        'New and escalated anomalies as they are published. Pass the last eventId seen as `after` to receive what was missed (bounded buffer).',
      args: {
        minSeverity: t.arg({ type: Severity, description: 'Only this severity or higher.' }),
        entityType: t.arg({ type: EntityType, description: 'Only tokens or only addresses.' }),
        entityId: t.arg({ type: 'Address', description: 'Only this token or address.' }),
        after: t.arg.string({ description: 'Last eventId received before a disconnect.' }),
      },
      subscribe: (_root, args, ctx) =>
        openSubscription(ctx, () =>
          ctx.live.subscribeAnomalies(
            {
              minSeverity: args.minSeverity ?? undefined,
              entityType: args.entityType ?? undefined,
              entityId: args.entityId ?? undefined,
            },
            args.after ?? undefined,
          ),
        ),
      resolve: (event) => event,
    }),
    tokenMetricsUpdated: t.field({
      type: TokenMetricsEventType,
      description: 'Every new version of a token day (live window updates), optionally for one token.',
      args: {
        token: t.arg({ type: 'Address', description: 'Only this token.' }),
        after: t.arg.string({ description: 'Last eventId received before a disconnect.' }),
      },
      subscribe: (_root, args, ctx) =>
        openSubscription(ctx, () => ctx.live.subscribeTokenMetrics(args.token ?? undefined, args.after ?? undefined)),
      resolve: (event) => event,
    }),
  }),
});

let built: GraphQLSchema | undefined;

/** The gateway schema (built once; the types above are declared at module load). */
export function buildSchema(): GraphQLSchema {
  built ??= builder.toSchema({ sortSchema: false });
  return built;
}
