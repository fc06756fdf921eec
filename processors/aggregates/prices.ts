import type { KeyValueView, StateCodec } from '../engine/state.ts';
import { plainObject, plainToBigint, plainToNumber, plainToString } from '../engine/state.ts';
import { KEY_SEPARATOR, assertLogicalKey, encodeTimeHex, encodeWindowKey, flat } from '../engine/windowKey.ts';
import { PRICE_DECIMALS, parseDecimal } from './decimal.ts';
import { InvalidPriceError } from './errors.ts';
import { DAY_MS } from '../../core/time.ts';
import { windowStartOf } from './windowing.ts';

/** One spot price observation (`prices_spot`): the price of a token in USD at a time. */
export interface PriceTick {
  readonly chain_id: number;
  readonly token_address: string;
  /** Observation time, unix seconds. */
  readonly timestamp: number;
  /** Decimal string (JSON-number renderings such as "1.2e-7" accepted); never a float in state. */
  readonly price_usd: string;
  /** e.g. `coingecko`. */
  readonly source: string;
}

export function isPriceTick(value: object): value is PriceTick {
  return 'price_usd' in value;
}

/** A stored price: USD × 10^PRICE_DECIMALS. */
export interface PricePoint {
  readonly priceE: bigint;
  readonly source: string;
}

/** The result of the as-of join. */
export interface AsOfPrice {
  readonly priceE: bigint;
  readonly timestampMs: number;
  readonly source: string;
}

/** Open/high/low/close of one asset over one UTC day, from the ticks inside the day. */
export interface PriceDay {
  readonly openMs: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly closeMs: number;
  readonly close: bigint;
  /** Source of the close. */
  readonly source: string;
}

/** How far back the staleness column looks for a last price (older → null). */
export const PRICE_LOOKBACK_MS = 2 * DAY_MS;

// Memo of the last asset key: consecutive records of a token reuse one flat string (hashed once as a Map key).
let lastAssetChain = NaN;
let lastAssetToken = '';
let lastAsset = '';

/** Price asset of a token: `<chainId>:<token>`, the token key. */
export function assetKey(chainId: number, tokenAddress: string): string {
  if (tokenAddress === lastAssetToken && chainId === lastAssetChain) return lastAsset;
  lastAssetChain = chainId;
  lastAssetToken = tokenAddress;
  lastAsset = flat(`${chainId}:${tokenAddress}`);
  return lastAsset;
}

/**
 * Prices store key: `day ‖ asset ‖ time` (both times as 12 hex ms). Day first, like window stores: a day's
 * prices are one segment, purged with one range delete, and an as-of lookup is a reverse seek within ≤ 2 days.
 */
export function priceKey(asset: string, timeMs: number): string {
  return encodeWindowKey(windowStartOf(timeMs), asset, encodeTimeHex(timeMs));
}

export function priceDayKey(windowStartMs: number, asset: string): string {
  return encodeWindowKey(windowStartMs, asset);
}

/** Parses and validates a tick into its store entries. @throws InvalidPriceError */
export function priceEntry(tick: PriceTick): { asset: string; timeMs: number; point: PricePoint } {
  const priceE = parseDecimal(tick.price_usd, PRICE_DECIMALS);
  if (priceE < 0n) throw new InvalidPriceError(tick.price_usd, 'negative');
  if (!Number.isSafeInteger(tick.timestamp) || tick.timestamp < 0)
    throw new InvalidPriceError(tick.price_usd, `bad timestamp ${tick.timestamp}`);
  const asset = assetKey(tick.chain_id, tick.token_address);
  assertLogicalKey(asset);
  return { asset, timeMs: tick.timestamp * 1000, point: { priceE, source: tick.source } };
}

/**
 * The day's OHLC after adding a tick. Incremental when the tick is new; recomputed from the day's ticks when it
 * replaces an existing observation (so a corrected price cannot leave a stale high or low behind).
 */
export function nextPriceDay(
  prices: KeyValueView<PricePoint>,
  previous: PriceDay | undefined,
  replaced: boolean,
  asset: string,
  timeMs: number,
  point: PricePoint,
): PriceDay {
  if (previous === undefined) {
    return {
      openMs: timeMs,
      open: point.priceE,
      high: point.priceE,
      low: point.priceE,
      closeMs: timeMs,
      close: point.priceE,
      source: point.source,
    };
  }
  if (!replaced) {
    const p = point.priceE;
    return {
      openMs: timeMs < previous.openMs ? timeMs : previous.openMs,
      open: timeMs < previous.openMs ? p : previous.open,
      high: p > previous.high ? p : previous.high,
      low: p < previous.low ? p : previous.low,
      closeMs: timeMs > previous.closeMs ? timeMs : previous.closeMs,
      close: timeMs > previous.closeMs ? p : previous.close,
      source: timeMs > previous.closeMs ? point.source : previous.source,
    };
  }
  // Recompute from the stored ticks, with this tick's value substituted.
  const day = windowStartOf(timeMs);
  const prefix = encodeWindowKey(day, asset) + KEY_SEPARATOR;
  let result: PriceDay | undefined;
  for (const [key, stored] of prices.range({ gte: prefix, lt: prefix + '~' })) {
    const t = parseInt(key.slice(prefix.length), 16);
    const value = t === timeMs ? point : stored;
    result = nextPriceDay(prices, result, false, asset, t, value);
  }
  return result ?? nextPriceDay(prices, undefined, false, asset, timeMs, point);
}

/**
 * The latest price at or before `timeMs`, looking back at most `lookbackMs`; null when there is none.
 * This is the as-of join: the transfer's timestamp picks the price, not the processing time.
 */
export function latestPriceAtOrBefore(
  prices: KeyValueView<PricePoint>,
  asset: string,
  timeMs: number,
  lookbackMs: number,
): AsOfPrice | null {
  const oldest = timeMs - lookbackMs;
  for (let day = windowStartOf(timeMs); day + DAY_MS > oldest && day >= 0; day -= DAY_MS) {
    const prefix = encodeWindowKey(day, asset) + KEY_SEPARATOR;
    const upper = day === windowStartOf(timeMs) ? prefix + encodeTimeHex(timeMs) : prefix + '~';
    for (const [key, point] of prices.range({ gte: prefix, lte: upper, reverse: true, limit: 1 })) {
      const t = parseInt(key.slice(prefix.length), 16);
      return t >= oldest ? { priceE: point.priceE, timestampMs: t, source: point.source } : null;
    }
  }
  return null;
}

/** The price views an as-of join reads: every point, and the newest point per asset (`price_latest`). */
export interface PriceTable {
  readonly points: KeyValueView<PricePoint>;
  readonly latest: KeyValueView<AsOfPrice>;
}

/**
 * {@link latestPriceAtOrBefore} with a fast path: when the asset's newest tick is at or before `timeMs` (live
 * processing: prices trail transfers) it is the answer and no range scan runs; an asset without ticks is null
 * at once. Only a transfer older than the newest tick (out of order, backfill) scans.
 */
export function asOfPrice(table: PriceTable, asset: string, timeMs: number, lookbackMs: number): AsOfPrice | null {
  const newest = table.latest.get(asset);
  if (newest === undefined) return null;
  if (newest.timestampMs <= timeMs) return timeMs - newest.timestampMs <= lookbackMs ? newest : null;
  return latestPriceAtOrBefore(table.points, asset, timeMs, lookbackMs);
}

/** The newest tick of an asset after a tick arrives (a replaced newest tick takes the new value). */
export function nextLatest(previous: AsOfPrice | undefined, timeMs: number, point: PricePoint): AsOfPrice | undefined {
  if (previous !== undefined && previous.timestampMs > timeMs) return undefined;
  return { priceE: point.priceE, timestampMs: timeMs, source: point.source };
}

export function asOfPriceCodec(store: string): StateCodec<AsOfPrice> {
  return {
    encode: (p) => ({ priceE: p.priceE.toString(), timestampMs: p.timestampMs, source: p.source }),
    decode: (plain, key) => {
      const o = plainObject(plain, store, key);
      return {
        priceE: plainToBigint(o.priceE, store, key),
        timestampMs: plainToNumber(o.timestampMs, store, key),
        source: plainToString(o.source, store, key),
      };
    },
  };
}

export function pricePointCodec(store: string): StateCodec<PricePoint> {
  return {
    encode: (p) => ({ priceE: p.priceE.toString(), source: p.source }),
    decode: (plain, key) => {
      const o = plainObject(plain, store, key);
      return { priceE: plainToBigint(o.priceE, store, key), source: plainToString(o.source, store, key) };
    },
  };
}

export function priceDayCodec(store: string): StateCodec<PriceDay> {
  return {
    encode: (d) => ({
      openMs: d.openMs,
      open: d.open.toString(),
      high: d.high.toString(),
      low: d.low.toString(),
      closeMs: d.closeMs,
      close: d.close.toString(),
      source: d.source,
    }),
    decode: (plain, key) => {
      const o = plainObject(plain, store, key);
      return {
        openMs: plainToNumber(o.openMs, store, key),
        open: plainToBigint(o.open, store, key),
        high: plainToBigint(o.high, store, key),
        low: plainToBigint(o.low, store, key),
        closeMs: plainToNumber(o.closeMs, store, key),
        close: plainToBigint(o.close, store, key),
        source: plainToString(o.source, store, key),
      };
    },
  };
}
