import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, isoDay } from '../../core/time.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { createAddressFlowsDailyProcessor, type AddressFlowsDaily } from './address-flows-daily.ts';
import { splitOutputs } from './daily-aggregator.ts';
import { PriceTable, type PriceTick } from './prices.ts';
import { addressLegsOf, type AddressLeg } from './repartition.ts';
import { addr, retraction, transfer, ZERO } from './testing/fixtures.ts';
import { createTokenMetricsDailyProcessor, type TokenMetricsDaily } from './token-metrics-daily.ts';
import { xorshift32 } from '../../core/xorshift.ts';

/**
 * Property: a random multi-day stream (several tokens, mints, burns, huge amounts, price gaps, reorg
 * retractions, some landing after their day closed) processed in an order shuffled within the grace period
 * gives finals equal to a batch recomputation over the canonical transfers. The batch side below is written
 * independently of the processors: plain reduces, sets, and its own as-of search and rounding.
 */

const HOUR = HOUR_MS;
const DAY = DAY_MS;
const GRACE = HOUR;
const STALENESS = 2 * HOUR;
const START = Date.parse('2024-01-01T00:00:00Z');

interface Token {
  readonly address: string;
  readonly decimals: number | null;
}

interface Scenario {
  readonly arrivals: (Erc20Transfer | PriceTick)[];
  readonly canonical: Erc20Transfer[];
  readonly prices: { token: string; timeMs: number; priceE: bigint; source: string }[];
}

function scenario(seed: number): Scenario {
  const rand = xorshift32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const tokens: Token[] = [
    { address: '0x' + '11'.repeat(20), decimals: 18 },
    { address: '0x' + '22'.repeat(20), decimals: 6 },
    { address: '0x' + '33'.repeat(20), decimals: null },
  ];
  const people = Array.from({ length: 25 }, (_, i) => addr(100 + i));
  const keyed: { at: number; value: Erc20Transfer | PriceTick }[] = [];
  const prices: Scenario['prices'] = [];

  // Prices for the first two tokens: every 5–35 min, with one 5-hour gap each (a stale period).
  for (const [i, token] of tokens.slice(0, 2).entries()) {
    const gapStart = START + (1 + i) * DAY + 8 * HOUR;
    for (let t = START - HOUR; t < START + 4 * DAY;) {
      if (t >= gapStart && t < gapStart + 5 * HOUR) {
        t = gapStart + 5 * HOUR;
        continue;
      }
      const whole = BigInt(int(3000));
      const frac = BigInt(int(1e8));
      const priceE = whole * 10n ** 18n + frac * 10n ** 10n;
      const tick: PriceTick = {
        chain_id: 1,
        token_address: token.address,
        timestamp: Math.floor(t / 1000),
        price_usd: `${whole}.${frac.toString().padStart(8, '0')}`,
        source: rand() < 0.5 ? 'a' : 'b',
      };
      prices.push({ token: token.address, timeMs: tick.timestamp * 1000, priceE, source: tick.source });
      keyed.push({ at: tick.timestamp * 1000 + int(GRACE), value: tick });
      t += 5 * 60_000 + int(30 * 60_000);
    }
  }

  const canonical: Erc20Transfer[] = [];
  let txSeq = 0;
  let tx = '';
  for (let i = 0; i < 1200; i++) {
    const token = tokens[int(tokens.length)] as Token;
    const timeS = Math.floor((START + int(4 * DAY)) / 1000);
    const from = rand() < 0.05 ? ZERO : (people[int(people.length)] as string);
    const to = rand() < 0.05 ? ZERO : (people[int(people.length)] as string);
    if (i === 0 || rand() < 0.7) tx = '0x' + (txSeq++).toString(16).padStart(64, 'd');
    const amount = rand() < 0.02 ? 2n ** 255n + BigInt(int(1000)) : BigInt(int(1e9)) * 10n ** BigInt(int(12));
    const t = transfer({
      at: timeS,
      token: token.address,
      decimals: token.decimals,
      symbol: null,
      from,
      to,
      amount,
      tx,
      logIndex: i,
    });
    const arrival = timeS * 1000 + int(GRACE);
    keyed.push({ at: arrival, value: t });
    if (rand() < 0.06)
      keyed.push({ at: arrival + int(2 * DAY), value: retraction(t) }); // some after the day closed
    else canonical.push(t);
  }
  keyed.sort((a, b) => a.at - b.at);
  return { arrivals: keyed.map((k) => k.value), canonical, prices };
}

// ---- independent batch recomputation ----

function roundHalfEven(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = a / d;
  const r = a - q * d;
  const up = r * 2n > d || (r * 2n === d && q % 2n === 1n);
  return (neg ? -1n : 1n) * (up ? q + 1n : q);
}

function usd(sum: bigint, decimals: number): string {
  const micro = roundHalfEven(sum, 10n ** BigInt(decimals + 18 - 6));
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return sign + whole.toString() + (frac ? '.' + frac : '');
}

function batch(s: Scenario) {
  const asOf = (token: string, timeMs: number) => {
    let best: Scenario['prices'][number] | undefined;
    for (const p of s.prices)
      if (p.token === token && p.timeMs <= timeMs && (best === undefined || p.timeMs > best.timeMs)) best = p;
    return best !== undefined && timeMs - best.timeMs <= STALENESS ? best : undefined;
  };
  const formatPrice = (p: bigint): string => {
    const whole = p / 10n ** 18n;
    const frac = (p % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '');
    return whole.toString() + (frac ? '.' + frac : '');
  };

  const tokenRows = new Map<string, Partial<TokenMetricsDaily>>();
  const groups = new Map<string, Erc20Transfer[]>();
  for (const t of s.canonical) {
    const k = `${t.token_address}@${isoDay(t.block_timestamp)}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  for (const [k, ts] of groups) {
    const [token = '', day = ''] = k.split('@');
    const dayStart = Date.parse(day);
    const decimals = ts[0]?.decimals ?? null;
    let usdSum = 0n;
    let unpriced = 0;
    for (const t of ts) {
      const p = asOf(token, t.block_timestamp);
      if (decimals === null || p === undefined) unpriced++;
      else usdSum += t.amount_raw * p.priceE;
    }
    const inDay = s.prices
      .filter((p) => p.token === token && p.timeMs >= dayStart && p.timeMs < dayStart + DAY)
      .sort((a, b) => a.timeMs - b.timeMs);
    const last = s.prices
      .filter((p) => p.token === token && p.timeMs <= dayStart + DAY - 1 && p.timeMs >= dayStart + DAY - 1 - 2 * DAY)
      .sort((a, b) => a.timeMs - b.timeMs)
      .at(-1);
    tokenRows.set(k, {
      volume_raw: ts.reduce((a, t) => a + t.amount_raw, 0n),
      minted_raw: ts.filter((t) => t.from_address === ZERO).reduce((a, t) => a + t.amount_raw, 0n),
      burned_raw: ts.filter((t) => t.to_address === ZERO).reduce((a, t) => a + t.amount_raw, 0n),
      transfer_count: ts.length,
      tx_count: new Set(ts.map((t) => t.tx_hash)).size,
      unique_addresses: new Set(ts.flatMap((t) => [t.from_address, t.to_address]).filter((a) => a !== ZERO)).size,
      unpriced_transfer_count: unpriced,
      volume_usd: unpriced > 0 || decimals === null ? null : usd(usdSum, decimals),
      price_open: inDay[0] === undefined ? null : formatPrice(inDay[0].priceE),
      price_high: inDay.length === 0 ? null : formatPrice(inDay.reduce((m, p) => (p.priceE > m ? p.priceE : m), 0n)),
      price_low:
        inDay.length === 0 ? null : formatPrice(inDay.reduce((m, p) => (p.priceE < m ? p.priceE : m), inDay[0]?.priceE ?? 0n)),
      price_close: inDay.at(-1) === undefined ? null : formatPrice(inDay.at(-1)?.priceE ?? 0n),
      price_source: inDay.at(-1)?.source ?? last?.source ?? null,
      price_staleness_s: last === undefined ? null : Math.floor((dayStart + DAY - 1 - last.timeMs) / 1000),
      is_final: true,
    });
  }

  const flowRows = new Map<string, Partial<AddressFlowsDaily>>();
  const legs = new Map<string, { t: Erc20Transfer; dir: 'in' | 'out' }[]>();
  for (const t of s.canonical) {
    for (const [who, dir] of [
      [t.from_address, 'out'],
      [t.to_address, 'in'],
    ] as const) {
      if (who === ZERO) continue;
      const k = `${who}|${t.token_address}@${isoDay(t.block_timestamp)}`;
      legs.set(k, [...(legs.get(k) ?? []), { t, dir }]);
    }
  }
  for (const [k, ls] of legs) {
    const decimals = ls[0]?.t.decimals ?? null;
    const side = (dir: 'in' | 'out') => {
      const mine = ls.filter((l) => l.dir === dir);
      let sum = 0n;
      let unpriced = 0;
      for (const { t } of mine) {
        const p = asOf(t.token_address, t.block_timestamp);
        if (decimals === null || p === undefined) unpriced++;
        else sum += t.amount_raw * p.priceE;
      }
      const raw = mine.reduce((a, l) => a + l.t.amount_raw, 0n);
      return { raw, sum, text: mine.length === 0 ? '0' : unpriced > 0 || decimals === null ? null : usd(sum, decimals) };
    };
    const i = side('in');
    const o = side('out');
    flowRows.set(k, {
      inflow_raw: i.raw,
      outflow_raw: o.raw,
      net_flow_raw: i.raw - o.raw,
      inflow_usd: i.text,
      outflow_usd: o.text,
      net_flow_usd: i.text === null || o.text === null ? null : decimals === null ? '0' : usd(i.sum - o.sum, decimals),
      tx_count: new Set(ls.map((l) => l.t.tx_hash)).size,
      counterparties_count: new Set(ls.map((l) => (l.dir === 'in' ? l.t.from_address : l.t.to_address)).filter((a) => a !== ZERO))
        .size,
      transfer_count: ls.length,
      is_final: true,
    });
  }
  return { tokenRows, flowRows };
}

// ---- streaming side ----

function latestByKey<T extends { version: number; is_final: boolean }>(
  rows: readonly T[],
  keyOf: (r: T) => string,
): Map<string, T> {
  const latest = new Map<string, T>();
  for (const r of rows) {
    const k = keyOf(r);
    const previous = latest.get(k);
    if (previous !== undefined) {
      expect(r.version).toBeGreaterThan(previous.version); // versions only increase
      if (previous.is_final) expect(r.is_final).toBe(true); // a final is only ever superseded by a final
    }
    latest.set(k, r);
  }
  return latest;
}

function stream(s: Scenario) {
  const windowing = { graceMs: GRACE, priceStalenessMs: STALENESS, retentionMs: 30 * DAY, updates: 'on_punctuate' as const };
  const tokens = createTestDriver(createTokenMetricsDailyProcessor({ windowing }), { verifySerde: true });
  const flows = createTestDriver(createAddressFlowsDailyProcessor({ windowing }));
  let n = 0;
  for (const value of s.arrivals) {
    if ('price_usd' in value) {
      tokens.pipe(value);
      flows.pipe(value);
    } else {
      tokens.pipe(value);
      for (const leg of addressLegsOf(value)) flows.pipe(leg);
    }
    if (++n % 50 === 0) {
      tokens.punctuate({ caughtUp: false });
      flows.punctuate({ caughtUp: false });
    }
  }
  // Go idle and caught up far in the future: every remaining day closes.
  for (const d of [tokens, flows]) {
    d.advanceWallClock(START + 40 * DAY - d.wallClockMs);
    d.punctuate({ caughtUp: true });
  }
  const tokenOut = splitOutputs<TokenMetricsDaily, Erc20Transfer>(tokens.outputs());
  const flowOut = splitOutputs<AddressFlowsDaily, AddressLeg>(flows.outputs());
  expect(tokenOut.late).toEqual([]);
  expect(flowOut.late).toEqual([]);
  return {
    tokenRows: latestByKey(tokenOut.windows, (r) => `${r.token_address}@${r.date}`),
    flowRows: latestByKey(flowOut.windows, (r) => `${r.address}|${r.token_address}@${r.date}`),
  };
}

function nonEmpty<T extends { transfer_count: number }>(rows: Map<string, T>): Map<string, T> {
  return new Map([...rows].filter(([, r]) => r.transfer_count > 0));
}

/** Retractions each seeded scenario holds (some after their day closed): the property is exercised on them. */
const RETRACTIONS: Record<number, number> = { 1: 74, 2: 70, 3: 60 };

describe('streaming finals = batch recomputation', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, () => {
      const s = scenario(seed);
      const expected = batch(s);
      const actual = stream(s);
      const tokenRows = nonEmpty(actual.tokenRows);
      expect([...tokenRows.keys()].sort()).toEqual([...expected.tokenRows.keys()].sort());
      for (const [k, row] of expected.tokenRows) expect(tokenRows.get(k), k).toMatchObject(row);
      const flowRows = nonEmpty(actual.flowRows);
      expect([...flowRows.keys()].sort()).toEqual([...expected.flowRows.keys()].sort());
      for (const [k, row] of expected.flowRows) expect(flowRows.get(k), k).toMatchObject(row);
      // The scenario exercised what it should.
      expect(s.arrivals.filter((a) => 'kind' in a && a.kind === 'retraction')).toHaveLength(RETRACTIONS[seed] as number);
      expect([...expected.tokenRows.values()].some((r) => r.volume_usd === null)).toBe(true);
      expect([...expected.tokenRows.values()].some((r) => r.volume_usd !== null)).toBe(true);
      expect([...actual.tokenRows.values()].every((r) => r.is_final)).toBe(true);
    });
  }
});

/**
 * The runtime hands an aggregate the inputs of one Kafka record in one `processBatch` call (a block's legs; price
 * ticks in chunks): the outputs, in order, and every store must be what record-by-record `process` calls give, with
 * chunks that mix ticks and transfers, close days and retract finals midway.
 */
type Driver = ReturnType<typeof createTestDriver>;
const STORES = ['windows', 'buckets', 'distinct', 'dirty', 'late', 'meta'] as const;
/** Every store of an aggregate driver, as its entries. */
const storesOf = (d: Driver) => Object.fromEntries(STORES.map((name) => [name, d.store(name).entries()]));

describe('processBatch = process record by record', () => {
  function run(s: Scenario, updates: 'on_punctuate' | 'every_record', chunkOf: (() => number) | null) {
    const windowing = { graceMs: GRACE, priceStalenessMs: STALENESS, retentionMs: 30 * DAY, updates };
    const tokens = createTestDriver(createTokenMetricsDailyProcessor({ windowing })) as unknown as Driver;
    const flows = createTestDriver(createAddressFlowsDailyProcessor({ windowing })) as unknown as Driver;
    let tokenChunk: unknown[] = [];
    let flowChunk: unknown[] = [];
    let size = chunkOf?.() ?? 1;
    const flush = (): void => {
      if (chunkOf === null) {
        for (const v of tokenChunk) tokens.pipe(v);
        for (const v of flowChunk) flows.pipe(v);
      } else {
        tokens.pipeBatch(tokenChunk);
        flows.pipeBatch(flowChunk);
        size = chunkOf();
      }
      tokenChunk = [];
      flowChunk = [];
    };
    let n = 0;
    for (const value of s.arrivals) {
      tokenChunk.push(value);
      if ('price_usd' in value) flowChunk.push(value);
      else flowChunk.push(...addressLegsOf(value));
      if (tokenChunk.length >= size) flush();
      if (++n % 97 === 0) {
        flush();
        tokens.punctuate({ caughtUp: false });
        flows.punctuate({ caughtUp: false });
      }
    }
    flush();
    for (const d of [tokens, flows]) {
      d.advanceWallClock(START + 40 * DAY - d.wallClockMs);
      d.punctuate({ caughtUp: true });
    }
    return { outputs: [tokens.outputs(), flows.outputs()], stores: [storesOf(tokens), storesOf(flows)] };
  }

  for (const updates of ['on_punctuate', 'every_record'] as const) {
    for (const seed of [1, 2]) {
      it(`${updates}, seed ${seed}`, () => {
        const s = scenario(seed);
        const sizes = xorshift32(seed + 100);
        const byRecord = run(s, updates, null);
        const byBatch = run(s, updates, () => 1 + Math.floor(sizes() * 60));
        expect(byBatch.outputs[0]!.length).toBeGreaterThan(100);
        expect(byBatch.outputs).toEqual(byRecord.outputs);
        expect(byBatch.stores).toEqual(byRecord.stores);
      });
    }
  }
});

/**
 * ADR 0023: a window keeps its members and buckets in its own entry while small and moves them to the `distinct` and
 * `buckets` stores once it grows. Whatever the layout, every output (updates and finals, in order) must be the one
 * the store-per-fact layout gives, and state written in that layout (before the change) must carry on exactly.
 */
type Drivers = { readonly drivers: Driver[]; readonly prices: readonly [PriceTable, PriceTable] };

describe('small windows inline = every fact in its store', () => {
  const windowing = { graceMs: GRACE, priceStalenessMs: STALENESS, retentionMs: 30 * DAY, updates: 'on_punctuate' as const };

  /** Both aggregates' drivers, on `initial`'s state and over its price tables (a worker restart keeps its tables). */
  function drivers(smallWindowLimit?: number, initial?: Drivers): Drivers {
    const layout = smallWindowLimit === undefined ? {} : { smallWindowLimit };
    const prices = initial?.prices ?? [new PriceTable(), new PriceTable()];
    const stateOf = (i: number) => (initial === undefined ? undefined : storesOf(initial.drivers[i]!));
    const tokens = createTokenMetricsDailyProcessor({ windowing, layout, prices: prices[0] });
    const flows = createAddressFlowsDailyProcessor({ windowing, layout, prices: prices[1] });
    const drivers = [
      createTestDriver(tokens, { initialState: stateOf(0) }),
      createTestDriver(flows, { initialState: stateOf(1) }),
    ] as unknown as Driver[];
    return { drivers, prices };
  }

  /** Pipes arrivals [from, to) into both drivers, punctuating every 53 records; returns the outputs of this part. */
  function feed({ drivers: [tokens, flows] }: Drivers, s: Scenario, from: number, to: number, end: boolean): unknown[][] {
    for (let i = from; i < to; i++) {
      const value = s.arrivals[i]!;
      tokens!.pipe(value);
      if ('price_usd' in value) flows!.pipe(value);
      else flows!.pipeBatch(addressLegsOf(value));
      if (i % 53 === 0) for (const d of [tokens!, flows!]) d.punctuate({ caughtUp: false });
    }
    if (end)
      for (const d of [tokens!, flows!]) {
        d.advanceWallClock(START + 40 * DAY - d.wallClockMs);
        d.punctuate({ caughtUp: true });
      }
    return [tokens!.drainOutputs(), flows!.drainOutputs()];
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: same outputs, and state of the old layout carries on`, () => {
      const s = scenario(seed);
      const n = s.arrivals.length;
      const half = Math.floor(n / 2);
      const reference = drivers(0);
      const expected = feed(reference, s, 0, n, true);
      const inline = drivers();
      const before = feed(inline, s, 0, n, false);
      // Both kinds of window occurred (before the end purges them): small ones and grown ones.
      const flows = inline.drivers[1]!;
      const windows = flows.store('windows').entries() as [string, { small?: unknown }][];
      expect(windows.some(([, w]) => w.small !== undefined)).toBe(true);
      expect(windows.some(([, w]) => w.small === undefined)).toBe(true);
      expect(flows.store('distinct').entries().length).toBeGreaterThan(0);
      const atEnd = feed(inline, s, n, n, true);
      expect(before.map((part, i) => [...part, ...atEnd[i]!])).toEqual(expected);

      // Half the stream in the old layout, the rest with small windows, on top of that state.
      const old = drivers(0);
      const first = feed(old, s, 0, half, false);
      const carried = drivers(undefined, old);
      for (const [i, d] of carried.drivers.entries()) d.advanceWallClock(old.drivers[i]!.wallClockMs - d.wallClockMs);
      const second = feed(carried, s, half, n, true);
      expect(first.map((part, i) => [...part, ...second[i]!])).toEqual(expected);
    });
  }
});

/**
 * The `dirty` marks (windows changed since their last update) are volatile: kept in the task's memory, never in LMDB
 * or the changelog, empty when a task opens. Restarting the aggregates at arbitrary points on their durable state
 * alone (every store but `dirty`, the price tables kept as a worker's feed rebuilds them) must give exactly the
 * outputs, in order, of a run without restarts: the windows' `pending` flags bring back the updates that were due.
 */
describe('volatile dirty marks = a run without restarts', () => {
  const windowing = {
    graceMs: GRACE,
    priceStalenessMs: STALENESS,
    retentionMs: 30 * DAY,
    updates: 'on_punctuate' as const,
    // Updates at most once a minute of wall clock: marks outlive punctuations, so a restart finds some pending.
    updateIntervalMs: 60_000,
  };
  const DURABLE = STORES.filter((store) => store !== 'dirty');

  function open(prices: readonly [PriceTable, PriceTable], from?: readonly Driver[]): Driver[] {
    const stateOf = (i: number) =>
      from === undefined ? undefined : Object.fromEntries(DURABLE.map((name) => [name, from[i]!.store(name).entries()]));
    const opened = [
      createTestDriver(createTokenMetricsDailyProcessor({ windowing, prices: prices[0] }), { initialState: stateOf(0) }),
      createTestDriver(createAddressFlowsDailyProcessor({ windowing, prices: prices[1] }), { initialState: stateOf(1) }),
    ] as unknown as Driver[];
    if (from !== undefined) for (const [i, d] of opened.entries()) d.advanceWallClock(from[i]!.wallClockMs - d.wallClockMs);
    return opened;
  }

  function run(s: Scenario, restartEvery: number | null): { outputs: unknown[][]; pendingAtRestart: number } {
    const prices = [new PriceTable(), new PriceTable()] as const;
    let drivers = open(prices);
    const outputs: unknown[][] = [[], []];
    let pendingAtRestart = 0;
    const drain = (): void => {
      for (const [i, d] of drivers.entries()) outputs[i]!.push(...d.drainOutputs());
    };
    for (const [i, value] of s.arrivals.entries()) {
      const [tokens, flows] = drivers as [Driver, Driver];
      tokens.pipe(value);
      if ('price_usd' in value) flows.pipe(value);
      else flows.pipeBatch(addressLegsOf(value));
      if (i % 29 === 0)
        for (const d of drivers) {
          d.advanceWallClock(20_000);
          d.punctuate({ caughtUp: false, drained: false });
        }
      if (restartEvery !== null && i % restartEvery === restartEvery - 1) {
        drain();
        pendingAtRestart += drivers.reduce((n, d) => n + d.store('dirty').entries().length, 0);
        drivers = open(prices, drivers);
      }
    }
    for (const d of drivers) {
      d.advanceWallClock(START + 40 * DAY - d.wallClockMs);
      d.punctuate({ caughtUp: true });
    }
    drain();
    return { outputs, pendingAtRestart };
  }

  for (const seed of [1, 2]) {
    it(`seed ${seed}: restarts every 101 or 389 records give the same outputs, in order`, () => {
      const s = scenario(seed);
      const expected = run(s, null).outputs;
      expect(expected[1]!.length).toBeGreaterThan(100);
      for (const every of [101, 389]) {
        const restarted = run(s, every);
        // Updates were due at some restarts: the marks had to be rebuilt for the outputs to match.
        expect(restarted.pendingAtRestart).toBeGreaterThan(0);
        expect(restarted.outputs).toEqual(expected);
      }
    });
  }
});
