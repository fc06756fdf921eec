import { NonRetryableError } from '../../../core/errors.ts';
import { grown } from './grown.ts';

/** A key that is not `0x` + 2·W lowercase hex digits: the record carrying it is malformed. */
export class InvalidHexKeyError extends NonRetryableError {
  override readonly name = 'InvalidHexKeyError';
  constructor(key: string, byteWidth: number) {
    const shown = key.slice(0, 80);
    const expected = `0x + ${2 * byteWidth} lowercase hex digits`;
    super('ORACUL_INVALID_HEX_KEY', `invalid hex key ${JSON.stringify(shown)}: expected ${expected}`, {
      details: { key: shown, byteWidth },
    });
  }
}

/** A checkpoint delta of an interner that cannot be applied: wrong width, a gap or overlap of ids, wrong length. */
export class InternerCorruptError extends NonRetryableError {
  override readonly name = 'InternerCorruptError';
  constructor(reason: string, details: Record<string, unknown>) {
    super('ORACUL_INTERNER_CORRUPT', `interner delta: ${reason}`, { details });
  }
}

/** `encodeFrom` header: u32 tag, u32 byteWidth, u32 firstId, u32 count (little-endian), then count·W key bytes. */
const DELTA_TAG = 1;
const HEADER_BYTES = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Char code → its value as a lowercase hex digit, −1 for anything else (uppercase included: keys are lowercase by
 * contract). A 64 KB lookup beats comparisons: a key's digits are a random mix of 0–9 and a–f, which branches mispredict.
 */
const HEX_DIGIT = new Int8Array(65536).fill(-1);
for (let c = 48; c <= 57; c++) HEX_DIGIT[c] = c - 48;
for (let c = 97; c <= 102; c++) HEX_DIGIT[c] = c - 87;

/**
 * Dense ids (0, 1, 2, … in order of first sight) for fixed-width lowercase hex keys: addresses (W = 20), transaction
 * hashes (W = 32). No JS string is kept: a key lives as ⌈W/4⌉ 32-bit words (bytes little-endian within a word) at
 * id·⌈W/4⌉ in one pool, and the index is open addressing with linear probing over an `Int32Array` of ids, so a million
 * keys are a few typed arrays, not a million heap objects. Words, not bytes: a key is parsed, hashed and compared a
 * word at a time. Append-only but for {@link HexInterner.truncate}, which undoes a failed batch's new keys.
 *
 * A slot holds its key's hash next to its id, so a probe rejects a foreign slot without reading the pool, and a hit
 * costs the slot's cache line and the key's (the lookup of a known key among millions is bound by dependent cache
 * misses, not by arithmetic). Memory per key (W = 20): 20 pool bytes and 8 bytes per slot at load 0.3–0.6.
 */
export class HexInterner {
  /** Key words: id → pool[id·S … id·S + S − 1], S = ⌈W/4⌉. */
  private pool: Int32Array;
  /** Index slot i → [2i] id + 1 (0 = empty), [2i + 1] the key's hash; a power-of-two number of slots. */
  private slots: Int32Array;
  private count = 0;
  /** Keys the pool has room for. */
  private capacity: number;
  /** Words per key. */
  private readonly stride: number;
  /** The key being looked up, parsed: no allocation per call. */
  private readonly scratch: Int32Array;
  /** {@link hexOf}'s bytes before they become text. */
  private readonly text: Buffer;

  constructor(
    private readonly width: number,
    initialCapacity = 1024,
  ) {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`byte width must be a positive integer, got ${width}`);
    const capacity = 2 ** Math.max(4, Math.ceil(Math.log2(Math.max(1, initialCapacity))));
    this.stride = Math.ceil(width / 4);
    this.capacity = capacity;
    this.pool = new Int32Array(capacity * this.stride);
    this.slots = new Int32Array(capacity * 2 * 2);
    this.scratch = new Int32Array(this.stride);
    this.text = Buffer.alloc(width);
  }

  get size(): number {
    return this.count;
  }

  get byteWidth(): number {
    return this.width;
  }

  /**
   * The key's id, a new one (= the previous size) when it was not seen yet.
   * @throws InvalidHexKeyError unless the key is `0x` + 2·W lowercase hex digits.
   */
  intern(hex: string): number {
    const hash = this.parse(hex);
    const found = this.probe(hash);
    return found >= 0 ? found : this.append(hash, ~found);
  }

  /**
   * The key's id, or −1. A malformed key throws rather than returning −1: a mixed-case address would otherwise
   * silently miss its id.
   */
  find(hex: string): number {
    const found = this.probe(this.parse(hex));
    return found >= 0 ? found : -1;
  }

  /** The key of an id, lowercase as interned. Allocates its string: for output, not for hot paths. */
  hexOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError(`no key with id ${id} (size ${this.count})`);
    const text = this.text;
    for (let i = 0, base = id * this.stride; i < this.width; i++)
      text[i] = (this.pool[base + (i >> 2)] as number) >>> ((i & 3) << 3);
    return '0x' + text.toString('hex');
  }

  /**
   * Forgets every id ≥ `size`, as if the keys interned since the interner had `size` keys never were (a rolled-back
   * batch). The ids go newest first, each by emptying its slot: no tombstone, no shifting, no rebuild. That is exact
   * because a key's probe run only crosses slots of older keys (keys enter in id order, also when the index is rebuilt,
   * and a slot is only ever emptied by removing the newest key), so the newest key's slot lies on no other key's run.
   * A removal costs about what its intern did.
   */
  truncate(size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.count)
      throw new RangeError(`cannot truncate ${this.count} keys to ${size}`);
    for (let id = this.count - 1; id >= size; id--) this.unlinkNewest(id);
    this.count = size;
  }

  /**
   * The keys `firstId` … size − 1 as a checkpoint delta (little-endian u32 tag 1, byteWidth, firstId, count, then the
   * raw key bytes in id order). `encodeFrom(0)` is the snapshot.
   */
  encodeFrom(firstId: number): Uint8Array {
    if (!Number.isInteger(firstId) || firstId < 0 || firstId > this.count) {
      throw new RangeError(`cannot encode from id ${firstId} (size ${this.count})`);
    }
    const w = this.width;
    const count = this.count - firstId;
    const out = new Uint8Array(HEADER_BYTES + count * w);
    const view = new DataView(out.buffer);
    view.setUint32(0, DELTA_TAG, true);
    view.setUint32(4, w, true);
    view.setUint32(8, firstId, true);
    view.setUint32(12, count, true);
    if (LITTLE_ENDIAN && w % 4 === 0) {
      out.set(new Uint8Array(this.pool.buffer, firstId * w, count * w), HEADER_BYTES);
      return out;
    }
    for (let id = firstId, pos = HEADER_BYTES; id < this.count; id++) {
      for (let i = 0, base = id * this.stride; i < w; i++) out[pos++] = (this.pool[base + (i >> 2)] as number) >>> ((i & 3) << 3);
    }
    return out;
  }

  /**
   * Appends a delta of {@link encodeFrom}; it must start exactly at the current size. All or nothing.
   * @throws InternerCorruptError on another width, a gap or overlap of ids, a wrong length, or a key already present.
   */
  appendEncoded(bytes: Uint8Array): void {
    const count = this.checkDelta(bytes);
    const before = this.count;
    for (let i = 0; i < count; i++) {
      const hash = this.load(bytes, HEADER_BYTES + i * this.width);
      const found = this.probe(hash);
      if (found >= 0) {
        this.truncate(before);
        throw new InternerCorruptError(`key ${before + i} repeats id ${found}`, { id: before + i, duplicateOf: found });
      }
      this.append(hash, ~found);
    }
  }

  /** The delta's key count, once its header and length check out. */
  private checkDelta(bytes: Uint8Array): number {
    if (bytes.length < HEADER_BYTES)
      throw new InternerCorruptError(`${bytes.length} bytes, shorter than its header`, { length: bytes.length });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const [tag, width, firstId, count] = [0, 4, 8, 12].map((offset) => view.getUint32(offset, true)) as [
      number,
      number,
      number,
      number,
    ];
    const details = { tag, width, firstId, count, length: bytes.length, byteWidth: this.width, size: this.count };
    if (tag !== DELTA_TAG) throw new InternerCorruptError(`unknown tag ${tag}`, details);
    if (width !== this.width) throw new InternerCorruptError(`keys of ${width} bytes, the interner's are ${this.width}`, details);
    if (firstId !== this.count) {
      const what = firstId > this.count ? 'a gap' : 'an overlap';
      throw new InternerCorruptError(`starts at id ${firstId}, the interner has ${this.count} keys (${what})`, details);
    }
    if (bytes.length !== HEADER_BYTES + count * width) {
      throw new InternerCorruptError(`${bytes.length} bytes for ${count} keys of ${width} bytes`, details);
    }
    return count;
  }

  /** Parses `hex` into the scratch words and returns their hash (the same as {@link load} of its bytes). */
  private parse(hex: string): number {
    const w = this.width;
    if (hex.length !== 2 + 2 * w || hex.charCodeAt(0) !== 48 || hex.charCodeAt(1) !== 120) throw new InvalidHexKeyError(hex, w);
    const scratch = this.scratch;
    let hash = w;
    let invalid = 0;
    let word = 0;
    for (let i = 0, c = 2; i < w; i++, c += 2) {
      const high = HEX_DIGIT[hex.charCodeAt(c)] as number;
      const low = HEX_DIGIT[hex.charCodeAt(c + 1)] as number;
      invalid |= high | low;
      word |= ((high << 4) | low) << ((i & 3) << 3);
      if ((i & 3) === 3 || i === w - 1) {
        scratch[i >> 2] = word;
        hash = mixWord(hash, word);
        word = 0;
      }
    }
    if (invalid < 0) throw new InvalidHexKeyError(hex, w);
    return finalMix(hash);
  }

  /** Loads the key of W raw bytes at `offset` into the scratch words and returns their hash. */
  private load(bytes: Uint8Array, offset: number): number {
    const w = this.width;
    let hash = w;
    let word = 0;
    for (let i = 0; i < w; i++) {
      word |= (bytes[offset + i] as number) << ((i & 3) << 3);
      if ((i & 3) === 3 || i === w - 1) {
        this.scratch[i >> 2] = word;
        hash = mixWord(hash, word);
        word = 0;
      }
    }
    return finalMix(hash);
  }

  /** The id of the scratch key, or ~slot (< 0) of the empty slot where it would go. */
  private probe(hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = (slots[2 * slot] as number) - 1;
      if (id < 0) return ~slot;
      if (slots[2 * slot + 1] === hash && this.scratchEquals(id)) return id;
    }
  }

  private scratchEquals(id: number): boolean {
    const stride = this.stride;
    const pool = this.pool;
    const scratch = this.scratch;
    for (let k = 0, p = id * stride; k < stride; k++, p++) if (pool[p] !== scratch[k]) return false;
    return true;
  }

  /** Adds the scratch key as the next id, in `slot` (found empty by {@link probe}). */
  private append(hash: number, slot: number): number {
    const id = this.count;
    if (id === this.capacity) this.growKeys();
    this.pool.set(this.scratch, id * this.stride);
    this.slots[2 * slot] = id + 1;
    this.slots[2 * slot + 1] = hash;
    this.count = id + 1;
    if (this.count * 10 > (this.slots.length >> 1) * 6) this.rehash(this.slots.length);
    return id;
  }

  /** Empties the slot of `id`, the newest key (see {@link truncate} for why nothing needs to move). */
  private unlinkNewest(id: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = this.hashOf(id) & mask;
    while (slots[2 * slot] !== id + 1) slot = (slot + 1) & mask;
    slots[2 * slot] = 0;
    slots[2 * slot + 1] = 0;
  }

  /** The hash of a pooled key, as {@link parse} computed it. */
  private hashOf(id: number): number {
    let hash = this.width;
    for (let k = 0, p = id * this.stride; k < this.stride; k++, p++) hash = mixWord(hash, this.pool[p] as number);
    return finalMix(hash);
  }

  private growKeys(): void {
    this.capacity *= 2;
    this.pool = grown(this.pool);
  }

  /** A new index of `slotCount` slots, filled in id order (which {@link truncate} relies on). */
  private rehash(slotCount: number): void {
    const slots = new Int32Array(slotCount * 2);
    const mask = slotCount - 1;
    for (let id = 0; id < this.count; id++) {
      const hash = this.hashOf(id);
      let slot = hash & mask;
      while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = id + 1;
      slots[2 * slot + 1] = hash;
    }
    this.slots = slots;
  }
}

/**
 * murmur3 (x86, 32-bit) over a key's words, seeded with its width: every byte reaches the low bits the index masks
 * with, so keys sharing a prefix or differing in one byte spread over the table.
 */
function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalMix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
