import { pairHash } from './counted-pairs.ts';
import { grown } from './grown.ts';

/**
 * Dense ids for pairs of non-negative int32s, in order of first sight: the row of an (address id, token id) in a day
 * table, the bucket of a (row, event second). Insert-only, like the tables it indexes (a day is dropped whole); a
 * failed batch is undone by {@link IntPairIndex.truncate}. Open addressing with linear probing over typed arrays: no
 * object per pair. A slot holds its pair beside its id, so a lookup reads one cache line (random lookups into large
 * tables are what these cost).
 */
export class IntPairIndex {
  /** Slot s at 3s: first, second, id + 1 (0 = empty). */
  private slots: Int32Array;
  /** Id → its pair, so a slot's key is read through its id and the index can be rebuilt. */
  private firsts: Int32Array;
  private seconds: Int32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    const capacity = 2 ** Math.max(4, Math.ceil(Math.log2(initialCapacity)));
    this.slots = new Int32Array(capacity * SLOT);
    // The slots rehash past a load of 0.6, so the pairs fit in 0.6 of them until then.
    const pairs = Math.ceil(capacity * 0.6) + 1;
    this.firsts = new Int32Array(pairs);
    this.seconds = new Int32Array(pairs);
  }

  get size(): number {
    return this.count;
  }

  /** The pair's id, or −1. */
  find(first: number, second: number): number {
    const slot = this.slotOf(first, second);
    return (this.slots[slot + 2] as number) - 1;
  }

  /** The pair's id, the next one when the pair is new. */
  idOf(first: number, second: number): number {
    const slot = this.slotOf(first, second);
    const slots = this.slots;
    if (slots[slot + 2] !== 0) return (slots[slot + 2] as number) - 1;
    const id = this.count++;
    if (id === this.firsts.length) [this.firsts, this.seconds] = [grown(this.firsts), grown(this.seconds)];
    this.firsts[id] = first;
    this.seconds[id] = second;
    slots[slot] = first;
    slots[slot + 1] = second;
    slots[slot + 2] = id + 1;
    if (this.count * 10 > this.capacity * 6) this.rehash(this.capacity * 2);
    return id;
  }

  /** The pair's slot (its index in `slots`), or the empty slot where it would go. */
  private slotOf(first: number, second: number): number {
    const slots = this.slots;
    const mask = this.capacity - 1;
    for (let s = pairHash(first, second) & mask; ; s = (s + 1) & mask) {
      const at = s * SLOT;
      if (slots[at + 2] === 0 || (slots[at] === first && slots[at + 1] === second)) return at;
    }
  }

  private get capacity(): number {
    return this.slots.length / SLOT;
  }

  /** The pair of an id. */
  firstOf(id: number): number {
    return this.firsts[this.checked(id)] as number;
  }
  secondOf(id: number): number {
    return this.seconds[this.checked(id)] as number;
  }

  /** Forgets every id ≥ `size` (a rolled-back batch's new pairs). Rebuilds the slots: rollbacks are rare. */
  truncate(size: number): void {
    if (size < 0 || size > this.count) throw new RangeError(`cannot truncate ${this.count} pairs to ${size}`);
    if (size === this.count) return;
    this.count = size;
    this.rehash(this.capacity);
  }

  private checked(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError(`no pair with id ${id}`);
    return id;
  }

  private rehash(capacity: number): void {
    const slots = new Int32Array(capacity * SLOT);
    const mask = capacity - 1;
    for (let id = 0; id < this.count; id++) {
      const first = this.firsts[id] as number;
      const second = this.seconds[id] as number;
      let s = pairHash(first, second) & mask;
      while (slots[s * SLOT + 2] !== 0) s = (s + 1) & mask;
      slots[s * SLOT] = first;
      slots[s * SLOT + 1] = second;
      slots[s * SLOT + 2] = id + 1;
    }
    this.slots = slots;
  }
}

/** Int32s per slot: first, second, id + 1. */
const SLOT = 3;
