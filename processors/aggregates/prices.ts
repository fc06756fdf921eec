import { assertLogicalKey, flat } from '../engine/windowKey.ts';
import { PRICE_DECIMALS, parseDecimal } from './decimal.ts';
import { InvalidPriceError } from './errors.ts';
import { DAY_MS } from '../../core/time.ts';
import { upperBound } from '../anomalies/lib/descriptive.ts';
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

/** A price observation, the result of the as-of join. */
export interface AsOfPrice {
  /** USD × 10^PRICE_DECIMALS. */
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

/** Parses and validates a tick: its asset and price point. @throws InvalidPriceError */
export function priceEntry(tick: PriceTick): { asset: string; point: AsOfPrice } {
  const priceE = parseDecimal(tick.price_usd, PRICE_DECIMALS);
  if (priceE < 0n) throw new InvalidPriceError(tick.price_usd, 'negative');
  if (!Number.isSafeInteger(tick.timestamp) || tick.timestamp < 0)
    throw new InvalidPriceError(tick.price_usd, `bad timestamp ${tick.timestamp}`);
  const asset = assetKey(tick.chain_id, tick.token_address);
  assertLogicalKey(asset);
  return { asset, point: { priceE, timestampMs: tick.timestamp * 1000, source: tick.source } };
}

/** What an aggregate reads of the price table when it renders a window. */
export interface PriceReader {
  /** Daily OHLC of an asset, if any tick fell inside the day. */
  day(asset: string, windowStartMs: number): PriceDay | undefined;
  /** Latest price at or before a time, within PRICE_LOOKBACK_MS (for staleness reporting). */
  latestAt(asset: string, timeMs: number): AsOfPrice | null;
}

/** One asset's ticks in time order (one per time: a later tick of the same time replaces it). */
class AssetPrices {
  readonly times: number[] = [];
  readonly points: AsOfPrice[] = [];
  /**
   * OHLC per window start, computed on first read; a newer tick updates its day in place, an older or replacing one
   * drops it.
   */
  private readonly days = new Map<number, PriceDay | undefined>();

  /** Index of the newest tick at or before `timeMs`; -1 when there is none. */
  indexAtOrBefore(timeMs: number): number {
    return upperBound(this.times, timeMs) - 1;
  }

  add(point: AsOfPrice): void {
    const timeMs = point.timestampMs;
    const day = windowStartOf(timeMs);
    const n = this.times.length;
    if (n === 0 || (this.times[n - 1] as number) < timeMs) {
      // The usual case, a newer tick: its day's OHLC, if computed, takes it in place (live days get a tick a minute).
      this.times.push(timeMs);
      this.points.push(point);
      if (this.days.has(day)) this.days.set(day, withLatestTick(this.days.get(day), point));
      return;
    }
    const i = this.indexAtOrBefore(timeMs);
    if (i >= 0 && this.times[i] === timeMs) this.points[i] = point;
    else {
      this.times.splice(i + 1, 0, timeMs);
      this.points.splice(i + 1, 0, point);
    }
    // A replaced or an older tick: recomputed on the next read (a corrected high must not stay).
    this.days.delete(day);
  }

  day(windowStartMs: number): PriceDay | undefined {
    if (this.days.has(windowStartMs)) return this.days.get(windowStartMs);
    const day = this.ohlc(windowStartMs);
    this.days.set(windowStartMs, day);
    return day;
  }

  /** The day's ticks folded in time order, as they would have arrived one after the other. */
  private ohlc(windowStartMs: number): PriceDay | undefined {
    const last = this.indexAtOrBefore(windowStartMs + DAY_MS - 1);
    let day: PriceDay | undefined;
    for (let i = this.indexAtOrBefore(windowStartMs - 1) + 1; i <= last; i++)
      day = withLatestTick(day, this.points[i] as AsOfPrice);
    return day;
  }
}

/** A day's OHLC after a tick newer than every tick of the day. */
function withLatestTick(day: PriceDay | undefined, point: AsOfPrice): PriceDay {
  const p = point.priceE;
  if (day === undefined)
    return { openMs: point.timestampMs, open: p, high: p, low: p, closeMs: point.timestampMs, close: p, source: point.source };
  return {
    ...day,
    high: p > day.high ? p : day.high,
    low: p < day.low ? p : day.low,
    closeMs: point.timestampMs,
    close: p,
    source: point.source,
  };
}

/**
 * The spot prices an aggregate stage joins against (Kafka Streams' global table): every tick of `market.prices.raw`
 * per asset, in time order, in memory. A stage's tasks in one worker share one table, filled from the topic by the
 * worker's global feed before any task starts (so it is rebuilt from its source topic, never written to a task's state
 * or changelog, ADR 0024); a processor driven without the engine (tests, `oracul recompute`) fills its own table from
 * the ticks piped to it. It keeps what the topic holds: a few ticks per tracked token and minute, ~60–100 bytes each.
 */
export class PriceTable implements PriceReader {
  private readonly assets = new Map<string, AssetPrices>();
  private ticks = 0;

  /** Adds a tick (a tick of the same asset and time replaces the earlier one). @throws InvalidPriceError */
  add(tick: PriceTick): void {
    const { asset, point } = priceEntry(tick);
    let prices = this.assets.get(asset);
    if (prices === undefined) {
      prices = new AssetPrices();
      this.assets.set(asset, prices);
    }
    const before = prices.times.length;
    prices.add(point);
    this.ticks += prices.times.length - before;
  }

  /** Ticks held (one per asset and time). */
  get size(): number {
    return this.ticks;
  }

  /**
   * The as-of join: the newest tick at or before `timeMs` (the transfer's time picks the price, not the processing
   * time), or null when there is none or it is older than `lookbackMs`.
   */
  asOf(asset: string, timeMs: number, lookbackMs: number): AsOfPrice | null {
    const prices = this.assets.get(asset);
    if (prices === undefined) return null;
    const i = prices.indexAtOrBefore(timeMs);
    if (i < 0) return null;
    const point = prices.points[i] as AsOfPrice;
    return timeMs - point.timestampMs <= lookbackMs ? point : null;
  }

  day(asset: string, windowStartMs: number): PriceDay | undefined {
    return this.assets.get(asset)?.day(windowStartMs);
  }

  latestAt(asset: string, timeMs: number): AsOfPrice | null {
    return this.asOf(asset, timeMs, PRICE_LOOKBACK_MS);
  }
}
