import type { Processor } from '../engine/processor.ts';
import {
  POSITIONAL_LAYOUT,
  bigintToCompactPlain,
  plainObject,
  plainToBigint,
  plainToBoolean,
  plainToNullableNumber,
  plainToNullableString,
  plainToNumber,
  plainToString,
  assertPositional,
  type Plain,
  type StateCodec,
} from '../engine/state.ts';
import { tokenPartitionKey, type Erc20Transfer } from '../erc20/transfer.ts';
import { ZERO_ADDRESS } from '../erc20/transfer-event.ts';
import {
  createDailyAggregator,
  type AggregatorStores,
  type StateLayout,
  type DailyAggregateSpec,
  type EmitContext,
  type LateEvent,
  type Member,
  type WindowState,
} from './daily-aggregator.ts';
import { PRICE_DECIMALS, USD_DECIMALS, formatScaled } from './decimal.ts';
import { RetractionMismatchError } from './errors.ts';
import { assetKey, type AsOfPrice, type PriceTable, type PriceTick } from './prices.ts';
import type { WindowingConfig } from './windowing.ts';

/**
 * `token_metrics_daily`: one row per (UTC date, chain, token), from the by-token repartition of transfers.
 *
 * - volume_raw: Σ amount of every transfer of the day, mints and burns included; minted_raw / burned_raw: the
 *   parts from / to the zero address; transfer_count: transfers; tx_count: distinct tx hashes.
 * - unique_addresses: |senders ∪ receivers| without the zero address, exact (counted multiset).
 * - volume_usd: Σ amount × price / 10^decimals, price = latest tick at or before the transfer's timestamp and no
 *   older than the staleness limit; computed exactly on scaled bigints and rounded once, half to even, to
 *   USD_DECIMALS. Null as soon as one transfer of the day cannot be priced (unknown decimals, no fresh price):
 *   a partial sum would understate silently. `unpriced_transfer_count` says how many. Updates carry the USD
 *   known when each transfer was processed (provisional); the final recomputes it from per-timestamp buckets
 *   against the price table and the token's decimals at close.
 * - price_open/high/low/close: first/max/min/last tick inside the day; price_source: source of the close (or of
 *   the last earlier tick); price_staleness_s: age of the latest tick at the reference time (end of day for
 *   finals), null when none within 2 days.
 */
export interface TokenMetricsDaily {
  readonly date: string;
  readonly window_start: number;
  readonly chain_id: number;
  readonly token_address: string;
  readonly symbol: string | null;
  /** The token's decimals; null when unknown (then every USD value is null). */
  readonly decimals: number | null;
  readonly volume_raw: bigint;
  readonly volume_usd: string | null;
  readonly minted_raw: bigint;
  readonly burned_raw: bigint;
  readonly transfer_count: number;
  readonly tx_count: number;
  readonly unique_addresses: number;
  readonly unpriced_transfer_count: number;
  readonly price_open: string | null;
  readonly price_high: string | null;
  readonly price_low: string | null;
  readonly price_close: string | null;
  readonly price_source: string | null;
  readonly price_staleness_s: number | null;
  readonly is_final: boolean;
  readonly version: number;
  /** Stream time at emission (see EmitContext.streamTimeMs). */
  readonly emitted_at: number;
}

/** State of one (day, token) window. */
export interface TokenWindow extends WindowState {
  readonly chain_id: number;
  readonly token_address: string;
  readonly symbol: string | null;
  /** The token's decimals, from the first transfer that knew them (a token property: later values are ignored). */
  readonly decimals: number | null;
  readonly volume_raw: bigint;
  readonly minted_raw: bigint;
  readonly burned_raw: bigint;
  readonly transfer_count: number;
  readonly tx_count: number;
  readonly unique_addresses: number;
  /**
   * Σ amount × priceE over priced transfers, at scale 10^(decimals + PRICE_DECIMALS). Running (prices and
   * decimals as known when each transfer was processed) while open; exact after the close recomputation.
   */
  readonly usd_scaled: bigint;
  /** Transfers that could not be priced (unknown decimals, no fresh price); running like usd_scaled. */
  readonly unpriced_count: number;
}

/** Raw sum of the transfers at one event timestamp (all of them: pricing happens when the window is priced). */
export interface TokenBucket {
  readonly raw: bigint;
  readonly count: number;
}

const SET_ADDRESSES = 0;
const SET_TXS = 1;

const STORE = 'windows';
/** Positional entries, as the address windows' (ADR 0026); keyed entries written before still decode. */
const TOKEN_WINDOW_FIELDS = 14;

/** The layout before ADR 0026: a keyed object with decimal strings. */
function tokenWindowFromObject(plain: Plain, key: string): TokenWindow {
  const o = plainObject(plain, STORE, key);
  return {
    chain_id: plainToNumber(o.chain_id, STORE, key),
    token_address: plainToString(o.token_address, STORE, key),
    symbol: plainToNullableString(o.symbol, STORE, key),
    decimals: plainToNullableNumber(o.decimals, STORE, key),
    volume_raw: plainToBigint(o.volume_raw, STORE, key),
    minted_raw: plainToBigint(o.minted_raw, STORE, key),
    burned_raw: plainToBigint(o.burned_raw, STORE, key),
    transfer_count: plainToNumber(o.transfer_count, STORE, key),
    tx_count: plainToNumber(o.tx_count, STORE, key),
    unique_addresses: plainToNumber(o.unique_addresses, STORE, key),
    usd_scaled: plainToBigint(o.usd_scaled, STORE, key),
    unpriced_count: plainToNumber(o.unpriced_count, STORE, key),
    version: plainToNumber(o.version, STORE, key),
    final: plainToBoolean(o.final, STORE, key),
  };
}

function tokenWindowFromArray(a: readonly Plain[], key: string): TokenWindow {
  assertPositional(a, TOKEN_WINDOW_FIELDS, STORE, key);
  return {
    chain_id: plainToNumber(a[1], STORE, key),
    token_address: plainToString(a[2], STORE, key),
    symbol: plainToNullableString(a[3], STORE, key),
    decimals: plainToNullableNumber(a[4], STORE, key),
    volume_raw: plainToBigint(a[5], STORE, key),
    minted_raw: plainToBigint(a[6], STORE, key),
    burned_raw: plainToBigint(a[7], STORE, key),
    transfer_count: plainToNumber(a[8], STORE, key),
    tx_count: plainToNumber(a[9], STORE, key),
    unique_addresses: plainToNumber(a[10], STORE, key),
    usd_scaled: plainToBigint(a[11], STORE, key),
    unpriced_count: plainToNumber(a[12], STORE, key),
    version: plainToNumber(a[13], STORE, key),
    final: plainToBoolean(a[14], STORE, key),
  };
}

export const tokenWindowCodec: StateCodec<TokenWindow> = {
  encode: (w) => [
    POSITIONAL_LAYOUT,
    w.chain_id,
    w.token_address,
    w.symbol,
    w.decimals,
    bigintToCompactPlain(w.volume_raw),
    bigintToCompactPlain(w.minted_raw),
    bigintToCompactPlain(w.burned_raw),
    w.transfer_count,
    w.tx_count,
    w.unique_addresses,
    bigintToCompactPlain(w.usd_scaled),
    w.unpriced_count,
    w.version,
    w.final,
  ],
  decode: (plain, key) => (Array.isArray(plain) ? tokenWindowFromArray(plain, key) : tokenWindowFromObject(plain, key)),
};

export const tokenBucketCodec: StateCodec<TokenBucket> = {
  encode: (b) => [POSITIONAL_LAYOUT, bigintToCompactPlain(b.raw), b.count],
  decode: (plain, key) => {
    if (Array.isArray(plain)) {
      assertPositional(plain, 2, 'buckets', key);
      return { raw: plainToBigint(plain[1], 'buckets', key), count: plainToNumber(plain[2], 'buckets', key) };
    }
    const o = plainObject(plain, 'buckets', key);
    return { raw: plainToBigint(o.raw, 'buckets', key), count: plainToNumber(o.count, 'buckets', key) };
  },
};

/**
 * A TokenWindow with every field spelled out (one hidden class for all of them: object spread over windows of
 * mixed origins is several times slower on the per-record path).
 */
function tokenWindow(
  w: TokenWindow,
  symbol: string | null,
  decimals: number | null,
  volume_raw: bigint,
  minted_raw: bigint,
  burned_raw: bigint,
  transfer_count: number,
  tx_count: number,
  unique_addresses: number,
  usd_scaled: bigint,
  unpriced_count: number,
  version: number,
  final: boolean,
): TokenWindow {
  return {
    chain_id: w.chain_id,
    token_address: w.token_address,
    symbol,
    decimals,
    volume_raw,
    minted_raw,
    burned_raw,
    transfer_count,
    tx_count,
    unique_addresses,
    usd_scaled,
    unpriced_count,
    version,
    final,
  };
}

/** `w` with its USD sum, unpriced count, version and finality replaced (the counts stay). */
function withUsdAndState(
  w: TokenWindow,
  usd_scaled: bigint,
  unpriced_count: number,
  version: number,
  final: boolean,
): TokenWindow {
  return tokenWindow(
    w,
    w.symbol,
    w.decimals,
    w.volume_raw,
    w.minted_raw,
    w.burned_raw,
    w.transfer_count,
    w.tx_count,
    w.unique_addresses,
    usd_scaled,
    unpriced_count,
    version,
    final,
  );
}

const formatPrice = (priceE: bigint): string => formatScaled(priceE, PRICE_DECIMALS, PRICE_DECIMALS);

export interface CreateTokenMetricsParameters {
  readonly name?: string;
  /** Default `token.metrics.daily`. */
  readonly outputTopic?: string;
  /** Default `erc20.transfers.late` (the topology publishes each late event as its original transfer there). */
  readonly lateTopic?: string;
  readonly windowing?: Partial<WindowingConfig>;
  /** State layout (tests compare layouts); default: small windows inline (ADR 0023). */
  readonly layout?: StateLayout;
  /** The price table the as-of join reads (the stage's, filled by the engine); default: one of its own (ADR 0024). */
  readonly prices?: PriceTable;
}

export function tokenMetricsSpec(
  params: CreateTokenMetricsParameters = {},
): DailyAggregateSpec<Erc20Transfer, TokenWindow, TokenBucket, TokenMetricsDaily> {
  const name = params.name ?? 'token-metrics-daily';
  return {
    name,
    outputTopic: params.outputTopic ?? 'token.metrics.daily',
    lateTopic: params.lateTopic ?? 'erc20.transfers.late',
    sets: ['a', 't'],
    codecs: { windows: tokenWindowCodec, buckets: tokenBucketCodec },
    keyOf: tokenPartitionKey,
    timeMsOf: (t) => t.block_timestamp,
    identityOf: (t) => `${t.block_hash}:${t.log_index}`,
    isRetraction: (t) => t.kind === 'retraction',
    assetOf: (t) => assetKey(t.chain_id, t.token_address),
    assetOfKey: (key) => key,
    membersOf(t): Member[] {
      const members: Member[] = [[SET_TXS, t.tx_hash]];
      if (t.from_address !== ZERO_ADDRESS) members.push([SET_ADDRESSES, t.from_address]);
      if (t.to_address !== ZERO_ADDRESS) members.push([SET_ADDRESSES, t.to_address]);
      return members;
    },
    create: (t) => ({
      chain_id: t.chain_id,
      token_address: t.token_address,
      symbol: t.symbol,
      decimals: t.decimals,
      volume_raw: 0n,
      minted_raw: 0n,
      burned_raw: 0n,
      transfer_count: 0,
      tx_count: 0,
      unique_addresses: 0,
      usd_scaled: 0n,
      unpriced_count: 0,
      version: 0,
      final: false,
    }),
    apply(agg, t, sign, price: AsOfPrice | null, delta) {
      const amount = sign === 1 ? t.amount_raw : -t.amount_raw;
      const decimals = agg.decimals ?? t.decimals;
      const priced = decimals !== null && price !== null;
      return tokenWindow(
        agg,
        t.symbol ?? agg.symbol,
        decimals,
        agg.volume_raw + amount,
        t.is_mint ? agg.minted_raw + amount : agg.minted_raw,
        t.is_burn ? agg.burned_raw + amount : agg.burned_raw,
        agg.transfer_count + sign,
        agg.tx_count + (delta[SET_TXS] ?? 0),
        agg.unique_addresses + (delta[SET_ADDRESSES] ?? 0),
        priced ? agg.usd_scaled + amount * price.priceE : agg.usd_scaled,
        priced ? agg.unpriced_count : agg.unpriced_count + sign,
        agg.version,
        agg.final,
      );
    },
    applyToBucket(bucket, t, sign) {
      if (bucket === undefined) {
        if (sign < 0) throw new RetractionMismatchError(name, `${t.token_address}@${t.block_timestamp}`, 'a bucket amount');
        return { raw: t.amount_raw, count: 1 };
      }
      const count = bucket.count + sign;
      const raw = sign === 1 ? bucket.raw + t.amount_raw : bucket.raw - t.amount_raw;
      if (count < 0 || raw < 0n || (count === 0 && raw !== 0n))
        throw new RetractionMismatchError(name, `${t.token_address}@${t.block_timestamp}`, 'a bucket amount');
      return count === 0 ? undefined : { raw, count };
    },
    settle(agg, buckets, asOf) {
      const settled = (usd: bigint, unpriced: number): TokenWindow => withUsdAndState(agg, usd, unpriced, agg.version, agg.final);
      if (agg.decimals === null) return settled(0n, agg.transfer_count);
      let usd = 0n;
      let unpriced = 0;
      for (const [timeMs, bucket] of buckets) {
        const price = asOf.at(timeMs);
        if (price === null) unpriced += bucket.count;
        else usd += bucket.raw * price.priceE;
      }
      return settled(usd, unpriced);
    },
    withState: (a, version, final) => withUsdAndState(a, a.usd_scaled, a.unpriced_count, version, final),
    toOutput(agg, key, ctx: EmitContext): TokenMetricsDaily {
      const day = ctx.prices.day(key, ctx.windowStartMs);
      const latest = ctx.prices.latestAt(key, ctx.referenceMs);
      // Running counts can be off by a retraction priced differently from its transfer; finals are exact.
      const unpriced = Math.max(0, agg.unpriced_count);
      const volumeUsd =
        agg.transfer_count === 0
          ? '0'
          : agg.decimals === null || agg.unpriced_count !== 0
            ? null
            : formatScaled(agg.usd_scaled, agg.decimals + PRICE_DECIMALS, USD_DECIMALS);
      return {
        date: ctx.date,
        window_start: ctx.windowStartMs,
        chain_id: agg.chain_id,
        token_address: agg.token_address,
        symbol: agg.symbol,
        decimals: agg.decimals,
        volume_raw: agg.volume_raw,
        volume_usd: volumeUsd,
        minted_raw: agg.minted_raw,
        burned_raw: agg.burned_raw,
        transfer_count: agg.transfer_count,
        tx_count: agg.tx_count,
        unique_addresses: agg.unique_addresses,
        unpriced_transfer_count: unpriced,
        price_open: day === undefined ? null : formatPrice(day.open),
        price_high: day === undefined ? null : formatPrice(day.high),
        price_low: day === undefined ? null : formatPrice(day.low),
        price_close: day === undefined ? null : formatPrice(day.close),
        price_source: day?.source ?? latest?.source ?? null,
        price_staleness_s: latest === null ? null : Math.floor((ctx.referenceMs - latest.timestampMs) / 1000),
        is_final: ctx.final,
        version: ctx.version,
        emitted_at: ctx.streamTimeMs,
      };
    },
  };
}

export type TokenMetricsStores = AggregatorStores<TokenWindow, TokenBucket>;
export type TokenMetricsOutput = TokenMetricsDaily | LateEvent<Erc20Transfer>;

/**
 * The `token_metrics_daily` processor: input = by-token repartitioned transfers and price ticks.
 * @example createTestDriver(createTokenMetricsDailyProcessor({ windowing: { updates: 'every_record' } }))
 */
export function createTokenMetricsDailyProcessor(
  params: CreateTokenMetricsParameters = {},
): Processor<TokenMetricsStores, Erc20Transfer | PriceTick, TokenMetricsOutput> {
  return createDailyAggregator(tokenMetricsSpec(params), params.windowing, params.layout, params.prices);
}
