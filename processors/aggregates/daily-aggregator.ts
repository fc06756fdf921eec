import type { OutputRecord, Processor, ProcessorContext, ProcessResult, PunctuateContext } from '../engine/processor.ts';
import { numberCodec, type StateCodec, type StateView, type StoreSpecs } from '../engine/state.ts';
import { StateTxn } from '../engine/stateTxn.ts';
import {
  ALL_WINDOWS,
  KEY_SEPARATOR,
  WINDOW_START_HEX_DIGITS,
  assertLogicalKey,
  decodeWindowKey,
  encodeWindowStart,
  encodeTimeHex,
  encodeWindowKey,
  flat,
  subEntryRange,
  windowRange,
  windowsBetween,
} from '../engine/windowKey.ts';
import { RetractionMismatchError } from './errors.ts';
import {
  CLOCK_KEY,
  INITIAL_CLOCK,
  idleAdvanceTarget,
  partitionClockCodec,
  targetsAt,
  type PartitionClock,
} from './partition-clock.ts';
import { PriceTable, isPriceTick, type AsOfPrice, type PriceReader, type PriceTick } from './prices.ts';
import { DAY_MS } from '../../core/time.ts';
import {
  EMPTY_PARTS,
  SMALL_WINDOW_LIMIT,
  bucketsInTimeOrder,
  factCount,
  storedWindowCodec,
  type SmallParts,
  type StoredWindow,
} from './small-window.ts';
import { utcDate, windowingOf, windowStartOf, type WindowingConfig } from './windowing.ts';

/**
 * The engine shared by the daily aggregates: event-time windows, watermark, close → final, late routing,
 * versions, retractions, retention, the as-of join against the stage's price table. An aggregate supplies a
 * {@link DailyAggregateSpec}: how a record contributes to its window (scalars, distinct-set members, USD buckets)
 * and how a window renders.
 *
 * Stores (all window-keyed ones use `windowStart ‖ key [‖ sub]`, see core/windowKey.ts):
 * - `windows`  `ws|key`            the aggregate (counts, raw sums, running USD, version, final flag) and, while the
 *              window is small, its members and buckets (small-window.ts, ADR 0023). Closing a day does not rewrite
 *              its entries (ADR 0026), and an emission writes nothing: versions are the partition's (ADR 0027);
 * - `distinct` `ws|key|<set><member>` → count: counted multisets, so a retraction removes exactly one
 *              occurrence and a distinct count drops only when the last occurrence goes (windows grown past small);
 * - `buckets`  `ws|key|<time>`      raw sums per event timestamp, from which a final's USD is recomputed exactly
 *              against the price table (so finals do not depend on the order prices and transfers arrived; windows
 *              grown past small);
 * - `dirty`    `ws|key`             windows changed since their last update (`on_punctuate` updates): volatile, kept in
 *              the task's memory only; the windows' `changedAt` rebuilds it when a task opens (ADR 0027);
 * - `late`     `ws|<identity>`      events routed late, so their retraction is routed late too;
 * - `meta`     `clock`             the partition clock (stream time, closed/purged cursors, counters).
 */
export type AggregatorStores<Agg, Bucket> = {
  windows: StoredWindow<Agg, Bucket>;
  buckets: Bucket;
  distinct: number;
  dirty: number;
  late: number;
  meta: PartitionClock;
};

/** Fields the engine manages on every aggregate. */
export interface WindowState {
  /**
   * The version of the last emitted record that was written with the entry (ADR 0027: versions are the partition's,
   * and most emissions write nothing); every emitted record of a (window, key) has a higher version than the one
   * before, and the sink keeps the highest.
   */
  readonly version: number;
  /** The window's final was emitted and written with it (a close alone does not write: ADR 0026). */
  readonly final: boolean;
}

export type LateReason = 'window_closed' | 'retraction_of_late_event' | 'window_purged';

/** A record that could not change its window: on the late topic, counted, never dropped. */
export interface LateEvent<Leg> {
  readonly late_reason: LateReason;
  readonly window_start: number;
  readonly stream_time_ms: number;
  readonly event: Leg;
}

export function isLateEvent<Leg>(value: object): value is LateEvent<Leg> {
  return 'late_reason' in value;
}

/** What a spec needs to render a window. */
export interface EmitContext {
  readonly windowStartMs: number;
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly final: boolean;
  /** The partition's stream time (highest event time seen) when the record is emitted: `emitted_at`, replay-stable. */
  readonly streamTimeMs: number;
  readonly version: number;
  /** Time the price staleness is measured at: last ms of the day for finals, stream time (within the day) for updates. */
  readonly referenceMs: number;
  readonly prices: PriceReader;
}

export type Member = readonly [setIndex: number, member: string];

/** The as-of join for one asset at the aggregate's staleness limit (a closing window's buckets). */
export interface AsOfLookup {
  at(timeMs: number): AsOfPrice | null;
}

/** Orders window keys as their sub-entries (`wk|…`) are ordered. */
function bySubEntryOrder(a: readonly [string, unknown], b: readonly [string, unknown]): number {
  const x = a[0] + KEY_SEPARATOR;
  const y = b[0] + KEY_SEPARATOR;
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface DailyAggregateSpec<Leg extends object, Agg extends WindowState, Bucket, Out> {
  readonly name: string;
  readonly outputTopic: string;
  readonly lateTopic: string;
  /** Distinct-set tags, one character each (e.g. `a` addresses, `t` transactions). */
  readonly sets: readonly string[];
  readonly codecs: { readonly windows: StateCodec<Agg>; readonly buckets: StateCodec<Bucket> };
  /** Aggregation key without the window; must not contain `|`. */
  keyOf(leg: Leg): string;
  timeMsOf(leg: Leg): number;
  /** Unique per record (and per leg of a transfer); must not contain `|`. */
  identityOf(leg: Leg): string;
  isRetraction(leg: Leg): boolean;
  /** Price asset for the as-of join. */
  assetOf(leg: Leg): string;
  /** The same asset, from an aggregation key (closing a window has no record at hand). */
  assetOfKey(key: string): string;
  membersOf(leg: Leg): readonly Member[];
  create(leg: Leg, windowStartMs: number): Agg;
  /**
   * Adds (sign 1) or removes (sign −1) the record's scalar contribution. `price` is the as-of price at the
   * record's time from the table as it is now (running USD for updates); `distinctDelta[i]` is the change of
   * set i's distinct count.
   */
  apply(agg: Agg, leg: Leg, sign: 1 | -1, price: AsOfPrice | null, distinctDelta: readonly number[]): Agg;
  /** The record's change to its timestamp's bucket; undefined when it becomes empty, `bucket` itself when unchanged. */
  applyToBucket(bucket: Bucket | undefined, leg: Leg, sign: 1 | -1): Bucket | undefined;
  /** Recomputes the USD fields exactly from the buckets and the price table (`asOf` applies the staleness limit). */
  settle(agg: Agg, buckets: Iterable<readonly [timeMs: number, bucket: Bucket]>, asOf: AsOfLookup): Agg;
  withState(agg: Agg, version: number, final: boolean): Agg;
  toOutput(agg: Agg, key: string, ctx: EmitContext): Out;
}

type Stores<Agg, Bucket> = AggregatorStores<Agg, Bucket>;

/** A `dirty` key outside every window's range: the marks were rebuilt since the task opened. */
const DIRTY_MARKS_REBUILT = '~rebuilt';

/**
 * One `process`/`processBatch`/`punctuate` invocation: its transaction, the view it reads, and the partition's
 * version counters as the call moves them (folded into the partition clock when it is written).
 */
interface Call<Agg, Bucket, O> {
  readonly txn: StateTxn<AggregatorStores<Agg, Bucket>, O>;
  readonly state: StateView<AggregatorStores<Agg, Bucket>>;
  readonly versions: { last: number; flushedAt: number };
}

/** The stores of a daily aggregate (layout in {@link AggregatorStores}). */
function aggregatorStores<Agg, Bucket>(codecs: {
  readonly windows: StateCodec<Agg>;
  readonly buckets: StateCodec<Bucket>;
}): StoreSpecs<Stores<Agg, Bucket>> {
  const windowKeyed = { segmentPrefixLength: WINDOW_START_HEX_DIGITS } as const;
  return {
    windows: {
      codec: storedWindowCodec(codecs.windows, codecs.buckets),
      ...windowKeyed,
      doc: 'aggregate per (window, key), with its members and buckets while small',
    },
    buckets: { codec: codecs.buckets, ...windowKeyed, doc: 'raw sums per (window, key, event time) for exact USD' },
    distinct: { codec: numberCodec('distinct'), ...windowKeyed, doc: 'counted multisets per (window, key, set)' },
    dirty: {
      codec: numberCodec('dirty'),
      ...windowKeyed,
      volatile: true,
      doc: 'windows changed since their last update (in memory; rebuilt from the windows when a task opens)',
    },
    late: { codec: numberCodec('late'), ...windowKeyed, doc: 'identities of events routed late' },
    meta: { codec: partitionClockCodec('meta'), doc: 'partition clock' },
  };
}

/** The interval throttles a backlog only: a drained task shows what it processed at every punctuation. */
function updatesDue(config: WindowingConfig, clock: PartitionClock, ctx: PunctuateContext): boolean {
  if (config.updateIntervalMs === 0 || ctx.drained) return true;
  return ctx.wallClockMs - (clock.updatesEmittedAtMs ?? -Infinity) >= config.updateIntervalMs;
}

/**
 * A record whose event time is in a later update slot (`updateBoundaryMs`, 1 h by default) than stream time: the open
 * windows' changes so far all happened in stream time's slot (the previous crossing emitted everything before it), so
 * updates emitted now carry exactly that slot's increments at an `emitted_at` inside it. Updates then depend on event
 * time only, never on when commits happened to punctuate (a loaded machine commits less often), and the scorers'
 * hourly series are reproducible.
 */
function entersLaterSlot(streamTimeMs: number, eventTimeMs: number, slotMs: number): boolean {
  // A day-long slot has no boundary inside the day, and the day's own end needs no update: its final follows.
  if (slotMs >= DAY_MS) return false;
  return streamTimeMs >= 0 && Math.floor(eventTimeMs / slotMs) > Math.floor(streamTimeMs / slotMs);
}

/**
 * The engine's steps over one spec and windowing config; {@link createDailyAggregator} wires them into a processor.
 * Every method works inside one call's transaction.
 */
class DailyAggregator<Leg extends object, Agg extends WindowState, Bucket, Out> {
  constructor(
    private readonly spec: DailyAggregateSpec<Leg, Agg, Bucket, Out>,
    private readonly config: WindowingConfig,
    private readonly smallWindowLimit: number,
    private readonly prices: PriceTable,
  ) {}

  begin(state: StateView<Stores<Agg, Bucket>>, ctx: ProcessorContext): Call<Agg, Bucket, Out | LateEvent<Leg>> {
    const txn = new StateTxn<Stores<Agg, Bucket>, Out | LateEvent<Leg>>(state);
    const clock = txn.get('meta', CLOCK_KEY) ?? INITIAL_CLOCK;
    const last = clock.lastVersion ?? firstVersionBase(ctx.wallClockMs);
    const versions = { last, flushedAt: clock.flushedAtVersion ?? last };
    const c = { txn, state, versions };
    if (this.config.updates === 'on_punctuate' && c.txn.get('dirty', DIRTY_MARKS_REBUILT) === undefined)
      this.rebuildDirtyMarks(c);
    return c;
  }

  /**
   * A record: a price tick goes into the price table (a tick earlier in a batch prices the legs after it); a leg
   * changes its window or is routed late; stream time advances.
   */
  process(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, value: Leg | PriceTick): void {
    if (isPriceTick(value)) {
      this.prices.add(value);
      return;
    }
    const before = c.txn.get('meta', CLOCK_KEY) ?? INITIAL_CLOCK;
    const t = this.spec.timeMsOf(value);
    if (this.config.updates === 'on_punctuate' && entersLaterSlot(before.streamTimeMs, t, this.config.updateBoundaryMs)) {
      this.emitDirty(c, before.streamTimeMs);
    }
    let clock = this.spec.isRetraction(value) ? this.retract(c, before, value, t) : this.add(c, before, value, t);
    clock = withVersions(this.advanceTo(c, clock, Math.max(clock.streamTimeMs, t)), c);
    if (clock !== before) c.txn.put('meta', CLOCK_KEY, clock);
  }

  /**
   * Punctuation: idle advance of stream time, then, once `updateIntervalMs` of wall clock passed since the last
   * emitting punctuation, one update per window changed since the last emission.
   */
  punctuate(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, ctx: PunctuateContext): void {
    const before = c.txn.get('meta', CLOCK_KEY) ?? INITIAL_CLOCK;
    let clock = before;
    const target = idleAdvanceTarget(this.config, ctx);
    if (target !== undefined && clock.streamTimeMs >= 0) clock = this.advanceTo(c, clock, target);
    if (this.config.updates === 'on_punctuate' && updatesDue(this.config, clock, ctx)) {
      this.emitDirty(c, clock.streamTimeMs);
      if (this.config.updateIntervalMs > 0) clock = { ...clock, updatesEmittedAtMs: ctx.wallClockMs };
    }
    clock = withVersions(clock, c);
    if (clock !== before) c.txn.put('meta', CLOCK_KEY, clock);
  }

  /**
   * The `dirty` marks live in the task's memory only, so they are empty when a task opens (a restart, a crash, a move).
   * The first call after that marks again every open window that changed since updates were last emitted (ADR 0027;
   * ADR 0025's `pending` flag in older entries): an update that was due is still emitted, and one that was not is
   * not. One scan of the open days' windows per task start.
   */
  private rebuildDirtyMarks(c: Call<Agg, Bucket, Out | LateEvent<Leg>>): void {
    const clock = c.txn.get('meta', CLOCK_KEY) ?? INITIAL_CLOCK;
    const open = { gte: encodeWindowStart(clock.closedBeforeMs), lt: ALL_WINDOWS.lt };
    const { flushedAt } = c.versions;
    for (const [wk, window] of c.txn.range('windows', open)) {
      const due = window.pending === true || (window.changedAt !== undefined && window.changedAt >= flushedAt);
      if (due) c.txn.put('dirty', wk, 1);
    }
    c.txn.put('dirty', DIRTY_MARKS_REBUILT, 1);
  }

  /**
   * The version of the record about to be emitted for `agg`'s key: the partition's next (ADR 0027), and above any
   * version the key's entry holds (entries written before ADR 0027 counted versions per key).
   */
  private nextVersion(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, agg: Agg): number {
    c.versions.last = Math.max(c.versions.last, agg.version) + 1;
    return c.versions.last;
  }

  /** A new record: into its open window, or late when the window has closed. */
  private add(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, clock: PartitionClock, leg: Leg, t: number): PartitionClock {
    const ws = windowStartOf(t);
    const key = this.logicalKey(leg);
    if (ws < clock.closedBeforeMs) {
      if (ws >= clock.purgedBeforeMs) c.txn.put('late', encodeWindowKey(ws, this.spec.identityOf(leg)), 1);
      return this.routeLate(c, clock, 'window_closed', leg, ws, key);
    }
    const wk = encodeWindowKey(ws, key);
    this.changed(c, Math.max(clock.streamTimeMs, t), wk, ws, key, this.applyLeg(c, leg, wk, ws, 1));
    return clock;
  }

  /**
   * A retraction: late when its record was routed late or its window purged; otherwise undone in its window, which
   * gets a new final right away when it had closed.
   */
  private retract(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, clock: PartitionClock, leg: Leg, t: number): PartitionClock {
    const ws = windowStartOf(t);
    const key = this.logicalKey(leg);
    const marker = encodeWindowKey(ws, this.spec.identityOf(leg));
    if (c.txn.get('late', marker) !== undefined) {
      c.txn.delete('late', marker);
      return this.routeLate(c, clock, 'retraction_of_late_event', leg, ws, key);
    }
    if (ws < clock.purgedBeforeMs) return this.routeLate(c, clock, 'window_purged', leg, ws, key);
    const wk = encodeWindowKey(ws, key);
    const window = this.applyLeg(c, leg, wk, ws, -1);
    if (ws >= clock.closedBeforeMs) {
      this.changed(c, Math.max(clock.streamTimeMs, t), wk, ws, key, window);
      return clock;
    }
    const buckets = this.bucketsOf(c, ws, key, window);
    const version = this.nextVersion(c, window.agg);
    const settled = this.emitFinal(c, ws, key, window.agg, buckets, this.asOfLookup(this.spec.assetOfKey(key)), version);
    c.txn.put('windows', wk, withAgg(window, settled));
    return { ...clock, finalRetractions: clock.finalRetractions + 1 };
  }

  private logicalKey(leg: Leg): string {
    const key = this.spec.keyOf(leg);
    assertLogicalKey(key);
    return key;
  }

  private emit(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, streamTimeMs: number, ws: number, key: string, agg: Agg): void {
    const referenceMs = agg.final ? ws + DAY_MS - 1 : Math.min(Math.max(streamTimeMs, ws), ws + DAY_MS - 1);
    const ctx: EmitContext = {
      windowStartMs: ws,
      date: utcDate(ws),
      final: agg.final,
      streamTimeMs,
      version: agg.version,
      referenceMs,
      prices: this.prices,
    };
    c.txn.emit(this.spec.outputTopic, key + KEY_SEPARATOR + ctx.date, this.spec.toOutput(agg, key, ctx));
  }

  private routeLate(
    c: Call<Agg, Bucket, Out | LateEvent<Leg>>,
    clock: PartitionClock,
    reason: LateReason,
    leg: Leg,
    ws: number,
    key: string,
  ): PartitionClock {
    const event: LateEvent<Leg> = { late_reason: reason, window_start: ws, stream_time_ms: clock.streamTimeMs, event: leg };
    c.txn.emit(this.spec.lateTopic, key, event);
    return { ...clock, lateEvents: clock.lateEvents + 1 };
  }

  /**
   * Applies a record's contribution (±1) to its window: the aggregate (version unchanged), the distinct sets and the
   * bucket, inside the window entry while it stays small, else in the `distinct` and `buckets` stores.
   */
  private applyLeg(
    c: Call<Agg, Bucket, Out | LateEvent<Leg>>,
    leg: Leg,
    wk: string,
    ws: number,
    sign: 1 | -1,
  ): StoredWindow<Agg, Bucket> {
    const stored = c.txn.get('windows', wk);
    if (stored === undefined && sign < 0) throw new RetractionMismatchError(this.spec.name, wk, 'a record');
    const agg = stored?.agg ?? this.spec.create(leg, ws);
    const parts: SmallParts<Bucket> | undefined = stored === undefined ? EMPTY_PARTS : stored.small;
    const t = this.spec.timeMsOf(leg);
    let small: SmallParts<Bucket> | undefined;
    let delta: number[];
    if (parts === undefined) {
      delta = this.applyMembers(new StoreMembers(c.txn, wk), leg, wk, sign);
      this.applyBucket(new StoreBuckets(c.txn, wk), leg, t, sign);
    } else {
      const members = new Map(parts.members);
      const buckets = new Map(parts.buckets);
      delta = this.applyMembers(members, leg, wk, sign);
      this.applyBucket(buckets, leg, t, sign);
      small = { members, buckets };
      if (factCount(small) > this.smallWindowLimit) small = spill(c.txn, wk, small);
    }
    const price = this.prices.asOf(this.spec.assetOf(leg), t, this.config.priceStalenessMs);
    const next = this.spec.apply(agg, leg, sign, price, delta);
    return small === undefined ? { agg: next } : { agg: next, small };
  }

  /** Counts the record's distinct-set members in or out; returns each set's change of distinct count. */
  private applyMembers(counts: Slots<string, number>, leg: Leg, wk: string, sign: 1 | -1): number[] {
    const delta: number[] = [];
    for (let i = 0; i < this.spec.sets.length; i++) delta.push(0);
    for (const [setIndex, member] of this.spec.membersOf(leg)) {
      const mk = (this.spec.sets[setIndex] as string) + member;
      const count = counts.get(mk) ?? 0;
      const next = count + sign;
      if (next < 0) throw new RetractionMismatchError(this.spec.name, wk, `member ${member}`);
      if (next === 0) counts.delete(mk);
      else counts.set(mk, next);
      if (count === 0) delta[setIndex] = (delta[setIndex] ?? 0) + 1;
      else if (next === 0) delta[setIndex] = (delta[setIndex] ?? 0) - 1;
    }
    return delta;
  }

  /** The record's change to the raw sums of its event time's bucket. */
  private applyBucket(buckets: Slots<number, Bucket>, leg: Leg, t: number, sign: 1 | -1): void {
    const previous = buckets.get(t);
    const bucket = this.spec.applyToBucket(previous, leg, sign);
    if (bucket === previous) return;
    if (bucket === undefined) buckets.delete(t);
    else buckets.set(t, bucket);
  }

  /** The window's final at `version`: exact USD from its buckets at their as-of prices; emitted, and returned. */
  private emitFinal(
    c: Call<Agg, Bucket, Out | LateEvent<Leg>>,
    ws: number,
    key: string,
    agg: Agg,
    buckets: readonly (readonly [number, Bucket])[],
    asOf: AsOfLookup,
    version: number,
  ): Agg {
    const settled = this.spec.withState(this.spec.settle(agg, buckets, asOf), version, true);
    this.emit(c, ws + DAY_MS - 1, ws, key, settled);
    return settled;
  }

  /** A window's buckets in event-time order, from the window itself while it is small. */
  private bucketsOf(
    c: Call<Agg, Bucket, Out | LateEvent<Leg>>,
    ws: number,
    key: string,
    window: StoredWindow<Agg, Bucket>,
  ): [number, Bucket][] {
    if (window.small !== undefined) return bucketsInTimeOrder(window.small);
    const range = subEntryRange(ws, key);
    const out: [number, Bucket][] = [];
    for (const [bk, bucket] of c.txn.range('buckets', range)) out.push([parseInt(bk.slice(range.gte.length), 16), bucket]);
    return out;
  }

  /**
   * Closes one window: every key gets its final. One ordered scan of the window's aggregates and one of its
   * buckets, merged: bucket keys are `wk|time`, so ordering aggregates by `wk|` lines them up with their buckets.
   * The entries are not rewritten (ADR 0026): the partition clock's `closedBeforeMs` says the day is final, and its
   * `lastVersion` is above every version emitted so far.
   */
  private closeWindow(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, ws: number): void {
    const range = windowRange(ws);
    type Open = [string, StoredWindow<Agg, Bucket>];
    const open: Open[] = [];
    for (const entry of c.txn.range('windows', range)) if (!entry[1].agg.final) open.push([entry[0], entry[1]]);
    for (let i = 1; i < open.length; i++) {
      if (bySubEntryOrder(open[i - 1] as Open, open[i] as Open) > 0) {
        open.sort(bySubEntryOrder);
        break;
      }
    }
    const buckets = c.txn.range('buckets', range)[Symbol.iterator]();
    let next = buckets.next();
    for (const [wk, window] of open) {
      let own: [number, Bucket][];
      if (window.small !== undefined) own = bucketsInTimeOrder(window.small);
      else {
        const prefix = wk + KEY_SEPARATOR;
        own = [];
        while (next.done !== true && next.value[0] < prefix) next = buckets.next();
        while (next.done !== true && next.value[0].startsWith(prefix)) {
          own.push([parseInt(next.value[0].slice(prefix.length), 16), next.value[1]]);
          next = buckets.next();
        }
      }
      const key = wk.slice(WINDOW_START_HEX_DIGITS + 1);
      this.emitFinal(c, ws, key, window.agg, own, this.asOfLookup(this.spec.assetOfKey(key)), this.nextVersion(c, window.agg));
    }
  }

  /** The as-of join at the staleness limit for one asset. */
  private asOfLookup(asset: string): AsOfLookup {
    return new AssetAsOf(this.prices, asset, this.config.priceStalenessMs);
  }

  /** After a change to an open window: an update now, or a dirty mark for the next punctuation. */
  private changed(
    c: Call<Agg, Bucket, Out | LateEvent<Leg>>,
    streamTimeMs: number,
    wk: string,
    ws: number,
    key: string,
    window: StoredWindow<Agg, Bucket>,
  ): void {
    if (this.config.updates === 'every_record') {
      const { agg } = window;
      const next = this.spec.withState(agg, this.nextVersion(c, agg), false);
      c.txn.put('windows', wk, withAgg(window, next));
      this.emit(c, streamTimeMs, ws, key, next);
    } else {
      c.txn.put('windows', wk, changedAt(window, c.versions.last));
      if (c.txn.get('dirty', wk) === undefined) c.txn.put('dirty', wk, 1);
    }
  }

  /**
   * One update per dirty window (`on_punctuate`), then no window is dirty. Nothing is written per window (ADR 0027):
   * each update takes the partition's next version, and `flushedAt` moves past every change made before.
   */
  private emitDirty(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, streamTimeMs: number): void {
    const { txn } = c;
    const dirty = [...txn.range('dirty', ALL_WINDOWS)];
    let emitted = false;
    for (const [wk] of dirty) {
      const window = txn.get('windows', wk);
      if (window === undefined || window.agg.final) continue;
      const { windowStartMs, key } = decodeWindowKey(wk);
      this.emit(c, streamTimeMs, windowStartMs, key, this.spec.withState(window.agg, this.nextVersion(c, window.agg), false));
      emitted = true;
    }
    if (emitted) c.versions.flushedAt = c.versions.last;
    if (dirty.length > 0) txn.deleteRange('dirty', ALL_WINDOWS.gte, ALL_WINDOWS.lt);
  }

  /** Moves stream time forward: closes windows that the watermark passed, purges those past retention. */
  private advanceTo(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, clock: PartitionClock, streamTimeMs: number): PartitionClock {
    if (streamTimeMs <= clock.streamTimeMs) return clock;
    const { closeBefore, purgeBefore } = targetsAt(streamTimeMs, clock, this.config);
    if (closeBefore > clock.closedBeforeMs) this.closeWindowsBetween(c, clock.closedBeforeMs, closeBefore);
    if (purgeBefore > clock.purgedBeforeMs) purgeWindowsBetween(c.txn, clock.purgedBeforeMs, purgeBefore);
    return { ...clock, streamTimeMs, closedBeforeMs: closeBefore, purgedBeforeMs: purgeBefore };
  }

  /** Each window with state between the two cursors: seek its first key, close it, jump past it. */
  private closeWindowsBetween(c: Call<Agg, Bucket, Out | LateEvent<Leg>>, fromMs: number, beforeMs: number): void {
    const between = windowsBetween(fromMs, beforeMs);
    for (let cursor = between.gte; ;) {
      const [first] = c.txn.range('windows', { gte: cursor, lt: between.lt, limit: 1 });
      if (first === undefined) break;
      const ws = decodeWindowKey(first[0]).windowStartMs;
      this.closeWindow(c, ws);
      cursor = windowRange(ws).lt;
    }
    c.txn.deleteRange('dirty', between.gte, between.lt);
  }
}

/** One asset's as-of join (made per closing window: a class, see {@link StoreMembers}). */
class AssetAsOf implements AsOfLookup {
  constructor(
    private readonly prices: PriceTable,
    private readonly asset: string,
    private readonly stalenessMs: number,
  ) {}
  at(timeMs: number): AsOfPrice | null {
    return this.prices.asOf(this.asset, timeMs, this.stalenessMs);
  }
}

/** The map operations the member and bucket counting needs: a Map (a small window's parts) or a store through a txn. */
interface Slots<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): unknown;
}

/**
 * A grown window's members: `distinct` entries `wk|<set><member>`. Classes, not closures: made per leg of a grown
 * window, and a closure per call costs an allocation and, under tsx, a `__name` call each.
 */
class StoreMembers<Agg, Bucket, O> implements Slots<string, number> {
  constructor(
    private readonly txn: StateTxn<Stores<Agg, Bucket>, O>,
    private readonly wk: string,
  ) {}
  private keyOf(mk: string): string {
    return flat(this.wk + KEY_SEPARATOR + mk);
  }
  get(mk: string): number | undefined {
    return this.txn.get('distinct', this.keyOf(mk));
  }
  set(mk: string, count: number): void {
    this.txn.put('distinct', this.keyOf(mk), count);
  }
  delete(mk: string): void {
    this.txn.delete('distinct', this.keyOf(mk));
  }
}

/** A grown window's buckets: `buckets` entries `wk|<time hex>`. */
class StoreBuckets<Agg, Bucket, O> implements Slots<number, Bucket> {
  constructor(
    private readonly txn: StateTxn<Stores<Agg, Bucket>, O>,
    private readonly wk: string,
  ) {}
  private keyOf(t: number): string {
    return flat(this.wk + KEY_SEPARATOR + encodeTimeHex(t));
  }
  get(t: number): Bucket | undefined {
    return this.txn.get('buckets', this.keyOf(t));
  }
  set(t: number, bucket: Bucket): void {
    this.txn.put('buckets', this.keyOf(t), bucket);
  }
  delete(t: number): void {
    this.txn.delete('buckets', this.keyOf(t));
  }
}

/** Moves a window that outgrew small into the `distinct` and `buckets` stores, for good; returns no small parts. */
function spill<Agg, Bucket, O>(txn: StateTxn<Stores<Agg, Bucket>, O>, wk: string, parts: SmallParts<Bucket>): undefined {
  const members = new StoreMembers(txn, wk);
  for (const [mk, count] of parts.members) members.set(mk, count);
  const buckets = new StoreBuckets(txn, wk);
  for (const [t, bucket] of parts.buckets) buckets.set(t, bucket);
  return undefined;
}

/**
 * Where a partition without a version counter (new, reset, or written before ADR 0027) starts counting: its wall
 * clock in µs. A stage reset re-emits every row above the versions the run before it published (it would have had
 * to emit a million records per second to get ahead), so the sinks' ReplacingMergeTree keeps the new rows; a replay
 * from a checkpoint restores the counter instead, and numbers the same. Below 2^53 until the year 2255.
 */
function firstVersionBase(wallClockMs: number): number {
  return Math.max(0, Math.floor(wallClockMs)) * 1000;
}

/** The clock with the call's version counters (the same object when they did not move). */
function withVersions<Agg, Bucket, O>(clock: PartitionClock, c: Call<Agg, Bucket, O>): PartitionClock {
  const { last, flushedAt } = c.versions;
  if ((clock.lastVersion ?? 0) === last && (clock.flushedAtVersion ?? 0) === flushedAt) return clock;
  return { ...clock, lastVersion: last, flushedAtVersion: flushedAt };
}

/** The window as a change writes it: its parts kept, changed at the partition's current version (ADR 0027). */
function changedAt<Agg, Bucket>(window: StoredWindow<Agg, Bucket>, version: number): StoredWindow<Agg, Bucket> {
  return window.small === undefined
    ? { agg: window.agg, changedAt: version }
    : { agg: window.agg, small: window.small, changedAt: version };
}

/** The window with a new aggregate that is emitted and written now: its parts kept, no update due. */
function withAgg<Agg, Bucket>(window: StoredWindow<Agg, Bucket>, agg: Agg): StoredWindow<Agg, Bucket> {
  return window.small === undefined ? { agg } : { agg, small: window.small };
}

/** Drops the window-keyed state of the windows in [fromMs, beforeMs). */
function purgeWindowsBetween<Agg, Bucket, O>(txn: StateTxn<Stores<Agg, Bucket>, O>, fromMs: number, beforeMs: number): void {
  const { gte, lt } = windowsBetween(fromMs, beforeMs);
  for (const store of ['windows', 'buckets', 'distinct', 'dirty', 'late'] as const) txn.deleteRange(store, gte, lt);
}

/** How a daily aggregate lays out its state (same outputs whatever the layout). */
export interface StateLayout {
  /**
   * Most members + buckets a window keeps inside its `windows` entry before they move to their stores (ADR 0023);
   * 0 puts every fact in its store from the start (the layout before). Default {@link SMALL_WINDOW_LIMIT}.
   */
  readonly smallWindowLimit?: number;
}

/**
 * Builds a daily windowed aggregate processor from a spec, joining against `prices` (the stage's table, which the
 * engine fills from `market.prices.raw`; default: a table of the processor's own).
 * Input: the spec's records and price ticks (told apart by `price_usd`; a tick goes into the table). Output: update/final records on
 * `outputTopic` (`is_final` flag + version, one topic), {@link LateEvent}s on `lateTopic`.
 */
export function createDailyAggregator<Leg extends object, Agg extends WindowState, Bucket, Out>(
  spec: DailyAggregateSpec<Leg, Agg, Bucket, Out>,
  windowing: Partial<WindowingConfig> = {},
  layout: StateLayout = {},
  prices: PriceTable = new PriceTable(),
): Processor<Stores<Agg, Bucket>, Leg | PriceTick, Out | LateEvent<Leg>> {
  const limit = layout.smallWindowLimit ?? SMALL_WINDOW_LIMIT;
  const aggregator = new DailyAggregator(spec, windowingOf(windowing), limit, prices);
  return {
    name: spec.name,
    stores: aggregatorStores(spec.codecs),
    outputTopics: [spec.outputTopic, spec.lateTopic],
    process(state, record, ctx): ProcessResult<Stores<Agg, Bucket>, Out | LateEvent<Leg>> {
      const c = aggregator.begin(state, ctx);
      aggregator.process(c, record.value);
      return c.txn.result();
    },
    // One transaction and clock for a block's legs.
    processBatch(state, records, ctx): ProcessResult<Stores<Agg, Bucket>, Out | LateEvent<Leg>> {
      const c = aggregator.begin(state, ctx);
      for (const record of records) aggregator.process(c, record.value);
      return c.txn.result();
    },
    punctuate(state, ctx: PunctuateContext): ProcessResult<Stores<Agg, Bucket>, Out | LateEvent<Leg>> {
      const c = aggregator.begin(state, ctx);
      aggregator.punctuate(c, ctx);
      return c.txn.result();
    },
  };
}

/** Output records of an aggregate, split by kind (tests, sinks). */
export function splitOutputs<Out, Leg>(
  outputs: readonly OutputRecord<Out | LateEvent<Leg>>[],
): { windows: Out[]; late: LateEvent<Leg>[] } {
  const windows: Out[] = [];
  const late: LateEvent<Leg>[] = [];
  for (const { value } of outputs) {
    if (typeof value === 'object' && value !== null && isLateEvent<Leg>(value)) late.push(value);
    else windows.push(value as Out);
  }
  return { windows, late };
}
