import { NonRetryableError } from '../../../core/errors.ts';
import type { AddressFlowsBucket } from './address-flows-day.ts';
import { LIMBS, LIMB_OPS_BEFORE_NORMALIZE, addLimbsAt, limbsAtToBigInt, normalizeAt } from './uint256-limbs.ts';

/** Checkpoint bytes a leg log cannot append: truncated or trailing bytes, a gap or overlap, an unknown side or sign. */
export class LegLogCorruptError extends NonRetryableError {
  override readonly name = 'LegLogCorruptError';
  constructor(reason: string, details: Record<string, unknown>) {
    super('ORACUL_LEG_LOG_CORRUPT', `leg log bytes: ${reason}`, { details });
  }
}

/** Int32s per entry: row, offset_ms, flags, then the amount's LIMBS limbs (uint32 bits). */
const ROW = 0;
const OFFSET = 1;
const FLAGS = 2;
const AMOUNT = 3;
const STRIDE = AMOUNT + LIMBS;
/** Flag bits: the leg is an inflow (otherwise an outflow); the leg is retracted (sign −1). */
const FLAG_IN = 1;
const FLAG_NEGATIVE = 2;
/** Entries are int32s, so a log holds at most this many (also bounds what corrupt bytes could allocate). */
const MAX_ENTRIES = Math.floor((2 ** 31 - 1) / STRIDE);
const HEADER = 8;

/**
 * The legs of a day in order of application (ADR 0022 amendment, "Buckets as a leg log"): per leg one entry of
 * {@link STRIDE} int32s (row id, event time minus the window start in ms, side and sign, the amount's 8 limbs), appended
 * sequentially to one `Int32Array`. A day has about one (row, event time) per leg, so a table keyed by them would
 * aggregate almost nothing; the per-bucket sums are aggregated from the log when asked ({@link forEachBucket}).
 *
 * Append-only: a rollback truncates to the length at the batch's start ({@link truncate}), no undo copies. A
 * retraction's legs are entries of sign −1, netted when aggregated.
 *
 * Checkpoint bytes (little-endian): `u32 from` (the log's length they start at), `u32 n`, then n entries of
 * {@link STRIDE} int32s each. A snapshot is the bytes from 0, a delta the tail since the previous checkpoint;
 * {@link appendEncoded} applies them in order.
 */
export class LegLog {
  private entries: Int32Array;
  /** The same memory as uint32s, for the limbs. */
  private limbs: Uint32Array;
  private count = 0;

  constructor(initialEntries = 1024) {
    const capacity = Math.max(16, Math.ceil(initialEntries));
    this.entries = new Int32Array(capacity * STRIDE);
    this.limbs = new Uint32Array(this.entries.buffer);
  }

  get length(): number {
    return this.count;
  }

  /** One leg: `amount[amountAt … amountAt + LIMBS − 1]` on the given side of `row`, at `offsetMs`, added or retracted. */
  append(row: number, offsetMs: number, inflow: boolean, sign: 1 | -1, amount: Uint32Array, amountAt: number): void {
    const entry = this.count;
    if ((entry + 1) * STRIDE > this.entries.length) this.grow(entry + 1);
    const at = entry * STRIDE;
    const entries = this.entries;
    entries[at + ROW] = row;
    entries[at + OFFSET] = offsetMs;
    entries[at + FLAGS] = (inflow ? FLAG_IN : 0) | (sign < 0 ? FLAG_NEGATIVE : 0);
    const limbs = this.limbs;
    for (let k = 0; k < LIMBS; k++) limbs[at + AMOUNT + k] = amount[amountAt + k] as number;
    this.count = entry + 1;
  }

  /** Forgets the entries from `length` on (a rolled-back batch's legs). */
  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.count)
      throw new RangeError(`cannot truncate a log of ${this.count} legs to ${length}`);
    if (length === this.count) return;
    this.count = length;
  }

  /** The index of the first entry whose row is not in 0 … rowCount − 1, or −1. */
  firstEntryBeyond(rowCount: number): number {
    const entries = this.entries;
    for (let e = 0; e < this.count; e++) {
      const row = entries[e * STRIDE + ROW] as number;
      if (row < 0 || row >= rowCount) return e;
    }
    return -1;
  }

  /** The entries from `from` on, as checkpoint bytes. */
  encodeFrom(from: number): Uint8Array {
    if (!Number.isInteger(from) || from < 0 || from > this.count)
      throw new RangeError(`cannot encode a log of ${this.count} legs from ${from}`);
    const n = this.count - from;
    const out = new Uint8Array(HEADER + n * STRIDE * 4);
    const view = new DataView(out.buffer);
    view.setUint32(0, from, true);
    view.setUint32(4, n, true);
    const entries = this.entries;
    const end = this.count * STRIDE;
    for (let i = from * STRIDE, pos = HEADER; i < end; i++, pos += 4) view.setInt32(pos, entries[i] as number, true);
    return out;
  }

  /**
   * Appends checkpoint bytes of {@link encodeFrom}, which must start at the current length. All or nothing: the bytes
   * are checked before anything is appended. Row ids are the caller's to check ({@link firstEntryBeyond}).
   * @throws LegLogCorruptError on a wrong length, a gap or overlap, or an entry with unknown flags.
   */
  appendEncoded(bytes: Uint8Array): void {
    const details: Record<string, unknown> = { length: bytes.length, legs: this.count };
    if (bytes.length < HEADER) throw new LegLogCorruptError('shorter than its header', details);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const from = view.getUint32(0, true);
    const n = view.getUint32(4, true);
    Object.assign(details, { from, n });
    if (from !== this.count)
      throw new LegLogCorruptError(
        `starts at leg ${from}, the log holds ${this.count} (${from < this.count ? 'overlap' : 'gap'})`,
        details,
      );
    if (n > MAX_ENTRIES - this.count) throw new LegLogCorruptError(`${n} legs do not fit a log`, details);
    if (bytes.length !== HEADER + n * STRIDE * 4)
      throw new LegLogCorruptError(`${bytes.length} bytes, expected ${HEADER + n * STRIDE * 4}`, details);
    for (let e = 0; e < n; e++) {
      const flags = view.getInt32(HEADER + (e * STRIDE + FLAGS) * 4, true);
      if ((flags & ~(FLAG_IN | FLAG_NEGATIVE)) !== 0)
        throw new LegLogCorruptError(`leg ${from + e} has unknown flags ${flags}`, { ...details, flags });
    }
    if ((this.count + n) * STRIDE > this.entries.length) this.grow(this.count + n);
    const entries = this.entries;
    for (let i = this.count * STRIDE, pos = HEADER; pos < bytes.length; i++, pos += 4) entries[i] = view.getInt32(pos, true);
    this.count += n;
  }

  /** The (row, offset) pairs with any entry, retracted ones included: a sort of the log, not for hot paths. */
  bucketCount(): number {
    return this.grouped().groups;
  }

  /**
   * Per (row, offset) with any entry, its net sums and counts, in the order of each pair's first entry (the order a
   * table keyed by them would have created its rows). Sums are exact: limbs without carry, normalised as a row's are.
   */
  forEachBucket(fn: (bucket: AddressFlowsBucket) => void): void {
    const { order, firstAt } = this.grouped();
    const { entries, limbs, count } = this;
    const sums = new Float64Array(2 * LIMBS);
    for (let first = 0; first < count; first++) {
      let i = firstAt[first] as number;
      if (i < 0) continue;
      const at0 = (order[i] as number) * STRIDE;
      const row = entries[at0 + ROW] as number;
      const offsetMs = entries[at0 + OFFSET] as number;
      sums.fill(0);
      let [inCount, outCount, ops] = [0, 0, 0];
      for (; i < count; i++) {
        const at = (order[i] as number) * STRIDE;
        if (entries[at + ROW] !== row || entries[at + OFFSET] !== offsetMs) break;
        const flags = entries[at + FLAGS] as number;
        const sign = flags & FLAG_NEGATIVE ? -1 : 1;
        const inflow = (flags & FLAG_IN) !== 0;
        addLimbsAt(sums, inflow ? 0 : LIMBS, limbs, at + AMOUNT, sign);
        if (inflow) inCount += sign;
        else outCount += sign;
        if (++ops === LIMB_OPS_BEFORE_NORMALIZE) {
          normalizeAt(sums, 0);
          normalizeAt(sums, LIMBS);
          ops = 0;
        }
      }
      fn({
        row,
        offset_ms: offsetMs,
        in_raw: limbsAtToBigInt(sums, 0),
        out_raw: limbsAtToBigInt(sums, LIMBS),
        in_count: inCount,
        out_count: outCount,
      });
    }
  }

  /**
   * The entries' indexes sorted by (row, offset, index): a counting sort by row (stable, so each row's entries stay in
   * log order), then each row's run by offset. `firstAt[e]` is the position in `order` where the pair whose first
   * entry is e starts (−1 for entries that are not a pair's first); `groups` counts the pairs.
   */
  private grouped(): { order: Int32Array; firstAt: Int32Array; groups: number } {
    const { entries, count } = this;
    let rows = 0;
    for (let e = 0; e < count; e++) rows = Math.max(rows, (entries[e * STRIDE + ROW] as number) + 1);
    const starts = new Int32Array(rows + 1);
    for (let e = 0; e < count; e++) starts[(entries[e * STRIDE + ROW] as number) + 1]!++;
    for (let r = 0; r < rows; r++) starts[r + 1]! += starts[r] as number;
    const order = new Int32Array(count);
    const next = starts.slice(0, rows);
    for (let e = 0; e < count; e++) order[next[entries[e * STRIDE + ROW] as number]!++] = e;
    const byOffset = (a: number, b: number): number =>
      (entries[a * STRIDE + OFFSET] as number) - (entries[b * STRIDE + OFFSET] as number) || a - b;
    for (let r = 0; r < rows; r++) {
      const [from, to] = [starts[r] as number, starts[r + 1] as number];
      if (to - from > 1) order.subarray(from, to).sort(byOffset);
    }
    const firstAt = new Int32Array(count).fill(-1);
    let groups = 0;
    for (let i = 0; i < count; i++) {
      const e = order[i] as number;
      const prev = i === 0 ? -1 : (order[i - 1] as number);
      if (
        prev < 0 ||
        entries[prev * STRIDE + ROW] !== entries[e * STRIDE + ROW] ||
        entries[prev * STRIDE + OFFSET] !== entries[e * STRIDE + OFFSET]
      ) {
        firstAt[e] = i;
        groups++;
      }
    }
    return { order, firstAt, groups };
  }

  /** Doubles the capacity until `entries` fit. */
  private grow(entries: number): void {
    let capacity = this.entries.length / STRIDE;
    while (capacity < entries) capacity *= 2;
    if (entries > MAX_ENTRIES) throw new RangeError(`a leg log holds at most ${MAX_ENTRIES} legs`);
    const grown = new Int32Array(Math.min(capacity, MAX_ENTRIES) * STRIDE);
    grown.set(this.entries.subarray(0, this.count * STRIDE));
    this.entries = grown;
    this.limbs = new Uint32Array(grown.buffer);
  }
}
