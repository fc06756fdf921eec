import { NonRetryableError } from '../../../core/errors.ts';
import { grown } from './grown.ts';

/**
 * Exact distinct counting with retractions (ADR 0022, decision 3): (row id, member id) → occurrences, a pair present
 * iff its count is positive, so a row's distinct count moves exactly when a pair appears or disappears. Open
 * addressing with linear probing over one interleaved `Int32Array` (no object per pair; a probe touches one cache
 * line), power-of-two capacity doubled past a load of 0.6, and backward-shift deletion: no tombstones, so probe runs
 * never grow with retractions.
 *
 * The keys changed since the last {@link CountedPairs.takeChanges} are kept for checkpoint deltas in a list, each key
 * once with its latest count. A present key's slot carries its list position (moved with the slot by backward shift
 * and growth), so noting a change costs no second lookup; a key removed and later added again gets a new slot, so
 * the keys removed since the last take keep their positions in a small side set, probed only on insertion.
 *
 * Batches (all or nothing, like RowTable's): while one is open, every change logs (row, member, previous count) as
 * three int32s, and a rollback replays the log newest first through setCount, then drops the change-list entries the
 * batch appended: {@link CountedPairs.takeChanges} lists exactly what committed work changed. A savepoint marks a
 * point in the log to return to without ending the batch. Outside a batch nothing is logged.
 */

/** A retraction of a pair that is not there: a duplicate or foreign retraction. The table is left unchanged. */
export class PairUnderflowError extends NonRetryableError {
  override readonly name = 'PairUnderflowError';
  constructor(row: number, member: number) {
    super('ORACUL_PAIR_UNDERFLOW', `remove of pair (${row}, ${member}), which is absent`, { details: { row, member } });
  }
}

/** Bytes that are not a pair snapshot or delta of this layout (truncated, wrong version, invalid entries). */
export class PairsCorruptError extends NonRetryableError {
  override readonly name = 'PairsCorruptError';
  constructor(reason: string, details: Record<string, unknown>) {
    super('ORACUL_PAIRS_CORRUPT', `corrupt counted pairs: ${reason}`, { details });
  }
}

/** Keys with their counts at the time of the take (0: removed), each key once. */
export interface PairChanges {
  readonly rows: Int32Array;
  readonly members: Int32Array;
  readonly counts: Int32Array;
}

const MAX_LOAD = 0.6;
const MIN_CAPACITY = 16;
const MAX_COUNT = 0x7fffffff;
/** Layout tags (the first u32, little-endian) of the two encodings. */
const SNAPSHOT_TAG = 1;
const CHANGES_TAG = 2;
const HEADER_BYTES = 8;
const ENTRY_BYTES = 12;

/** Int32s per slot, at these offsets: the key, its count (0: an empty slot), its position in the change list. */
const STRIDE = 4;
const ROW = 0;
const MEMBER = 1;
const COUNT = 2;
/** Valid iff below the list's length and the list holds this key there: a take invalidates every one at once. */
const LISTED = 3;
const NOT_LISTED = -1;

export class CountedPairs {
  /** STRIDE int32s per slot. */
  private slots: Int32Array;
  private mask: number;
  private pairs = 0;
  /** Pairs held before the next insertion doubles the capacity. */
  private maxPairs: number;
  private readonly changes = new ChangeList();
  /** Keys removed since the last take → their list positions (possibly stale after a rollback: checked on use). */
  private readonly removed = new KeyPositions();
  private batchOpen = false;
  /** (row, member, count before the change) per change in the open batch, oldest first. */
  private undo = new Int32Array(3 * 64);
  private undoLength = 0;
  /** The change list's length when the batch began, and the undo log's and the list's at its latest savepoint. */
  private batchChanges = 0;
  private savepointUndo = 0;
  private savepointChanges = 0;

  constructor(initialCapacity = 1024) {
    const capacity = powerOfTwoAtLeast(initialCapacity);
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
    this.maxPairs = Math.floor(capacity * MAX_LOAD);
  }

  /** Pairs present (count > 0). */
  get size(): number {
    return this.pairs;
  }

  /** Slots (a power of two). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** One more occurrence of the pair; true when it is new (0 → 1). */
  add(row: number, member: number): boolean {
    checkIds(row, member);
    const hash = pairHash(row, member);
    const slot = this.probe(row, member, hash);
    if (slot >= 0) {
      const at = slot * STRIDE;
      const count = this.slots[at + COUNT] as number;
      if (count === MAX_COUNT) throw new RangeError(`pair (${row}, ${member}) already occurs ${MAX_COUNT} times`);
      if (this.batchOpen) this.log(row, member, count);
      this.slots[at + COUNT] = count + 1;
      this.note(at, row, member, count + 1);
      return false;
    }
    if (this.batchOpen) this.log(row, member, 0);
    this.insert(row, member, 1, hash, ~slot);
    return true;
  }

  /**
   * One occurrence fewer; true when the pair disappears (1 → 0, its slot freed).
   * @throws PairUnderflowError when the pair is absent; nothing changes then.
   */
  remove(row: number, member: number): boolean {
    const hash = pairHash(row, member);
    const slot = this.probe(row, member, hash);
    if (slot < 0) throw new PairUnderflowError(row, member);
    const count = (this.slots[slot * STRIDE + COUNT] as number) - 1;
    if (this.batchOpen) this.log(row, member, count + 1);
    if (count === 0) {
      this.delete(slot, row, member, hash);
      return true;
    }
    this.slots[slot * STRIDE + COUNT] = count;
    this.note(slot * STRIDE, row, member, count);
    return false;
  }

  /** Occurrences of the pair (0 when absent). */
  count(row: number, member: number): number {
    const slot = this.probe(row, member, pairHash(row, member));
    return slot >= 0 ? (this.slots[slot * STRIDE + COUNT] as number) : 0;
  }

  /** Sets the pair's count outright (0 deletes it): restores and undo. A count equal to the current one is no change. */
  setCount(row: number, member: number, count: number): void {
    checkIds(row, member);
    checkCount(count);
    const hash = pairHash(row, member);
    const slot = this.probe(row, member, hash);
    if (this.batchOpen) this.log(row, member, slot < 0 ? 0 : (this.slots[slot * STRIDE + COUNT] as number));
    if (slot < 0) {
      if (count > 0) this.insert(row, member, count, hash, ~slot);
    } else if (count === 0) {
      this.delete(slot, row, member, hash);
    } else if (this.slots[slot * STRIDE + COUNT] !== count) {
      this.slots[slot * STRIDE + COUNT] = count;
      this.note(slot * STRIDE, row, member, count);
    }
  }

  /** Every pair present, in slot order. `fn` must not change the table. */
  forEach(fn: (row: number, member: number, count: number) => void): void {
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += STRIDE) {
      const count = slots[at + COUNT] as number;
      if (count !== 0) fn(slots[at + ROW] as number, slots[at + MEMBER] as number, count);
    }
  }

  /** The keys whose count changed since the last take, each once with its current count (0: removed); starts over. */
  takeChanges(): PairChanges {
    this.requireNoBatch('takeChanges');
    this.removed.clear();
    return this.changes.take();
  }

  /** Starts a batch: the changes until {@link commitBatch} or {@link rollbackBatch} are kept or undone together. */
  beginBatch(): void {
    if (this.batchOpen) throw new Error('CountedPairs: a batch is already open (batches do not nest)');
    this.batchOpen = true;
    this.undoLength = 0;
    this.batchChanges = this.savepointChanges = this.changes.size;
    this.savepointUndo = 0;
  }

  commitBatch(): void {
    this.requireBatch('commitBatch');
    this.batchOpen = false;
    this.undoLength = 0;
  }

  /** Every count back to what it was when the batch began; the change list as it was then. */
  rollbackBatch(): void {
    this.requireBatch('rollbackBatch');
    this.undoTo(0, this.batchChanges);
    this.batchOpen = false;
  }

  /** Inside a batch: marks the point {@link rollbackToSavepoint} returns to, replacing the previous savepoint. */
  savepoint(): void {
    this.requireBatch('savepoint');
    this.savepointUndo = this.undoLength;
    this.savepointChanges = this.changes.size;
  }

  /** Undoes the changes since the latest savepoint (the batch's start when there is none); the batch stays open. */
  rollbackToSavepoint(): void {
    this.requireBatch('rollbackToSavepoint');
    this.undoTo(this.savepointUndo, this.savepointChanges);
    this.batchOpen = true;
  }

  /**
   * Sets every count of a delta (restore), after checking all of it: a bad delta changes nothing. The counts it
   * changes are tracked like any other change; a restore drops them with a take.
   */
  applyChanges(changes: PairChanges): void {
    const { rows, members, counts } = changes;
    checkChangeLengths(changes);
    for (let i = 0; i < rows.length; i++) {
      checkIds(rows[i] as number, members[i] as number);
      checkCount(counts[i] as number);
    }
    for (let i = 0; i < rows.length; i++) this.setCount(rows[i] as number, members[i] as number, counts[i] as number);
  }

  /** A snapshot: u32 tag 1, u32 size, then size × (row, member, count) as int32, all little-endian, in slot order. */
  encode(): Uint8Array {
    const bytes = new Uint8Array(HEADER_BYTES + this.pairs * ENTRY_BYTES);
    const view = writeHeader(bytes, SNAPSHOT_TAG, this.pairs);
    let offset = HEADER_BYTES;
    this.forEach((row, member, count) => {
      writeEntry(view, offset, row, member, count);
      offset += ENTRY_BYTES;
    });
    return bytes;
  }

  /**
   * The table of a snapshot, with no changes pending.
   * @throws PairsCorruptError on a wrong length or tag, a negative id, a count ≤ 0 or a pair listed twice.
   */
  static decode(bytes: Uint8Array): CountedPairs {
    const { view, entries } = readHeader(bytes, SNAPSHOT_TAG);
    const table = new CountedPairs(Math.ceil(entries / MAX_LOAD) + 1);
    for (let i = 0, offset = HEADER_BYTES; i < entries; i++, offset += ENTRY_BYTES) {
      const row = view.getInt32(offset, true);
      const member = view.getInt32(offset + 4, true);
      const count = view.getInt32(offset + 8, true);
      if (row < 0 || member < 0 || count <= 0) throw new PairsCorruptError('invalid entry', { entry: i, row, member, count });
      const hash = pairHash(row, member);
      const slot = table.probe(row, member, hash);
      if (slot >= 0) throw new PairsCorruptError('pair listed twice', { entry: i, row, member });
      table.place(row, member, count, hash, ~slot);
    }
    return table;
  }

  /** A delta: u32 tag 2, u32 n, then n × (row, member, count) as int32, all little-endian. */
  static encodeChanges(changes: PairChanges): Uint8Array {
    const { rows, members, counts } = changes;
    checkChangeLengths(changes);
    const bytes = new Uint8Array(HEADER_BYTES + rows.length * ENTRY_BYTES);
    const view = writeHeader(bytes, CHANGES_TAG, rows.length);
    for (let i = 0; i < rows.length; i++) {
      writeEntry(view, HEADER_BYTES + i * ENTRY_BYTES, rows[i] as number, members[i] as number, counts[i] as number);
    }
    return bytes;
  }

  /**
   * A delta's changes. Keys are not checked for repeats (a table's takes never repeat one).
   * @throws PairsCorruptError on a wrong length or tag, a negative id or a negative count.
   */
  static decodeChanges(bytes: Uint8Array): PairChanges {
    const { view, entries } = readHeader(bytes, CHANGES_TAG);
    const rows = new Int32Array(entries);
    const members = new Int32Array(entries);
    const counts = new Int32Array(entries);
    for (let i = 0, offset = HEADER_BYTES; i < entries; i++, offset += ENTRY_BYTES) {
      const row = (rows[i] = view.getInt32(offset, true));
      const member = (members[i] = view.getInt32(offset + 4, true));
      const count = (counts[i] = view.getInt32(offset + 8, true));
      if (row < 0 || member < 0 || count < 0) throw new PairsCorruptError('invalid change', { entry: i, row, member, count });
    }
    return { rows, members, counts };
  }

  /**
   * Replays the undo log newest first down to entry `from` (setCount, unlogged: the batch is closed meanwhile; the
   * caller reopens it), then drops the change-list entries from `changes` on: keys first listed after that point are
   * back at the counts they had when last taken. Keys listed before keep their entries, which the replay reset.
   */
  private undoTo(from: number, changes: number): void {
    this.batchOpen = false;
    const undo = this.undo;
    for (let at = 3 * (this.undoLength - 1); at >= 3 * from; at -= 3)
      this.setCount(undo[at] as number, undo[at + 1] as number, undo[at + 2] as number);
    this.undoLength = from;
    this.changes.truncate(changes);
  }

  /** Appends one undo entry. */
  private log(row: number, member: number, previous: number): void {
    const at = 3 * this.undoLength++;
    if (at === this.undo.length) this.undo = grown(this.undo);
    this.undo[at] = row;
    this.undo[at + 1] = member;
    this.undo[at + 2] = previous;
  }

  private requireBatch(what: string): void {
    if (!this.batchOpen) throw new Error(`CountedPairs.${what}: no batch is open`);
  }

  private requireNoBatch(what: string): void {
    if (this.batchOpen) throw new Error(`CountedPairs.${what}: not allowed while a batch is open`);
  }

  /** The pair's slot, or ~(the empty slot that ends its probe run). */
  private probe(row: number, member: number, hash: number): number {
    const { slots, mask } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slot * STRIDE;
      if (slots[at + COUNT] === 0) return ~slot;
      if (slots[at + ROW] === row && slots[at + MEMBER] === member) return slot;
    }
  }

  /** Notes the new count of the present pair at slot offset `at`, listing the key unless it is listed; its position. */
  private note(at: number, row: number, member: number, count: number): number {
    const position = this.slots[at + LISTED] as number;
    if (this.changes.holds(position, row, member)) {
      this.changes.setCount(position, count);
      return position;
    }
    return (this.slots[at + LISTED] = this.changes.append(row, member, count));
  }

  /** A new pair into `empty` (from probe), noted as changed: at the position it had if removed since the take. */
  private insert(row: number, member: number, count: number, hash: number, empty: number): void {
    const at = this.place(row, member, count, hash, empty);
    const position = this.removed.size === 0 ? NOT_LISTED : this.removed.get(row, member, hash);
    // A rollback may have dropped the entry the removed key was listed at (or a later key reused the position).
    if (position === NOT_LISTED || !this.changes.holds(position, row, member))
      this.slots[at + LISTED] = this.changes.append(row, member, count);
    else {
      this.changes.setCount(position, count);
      this.slots[at + LISTED] = position;
    }
  }

  /** Removes a present pair: noted with count 0, remembered among the removed keys, its slot freed. */
  private delete(slot: number, row: number, member: number, hash: number): void {
    const position = this.note(slot * STRIDE, row, member, 0);
    this.removed.put(row, member, hash, position);
    this.freeSlot(slot);
  }

  /** Puts a new pair into `empty`, first doubling the capacity when the load would pass 0.6; its slot offset. */
  private place(row: number, member: number, count: number, hash: number, empty: number): number {
    let slot = empty;
    if (this.pairs >= this.maxPairs) {
      this.grow();
      slot = ~this.probe(row, member, hash);
    }
    const at = slot * STRIDE;
    this.slots[at + ROW] = row;
    this.slots[at + MEMBER] = member;
    this.slots[at + COUNT] = count;
    this.slots[at + LISTED] = NOT_LISTED;
    this.pairs++;
    return at;
  }

  /**
   * Frees a slot by backward shift: each later entry of the cluster whose probe path (home … its slot, cyclically)
   * crosses the hole moves into it, and the hole moves on; the cluster's end is left empty. Lookups stay exact.
   */
  private freeSlot(freed: number): void {
    const { slots, mask } = this;
    let hole = freed;
    for (let slot = (hole + 1) & mask; slots[slot * STRIDE + COUNT] !== 0; slot = (slot + 1) & mask) {
      const at = slot * STRIDE;
      const home = pairHash(slots[at + ROW] as number, slots[at + MEMBER] as number) & mask;
      if (((slot - home) & mask) < ((slot - hole) & mask)) continue;
      slots.copyWithin(hole * STRIDE, at, at + STRIDE);
      hole = slot;
    }
    slots[hole * STRIDE + COUNT] = 0;
    this.pairs--;
  }

  /** Doubles the capacity; slots move whole, list positions included. */
  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
    this.maxPairs = Math.floor(capacity * MAX_LOAD);
    for (let from = 0; from < old.length; from += STRIDE) {
      if (old[from + COUNT] === 0) continue;
      const row = old[from + ROW] as number;
      const member = old[from + MEMBER] as number;
      const slot = ~this.probe(row, member, pairHash(row, member));
      this.slots.set(old.subarray(from, from + STRIDE), slot * STRIDE);
    }
  }
}

/** The changed keys since the last take, in first-change order, with their latest counts. */
class ChangeList {
  private rows = new Int32Array(MIN_CAPACITY);
  private members = new Int32Array(MIN_CAPACITY);
  private counts = new Int32Array(MIN_CAPACITY);
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** Drops the entries from `length` on (a rollback's); their positions go stale, which {@link holds} detects. */
  truncate(length: number): void {
    this.length = length;
  }

  /** Whether the key is listed at `position` (stale or NOT_LISTED positions are not). */
  holds(position: number, row: number, member: number): boolean {
    return position >= 0 && position < this.length && this.rows[position] === row && this.members[position] === member;
  }

  setCount(position: number, count: number): void {
    this.counts[position] = count;
  }

  /** Lists a key; its position. */
  append(row: number, member: number, count: number): number {
    const position = this.length++;
    if (position === this.rows.length) {
      this.rows = grown(this.rows);
      this.members = grown(this.members);
      this.counts = grown(this.counts);
    }
    this.rows[position] = row;
    this.members[position] = member;
    this.counts[position] = count;
    return position;
  }

  /** The listed keys and counts; empties the list (and so invalidates every position handed out). */
  take(): PairChanges {
    const n = this.length;
    this.length = 0;
    return { rows: this.rows.slice(0, n), members: this.members.slice(0, n), counts: this.counts.slice(0, n) };
  }
}

/** Int32s per slot of KeyPositions: generation stamp, row, member, position. */
const SET_STRIDE = 4;

/**
 * A small open-addressing map (row, member) → list position for the keys removed since the last take, emptied in O(1)
 * by bumping a generation stamp (a slot is occupied iff its stamp is the current generation).
 */
class KeyPositions {
  size = 0;
  private set = new Int32Array(MIN_CAPACITY * SET_STRIDE);
  private mask = MIN_CAPACITY - 1;
  private generation = 1;

  /** The key's position, or NOT_LISTED. `hash` is pairHash(row, member). */
  get(row: number, member: number, hash: number): number {
    const at = this.find(row, member, hash);
    return this.set[at] === this.generation ? (this.set[at + 3] as number) : NOT_LISTED;
  }

  put(row: number, member: number, hash: number, position: number): void {
    const { set, generation } = this;
    const at = this.find(row, member, hash);
    if (set[at] !== generation) {
      set[at] = generation;
      set[at + 1] = row;
      set[at + 2] = member;
      this.size++;
    }
    set[at + 3] = position;
    if (this.size > (this.mask + 1) * MAX_LOAD) this.grow();
  }

  /** Forgets every key; the set shrinks back when it is far larger than the last generation needed. */
  clear(): void {
    const fitting = powerOfTwoAtLeast((2 * this.size) / MAX_LOAD);
    this.size = 0;
    if (this.mask + 1 > 4 * fitting || this.generation === MAX_COUNT) this.allocate(fitting);
    else this.generation++;
  }

  /** The key's slot offset, or the offset of the free slot ending its probe run. */
  private find(row: number, member: number, hash: number): number {
    const { set, generation } = this;
    const wrap = set.length - 1;
    let at = (hash & this.mask) * SET_STRIDE;
    while (set[at] === generation && (set[at + 1] !== row || set[at + 2] !== member)) at = (at + SET_STRIDE) & wrap;
    return at;
  }

  /** `capacity` empty slots, generation 1. */
  private allocate(capacity: number): void {
    this.set = new Int32Array(capacity * SET_STRIDE);
    this.mask = capacity - 1;
    this.generation = 1;
  }

  private grow(): void {
    const { set: old, generation } = this;
    this.allocate((this.mask + 1) * 2);
    for (let from = 0; from < old.length; from += SET_STRIDE) {
      if (old[from] !== generation) continue;
      const row = old[from + 1] as number;
      const member = old[from + 2] as number;
      const at = this.find(row, member, pairHash(row, member));
      this.set.set(old.subarray(from, from + SET_STRIDE), at);
      this.set[at] = this.generation;
    }
  }
}

/**
 * murmur3's 32-bit finaliser over both ids: neighbouring ids land far apart, so probe runs stay short. A pair's home
 * slot is its low bits; exported for hash-range chunking and for tests that build clusters.
 */
export function pairHash(row: number, member: number): number {
  let h = Math.imul(row, 0x9e3779b1) ^ member;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function powerOfTwoAtLeast(n: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < n) capacity *= 2;
  return capacity;
}

/** Ids are stored in `Int32Array`s: anything but a non-negative int32 would be silently truncated. */
function checkIds(row: number, member: number): void {
  if ((row | 0) !== row || (member | 0) !== member || (row | member) < 0) {
    throw new RangeError(`pair ids must be non-negative int32s, got (${row}, ${member})`);
  }
}

function checkCount(count: number): void {
  if ((count | 0) !== count || count < 0) throw new RangeError(`a pair count must be a non-negative int32, got ${count}`);
}

function checkChangeLengths({ rows, members, counts }: PairChanges): void {
  if (members.length !== rows.length || counts.length !== rows.length) {
    throw new RangeError(`changes of ${rows.length} rows, ${members.length} members and ${counts.length} counts`);
  }
}

function writeHeader(bytes: Uint8Array, tag: number, entries: number): DataView {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(0, tag, true);
  view.setUint32(4, entries, true);
  return view;
}

function writeEntry(view: DataView, offset: number, row: number, member: number, count: number): void {
  view.setInt32(offset, row, true);
  view.setInt32(offset + 4, member, true);
  view.setInt32(offset + 8, count, true);
}

function readHeader(bytes: Uint8Array, tag: number): { view: DataView; entries: number } {
  if (bytes.byteLength < HEADER_BYTES) throw new PairsCorruptError('shorter than its header', { bytes: bytes.byteLength });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, true);
  if (found !== tag) throw new PairsCorruptError(`tag ${found}, expected ${tag}`, { tag: found });
  const entries = view.getUint32(4, true);
  if (bytes.byteLength !== HEADER_BYTES + entries * ENTRY_BYTES) {
    throw new PairsCorruptError(`${bytes.byteLength} bytes for ${entries} entries`, { bytes: bytes.byteLength, entries });
  }
  return { view, entries };
}
