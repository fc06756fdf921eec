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
import { addressPartitionKey } from '../erc20/transfer.ts';
import { ZERO_ADDRESS } from '../erc20/transfer-event.ts';
import {
  createDailyAggregator,
  type AggregatorStores,
  type StateLayout,
  type AsOfLookup,
  type DailyAggregateSpec,
  type EmitContext,
  type LateEvent,
  type Member,
  type WindowState,
} from './daily-aggregator.ts';
import { PRICE_DECIMALS, USD_DECIMALS, formatScaled } from './decimal.ts';
import { RetractionMismatchError } from './errors.ts';
import { assetKey, type AsOfPrice, type PriceTable, type PriceTick } from './prices.ts';
import type { AddressLeg } from './repartition.ts';
import type { WindowingConfig } from './windowing.ts';

/**
 * `address_flows_daily`: one row per (UTC date, chain, address, token), from the by-address repartition (each
 * transfer is an `out` leg of its sender and an `in` leg of its receiver; the zero address gets no rows).
 *
 * - inflow_raw / outflow_raw: Σ amounts received / sent; net_flow_raw = inflow − outflow (signed). A
 *   self-transfer counts in both.
 * - tx_count: distinct tx hashes among the address's legs; counterparties_count: distinct addresses on the other
 *   side, zero address excluded (as in unique_addresses), the address itself included for self-transfers.
 * - inflow_usd / outflow_usd: as volume_usd of token_metrics_daily, per direction ("0" when there was no flow
 *   in that direction, null when any leg of that direction cannot be priced); net_flow_usd is computed from
 *   the exact sums and rounded once, null when either side is null.
 */
export interface AddressFlowsDaily {
  readonly date: string;
  readonly window_start: number;
  readonly chain_id: number;
  readonly address: string;
  readonly token_address: string;
  readonly symbol: string | null;
  readonly inflow_raw: bigint;
  readonly outflow_raw: bigint;
  readonly net_flow_raw: bigint;
  readonly inflow_usd: string | null;
  readonly outflow_usd: string | null;
  readonly net_flow_usd: string | null;
  readonly tx_count: number;
  readonly counterparties_count: number;
  /** Legs (in + out) of the day. */
  readonly transfer_count: number;
  readonly is_final: boolean;
  readonly version: number;
  /** Stream time at emission (see EmitContext.streamTimeMs). */
  readonly emitted_at: number;
}

/** Per-direction amounts and USD bookkeeping. */
interface Side {
  readonly raw: bigint;
  readonly count: number;
  /** Running while open (prices as known per leg), exact after the close recomputation. */
  readonly usd_scaled: bigint;
  readonly unpriced: number;
}

export interface AddressWindow extends WindowState {
  readonly chain_id: number;
  readonly address: string;
  readonly token_address: string;
  readonly symbol: string | null;
  readonly decimals: number | null;
  readonly in: Side;
  readonly out: Side;
  readonly tx_count: number;
  readonly counterparties_count: number;
}

/** Raw sums of the legs at one event timestamp, per direction (all of them: pricing happens when the window is priced). */
export interface AddressBucket {
  readonly in_raw: bigint;
  readonly in_count: number;
  readonly out_raw: bigint;
  readonly out_count: number;
}

const SET_COUNTERPARTIES = 0;
const SET_TXS = 1;
const EMPTY_SIDE: Side = Object.freeze({ raw: 0n, count: 0, usd_scaled: 0n, unpriced: 0 });
const EMPTY_BUCKET: AddressBucket = Object.freeze({ in_raw: 0n, in_count: 0, out_raw: 0n, out_count: 0 });

const STORE = 'windows';

function sideFromObject(plain: Plain | undefined, key: string): Side {
  const o = plainObject(plain ?? null, STORE, key);
  return {
    raw: plainToBigint(o.raw, STORE, key),
    count: plainToNumber(o.count, STORE, key),
    usd_scaled: plainToBigint(o.usd_scaled, STORE, key),
    unpriced: plainToNumber(o.unpriced, STORE, key),
  };
}

/** The layout before ADR 0026: a keyed object with decimal strings. */
function addressWindowFromObject(plain: Plain, key: string): AddressWindow {
  const o = plainObject(plain, STORE, key);
  return {
    chain_id: plainToNumber(o.chain_id, STORE, key),
    address: plainToString(o.address, STORE, key),
    token_address: plainToString(o.token_address, STORE, key),
    symbol: plainToNullableString(o.symbol, STORE, key),
    decimals: plainToNullableNumber(o.decimals, STORE, key),
    in: sideFromObject(o.in, key),
    out: sideFromObject(o.out, key),
    tx_count: plainToNumber(o.tx_count, STORE, key),
    counterparties_count: plainToNumber(o.counterparties_count, STORE, key),
    version: plainToNumber(o.version, STORE, key),
    final: plainToBoolean(o.final, STORE, key),
  };
}

/** The positional fields after the layout tag, in order. */
const ADDRESS_WINDOW_FIELDS = 17;

/** A side's four positional fields from index `at`. */
function sideFromArray(a: readonly Plain[], at: number, key: string): Side {
  return {
    raw: plainToBigint(a[at], STORE, key),
    count: plainToNumber(a[at + 1], STORE, key),
    usd_scaled: plainToBigint(a[at + 2], STORE, key),
    unpriced: plainToNumber(a[at + 3], STORE, key),
  };
}

function addressWindowFromArray(a: readonly Plain[], key: string): AddressWindow {
  assertPositional(a, ADDRESS_WINDOW_FIELDS, STORE, key);
  return {
    chain_id: plainToNumber(a[1], STORE, key),
    address: plainToString(a[2], STORE, key),
    token_address: plainToString(a[3], STORE, key),
    symbol: plainToNullableString(a[4], STORE, key),
    decimals: plainToNullableNumber(a[5], STORE, key),
    in: sideFromArray(a, 6, key),
    out: sideFromArray(a, 10, key),
    tx_count: plainToNumber(a[14], STORE, key),
    counterparties_count: plainToNumber(a[15], STORE, key),
    version: plainToNumber(a[16], STORE, key),
    final: plainToBoolean(a[17], STORE, key),
  };
}

/**
 * State layout of an address window and bucket (ADR 0026): a positional array, `[layout, …fields]`, with safe-integer
 * amounts as numbers. An address window's entry is written whenever the window changes, and is most of the
 * address stage's LMDB and changelog bytes; as a keyed object its field names alone were ~140 of its ~330 bytes.
 * Entries written before, as keyed objects, still decode (no stage reset on upgrade).
 */
export const addressWindowCodec: StateCodec<AddressWindow> = {
  encode: (w) => [
    POSITIONAL_LAYOUT,
    w.chain_id,
    w.address,
    w.token_address,
    w.symbol,
    w.decimals,
    bigintToCompactPlain(w.in.raw),
    w.in.count,
    bigintToCompactPlain(w.in.usd_scaled),
    w.in.unpriced,
    bigintToCompactPlain(w.out.raw),
    w.out.count,
    bigintToCompactPlain(w.out.usd_scaled),
    w.out.unpriced,
    w.tx_count,
    w.counterparties_count,
    w.version,
    w.final,
  ],
  decode: (plain, key) => (Array.isArray(plain) ? addressWindowFromArray(plain, key) : addressWindowFromObject(plain, key)),
};

export const addressBucketCodec: StateCodec<AddressBucket> = {
  encode: (b) => [POSITIONAL_LAYOUT, bigintToCompactPlain(b.in_raw), b.in_count, bigintToCompactPlain(b.out_raw), b.out_count],
  decode: (plain, key) => {
    if (Array.isArray(plain)) {
      assertPositional(plain, 4, 'buckets', key);
      return {
        in_raw: plainToBigint(plain[1], 'buckets', key),
        in_count: plainToNumber(plain[2], 'buckets', key),
        out_raw: plainToBigint(plain[3], 'buckets', key),
        out_count: plainToNumber(plain[4], 'buckets', key),
      };
    }
    const o = plainObject(plain, 'buckets', key);
    return {
      in_raw: plainToBigint(o.in_raw, 'buckets', key),
      in_count: plainToNumber(o.in_count, 'buckets', key),
      out_raw: plainToBigint(o.out_raw, 'buckets', key),
      out_count: plainToNumber(o.out_count, 'buckets', key),
    };
  },
};

/** An AddressWindow with every field spelled out (one hidden class; see tokenWindow in token-metrics-daily.ts). */
function addressWindow(
  w: AddressWindow,
  symbol: string | null,
  decimals: number | null,
  inSide: Side,
  outSide: Side,
  tx_count: number,
  counterparties_count: number,
  version: number,
  final: boolean,
): AddressWindow {
  return {
    chain_id: w.chain_id,
    address: w.address,
    token_address: w.token_address,
    symbol,
    decimals,
    in: inSide,
    out: outSide,
    tx_count,
    counterparties_count,
    version,
    final,
  };
}

function sideUsd(side: Side, decimals: number | null): string | null {
  if (side.count === 0) return '0';
  if (decimals === null || side.unpriced !== 0) return null;
  return formatScaled(side.usd_scaled, decimals + PRICE_DECIMALS, USD_DECIMALS);
}

export interface CreateAddressFlowsParameters {
  readonly name?: string;
  /** Default `address.flows.daily`. */
  readonly outputTopic?: string;
  /** Default `erc20.transfers.late` (the topology publishes each late event as its original transfer there). */
  readonly lateTopic?: string;
  readonly windowing?: Partial<WindowingConfig>;
  /** State layout (tests compare layouts); default: small windows inline (ADR 0023). */
  readonly layout?: StateLayout;
  /** The price table the as-of join reads (the stage's, filled by the engine); default: one of its own (ADR 0024). */
  readonly prices?: PriceTable;
}

/** A new (window, address, token) aggregate: nothing flowed yet. */
function createAddressWindow(leg: AddressLeg): AddressWindow {
  return {
    chain_id: leg.chain_id,
    address: leg.address,
    token_address: leg.token_address,
    symbol: leg.symbol,
    decimals: leg.decimals,
    in: EMPTY_SIDE,
    out: EMPTY_SIDE,
    tx_count: 0,
    counterparties_count: 0,
    version: 0,
    final: false,
  };
}

/** A leg in (sign 1) or out (sign −1) of its direction's side, priced at `price` while the window is open. */
function applyLeg(
  agg: AddressWindow,
  leg: AddressLeg,
  sign: 1 | -1,
  price: AsOfPrice | null,
  delta: readonly number[],
): AddressWindow {
  const amount = sign === 1 ? leg.amount_raw : -leg.amount_raw;
  const decimals = agg.decimals ?? leg.decimals;
  const priced = decimals !== null && price !== null;
  const side = leg.direction === 'in' ? agg.in : agg.out;
  const next: Side = {
    raw: side.raw + amount,
    count: side.count + sign,
    usd_scaled: priced ? side.usd_scaled + amount * price.priceE : side.usd_scaled,
    unpriced: priced ? side.unpriced : side.unpriced + sign,
  };
  return addressWindow(
    agg,
    leg.symbol ?? agg.symbol,
    decimals,
    leg.direction === 'in' ? next : agg.in,
    leg.direction === 'out' ? next : agg.out,
    agg.tx_count + (delta[SET_TXS] ?? 0),
    agg.counterparties_count + (delta[SET_COUNTERPARTIES] ?? 0),
    agg.version,
    agg.final,
  );
}

function bucketMismatch(name: string, leg: AddressLeg): RetractionMismatchError {
  return new RetractionMismatchError(name, `${addressPartitionKey(leg)}@${leg.block_timestamp}`, `a ${leg.direction} amount`);
}

/** The leg's change to its timestamp's bucket; undefined when the bucket empties. A retraction of more than it holds throws. */
function bucketWithLeg(
  name: string,
  bucket: AddressBucket | undefined,
  leg: AddressLeg,
  sign: 1 | -1,
): AddressBucket | undefined {
  if (bucket === undefined && sign < 0) throw bucketMismatch(name, leg);
  const b = bucket ?? EMPTY_BUCKET;
  const amount = sign === 1 ? leg.amount_raw : -leg.amount_raw;
  const next: AddressBucket =
    leg.direction === 'in'
      ? { in_raw: b.in_raw + amount, in_count: b.in_count + sign, out_raw: b.out_raw, out_count: b.out_count }
      : { in_raw: b.in_raw, in_count: b.in_count, out_raw: b.out_raw + amount, out_count: b.out_count + sign };
  if (next.in_count < 0 || next.out_count < 0 || next.in_raw < 0n || next.out_raw < 0n) throw bucketMismatch(name, leg);
  return next.in_count === 0 && next.out_count === 0 ? undefined : next;
}

/** Exact USD per side from the window's buckets at their as-of prices (see DailyAggregateSpec.settle). */
function settleWindow(agg: AddressWindow, buckets: Iterable<readonly [number, AddressBucket]>, asOf: AsOfLookup): AddressWindow {
  // Unknown decimals: no USD value (never 18 by default), every leg counts as unpriced.
  const priced = agg.decimals !== null;
  let inUsd = 0n;
  let outUsd = 0n;
  let inUnpriced = priced ? 0 : agg.in.count;
  let outUnpriced = priced ? 0 : agg.out.count;
  if (priced) {
    for (const [timeMs, b] of buckets) {
      const price = asOf.at(timeMs);
      if (price === null) {
        inUnpriced += b.in_count;
        outUnpriced += b.out_count;
      } else {
        inUsd += b.in_raw * price.priceE;
        outUsd += b.out_raw * price.priceE;
      }
    }
  }
  const inSide: Side = { raw: agg.in.raw, count: agg.in.count, usd_scaled: inUsd, unpriced: inUnpriced };
  const outSide: Side = { raw: agg.out.raw, count: agg.out.count, usd_scaled: outUsd, unpriced: outUnpriced };
  return addressWindow(
    agg,
    agg.symbol,
    agg.decimals,
    inSide,
    outSide,
    agg.tx_count,
    agg.counterparties_count,
    agg.version,
    agg.final,
  );
}

/** The `address_flows_daily` record of a window. */
function addressFlowsRow(agg: AddressWindow, ctx: EmitContext): AddressFlowsDaily {
  const inflowUsd = sideUsd(agg.in, agg.decimals);
  const outflowUsd = sideUsd(agg.out, agg.decimals);
  const netUsd =
    inflowUsd === null || outflowUsd === null
      ? null
      : agg.decimals === null
        ? '0'
        : formatScaled(agg.in.usd_scaled - agg.out.usd_scaled, agg.decimals + PRICE_DECIMALS, USD_DECIMALS);
  return {
    date: ctx.date,
    window_start: ctx.windowStartMs,
    chain_id: agg.chain_id,
    address: agg.address,
    token_address: agg.token_address,
    symbol: agg.symbol,
    inflow_raw: agg.in.raw,
    outflow_raw: agg.out.raw,
    net_flow_raw: agg.in.raw - agg.out.raw,
    inflow_usd: inflowUsd,
    outflow_usd: outflowUsd,
    net_flow_usd: netUsd,
    tx_count: agg.tx_count,
    counterparties_count: agg.counterparties_count,
    transfer_count: agg.in.count + agg.out.count,
    is_final: ctx.final,
    version: ctx.version,
    emitted_at: ctx.streamTimeMs,
  };
}

export function addressFlowsSpec(
  params: CreateAddressFlowsParameters = {},
): DailyAggregateSpec<AddressLeg, AddressWindow, AddressBucket, AddressFlowsDaily> {
  const name = params.name ?? 'address-flows-daily';
  return {
    name,
    outputTopic: params.outputTopic ?? 'address.flows.daily',
    lateTopic: params.lateTopic ?? 'erc20.transfers.late',
    sets: ['c', 't'],
    codecs: { windows: addressWindowCodec, buckets: addressBucketCodec },
    keyOf: addressPartitionKey,
    timeMsOf: (leg) => leg.block_timestamp,
    identityOf: (leg) => `${leg.block_hash}:${leg.log_index}:${leg.direction}`,
    isRetraction: (leg) => leg.kind === 'retraction',
    assetOf: (leg) => assetKey(leg.chain_id, leg.token_address),
    assetOfKey: (key) => {
      const [chain, , token] = key.split(':');
      return `${chain}:${token}`;
    },
    membersOf(leg): Member[] {
      const members: Member[] = [[SET_TXS, leg.tx_hash]];
      if (leg.counterparty !== ZERO_ADDRESS) members.push([SET_COUNTERPARTIES, leg.counterparty]);
      return members;
    },
    create: createAddressWindow,
    apply: applyLeg,
    applyToBucket: (bucket, leg, sign) => bucketWithLeg(name, bucket, leg, sign),
    settle: settleWindow,
    withState: (a, version, final) =>
      addressWindow(a, a.symbol, a.decimals, a.in, a.out, a.tx_count, a.counterparties_count, version, final),
    toOutput: (agg, _key, ctx) => addressFlowsRow(agg, ctx),
  };
}

export type AddressFlowsStores = AggregatorStores<AddressWindow, AddressBucket>;
export type AddressFlowsOutput = AddressFlowsDaily | LateEvent<AddressLeg>;

/**
 * The `address_flows_daily` processor: input = by-address legs (repartition.ts `addressLegsOf`) and price ticks.
 */
export function createAddressFlowsDailyProcessor(
  params: CreateAddressFlowsParameters = {},
): Processor<AddressFlowsStores, AddressLeg | PriceTick, AddressFlowsOutput> {
  return createDailyAggregator(addressFlowsSpec(params), params.windowing, params.layout, params.prices);
}
