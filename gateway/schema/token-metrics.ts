// TokenMetricsDaily: the daily token mart (token_metrics_daily), read by day range or pushed live (schema/live.ts).
import type { TokenMetricsDaily } from '../../schemas/index.ts';
import { isoDayOfEpochDay } from '../../core/time.ts';
import { builder } from '../builder.ts';
import type { TokenMetricsRow } from '../warehouse.ts';
import { dayRangeArgs, dayRangeListField } from './arguments.ts';
import { emittedAtField } from './mart-fields.ts';
import { tokenField } from './tokens.ts';

/** A token_metrics_daily row; inserted_at is null for live versions that come from Kafka. */
export type MetricsRow = Omit<TokenMetricsRow, 'inserted_at'> & { inserted_at: string | null };

/** A token.metrics.daily record as the row the warehouse would return. */
export function tokenMetricsFromAvro(value: TokenMetricsDaily): MetricsRow {
  return {
    date: isoDayOfEpochDay(value.date),
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

export const TokenMetrics = builder.objectRef<MetricsRow>('TokenMetricsDaily').implement({
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
    emittedAt: t.field(emittedAtField),
    insertedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the warehouse stored this version; null for live updates that come straight from Kafka.',
      resolve: (r) => r.inserted_at,
    }),
  }),
});

builder.queryFields((t) => ({
  tokenMetricsDaily: dayRangeListField(t, {
    type: TokenMetrics,
    description:
      'Daily metrics of one token from `from` to `to` (inclusive, at most gateway.maxRangeDays days), oldest first. Days without transfers have no row.',
    args: {
      token: t.arg({ type: 'Address', required: true, description: 'Token contract.' }),
      ...dayRangeArgs(t.arg),
    },
    read: (args, ctx) => ctx.reader.tokenMetricsDaily(args.token, args.from, args.to, ctx.budget, ctx.scope),
  }),
}));
