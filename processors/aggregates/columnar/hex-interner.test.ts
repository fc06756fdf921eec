import { describe, expect, it } from 'vitest';
import { xorshift32 } from '../../../core/xorshift.ts';
import { HexInterner, InternerCorruptError, InvalidHexKeyError } from './hex-interner.ts';
import { thrown } from './testing/thrown.ts';

/** A random lowercase key of `width` bytes. */
function keyGen(seed: number, width: number): () => string {
  const random = xorshift32(seed);
  return () => {
    let hex = '0x';
    for (let i = 0; i < width; i++)
      hex += Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0');
    return hex;
  };
}

/** A key sequence with repeats: about a third of the picks are earlier keys. */
function sequence(seed: number, width: number, length: number): string[] {
  const random = xorshift32(seed ^ 0x5bd1e995);
  const fresh = keyGen(seed, width);
  const keys: string[] = [];
  for (let i = 0; i < length; i++)
    keys.push(keys.length > 0 && random() < 0.35 ? (keys[Math.floor(random() * keys.length)] as string) : fresh());
  return keys;
}

/** The reference: a Map from key to dense id, and the keys by id. */
class Reference {
  readonly ids = new Map<string, number>();
  readonly keys: string[] = [];
  intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.ids.set(key, id);
      this.keys.push(key);
    }
    return id;
  }
  truncate(size: number): void {
    for (const key of this.keys.splice(size)) this.ids.delete(key);
  }
}

function expectSame(interner: HexInterner, reference: Reference): void {
  expect(interner.size).toBe(reference.keys.length);
  reference.keys.forEach((key, id) => {
    if (interner.find(key) !== id) expect(interner.find(key), key).toBe(id);
    if (interner.hexOf(id) !== key) expect(interner.hexOf(id), `id ${id}`).toBe(key);
  });
}

describe('HexInterner', () => {
  it('gives 200k keys with repeats dense, stable ids like a Map', () => {
    const interner = new HexInterner(20, 16);
    const reference = new Reference();
    for (const key of sequence(1, 20, 200_000)) {
      const id = interner.intern(key);
      if (id !== reference.intern(key)) expect(id, key).toBe(reference.intern(key));
    }
    expect(reference.keys.length).toBeGreaterThan(120_000);
    expectSame(interner, reference);
    const unseen = keyGen(99, 20);
    for (let i = 0; i < 1000; i++) {
      const key = unseen();
      expect(interner.find(key)).toBe(reference.ids.get(key) ?? -1);
    }
    expect(interner.size).toBe(reference.keys.length);
    expect(interner.byteWidth).toBe(20);
  });

  it('tells apart keys that share a prefix or differ in one byte, at every position', () => {
    const interner = new HexInterner(32, 4);
    const reference = new Reference();
    const base = '0x' + '00'.repeat(32);
    for (let position = 0; position < 32; position++) {
      for (const byte of [1, 0x80, 0xff]) {
        const at = 2 + 2 * position;
        const key = base.slice(0, at) + byte.toString(16).padStart(2, '0') + base.slice(at + 2);
        expect(interner.intern(key)).toBe(reference.intern(key));
      }
    }
    for (let n = 0; n < 300; n++) {
      const key = '0x' + 'ab'.repeat(31) + n.toString(16).padStart(2, '0').slice(-2);
      expect(interner.intern(key)).toBe(reference.intern(key));
    }
    expect(interner.intern(base)).toBe(reference.intern(base));
    expectSame(interner, reference);
  });

  it('keeps every id through growth of the pool and the index, at any width', () => {
    for (const width of [1, 3, 20, 32]) {
      const interner = new HexInterner(width, 1);
      const reference = new Reference();
      for (const key of sequence(width, width, width === 1 ? 600 : 5000))
        expect(interner.intern(key)).toBe(reference.intern(key));
      expectSame(interner, reference);
    }
  });

  it('truncate then re-intern gives the ids of a fresh interner fed the same sequence', () => {
    for (const [kept, added] of [
      [10_000, 500],
      [100, 5000],
      [0, 300],
    ] as const) {
      const keys = sequence(kept + added, 20, kept + added + 3000);
      const interner = new HexInterner(20, 16);
      const first = keys.slice(0, kept);
      first.forEach((key) => interner.intern(key));
      const size = interner.size;
      keys.slice(kept, kept + added).forEach((key) => interner.intern(key));
      interner.truncate(size);
      const rest = keys.slice(kept + added);
      rest.forEach((key) => interner.intern(key));

      const fresh = new Reference();
      [...first, ...rest].forEach((key) => fresh.intern(key));
      expectSame(interner, fresh);
      for (const key of keys) expect(interner.find(key)).toBe(fresh.ids.get(key) ?? -1);
    }
  });

  it('survives random interleavings of intern and truncate (emptying the newest key’s slot keeps every probe run intact)', () => {
    const random = xorshift32(7);
    const fresh = keyGen(8, 20);
    const interner = new HexInterner(20, 16);
    const reference = new Reference();
    const recent: string[] = [];
    for (let step = 0; step < 400; step++) {
      const n = 1 + Math.floor(random() * 200);
      for (let i = 0; i < n; i++) {
        const key = recent.length > 0 && random() < 0.3 ? (recent[Math.floor(random() * recent.length)] as string) : fresh();
        recent.push(key);
        expect(interner.intern(key)).toBe(reference.intern(key));
      }
      if (random() < 0.5) {
        const size = Math.max(0, reference.keys.length - Math.floor(random() * (random() < 0.9 ? 60 : 3000)));
        interner.truncate(size);
        reference.truncate(size);
      }
      if (step % 50 === 0) expectSame(interner, reference);
    }
    expectSame(interner, reference);
    for (const key of recent) expect(interner.find(key)).toBe(reference.ids.get(key) ?? -1);
  });

  it('rejects a truncation that is not to a size it had', () => {
    const interner = new HexInterner(20);
    interner.intern('0x' + '11'.repeat(20));
    for (const bad of [-1, 2, 0.5, NaN]) expect(() => interner.truncate(bad)).toThrow(RangeError);
    for (const bad of [-1, 1, 0.5]) expect(() => interner.hexOf(bad)).toThrow(RangeError);
  });

  it('reproduces itself from a snapshot and from deltas in pieces', () => {
    const keys = sequence(3, 20, 20_000);
    const source = new HexInterner(20, 16);
    const pieces: Uint8Array[] = [source.encodeFrom(0)];
    let checkpoint = 0;
    keys.forEach((key, i) => {
      source.intern(key);
      if (i % 3001 === 0 || i === keys.length - 1) {
        pieces.push(source.encodeFrom(checkpoint));
        checkpoint = source.size;
      }
    });
    pieces.push(source.encodeFrom(source.size));
    const restored = new HexInterner(20, 16);
    for (const piece of pieces) restored.appendEncoded(piece);
    const snapshot = new HexInterner(20);
    const bytes = source.encodeFrom(0);
    expect(bytes.length).toBe(16 + 20 * source.size);
    // From the middle of a larger buffer, as a store would hand it back.
    const framed = new Uint8Array(bytes.length + 7);
    framed.set(bytes, 3);
    snapshot.appendEncoded(framed.subarray(3, 3 + bytes.length));
    for (const copy of [restored, snapshot]) {
      expect(copy.size).toBe(source.size);
      for (let id = 0; id < source.size; id++) expect(copy.hexOf(id)).toBe(source.hexOf(id));
      for (const key of keys) expect(copy.find(key)).toBe(source.find(key));
    }
  });

  it('encodes the raw key bytes after a little-endian header, at any width', () => {
    for (const width of [3, 20, 32]) {
      const interner = new HexInterner(width);
      const keys = Array.from({ length: 5 }, keyGen(width, width));
      keys.forEach((key) => interner.intern(key));
      const bytes = interner.encodeFrom(2);
      expect(Array.from(bytes.subarray(0, 16))).toEqual([1, 0, 0, 0, width, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
      expect(Buffer.from(bytes.subarray(16)).toString('hex')).toBe(
        keys
          .slice(2)
          .map((key) => key.slice(2))
          .join(''),
      );
    }
  });

  it('rejects corrupt, gapped, overlapping and foreign deltas and leaves itself unchanged', () => {
    const fresh = keyGen(4, 20);
    const keys = Array.from({ length: 50 }, fresh);
    const source = new HexInterner(20);
    keys.slice(0, 20).forEach((key) => source.intern(key));
    const head = source.encodeFrom(0);
    keys.slice(20).forEach((key) => source.intern(key));
    const tail = source.encodeFrom(20);

    const target = new HexInterner(20);
    const rejects = (bytes: Uint8Array): void => {
      const size = target.size;
      expect(thrown(() => target.appendEncoded(bytes))).toMatchObject({ code: 'ORACUL_INTERNER_CORRUPT', retryable: false });
      expect(target.size).toBe(size);
    };
    rejects(tail); // a gap
    target.appendEncoded(head);
    rejects(head); // an overlap
    rejects(new HexInterner(32).encodeFrom(0)); // another width
    rejects(tail.subarray(0, tail.length - 1)); // truncated
    rejects(new Uint8Array([...tail, 0])); // a trailing byte
    rejects(tail.subarray(0, 10)); // shorter than the header
    const badTag = tail.slice();
    badTag[0] = 9;
    rejects(badTag);
    // Ids 20 and 21, where 21 is key 0 again: nothing of it may stay.
    const withRepeat = tail.slice(0, 16 + 2 * 20);
    new DataView(withRepeat.buffer).setUint32(12, 2, true);
    withRepeat.set(head.subarray(16, 36), 36);
    rejects(withRepeat);
    expect(target.find(keys[20] as string)).toBe(-1);
    expect(target.find(keys[0] as string)).toBe(0);

    target.appendEncoded(tail);
    for (const key of keys) expect(target.find(key)).toBe(source.find(key));
    expect(thrown(() => target.appendEncoded(head))).toBeInstanceOf(InternerCorruptError);
  });

  it('throws InvalidHexKeyError for every malformed key, from intern and find', () => {
    const good = '0x' + '0123456789abcdef'.repeat(3).slice(0, 40);
    const interner = new HexInterner(20);
    expect(interner.hexOf(interner.intern(good))).toBe(good);
    const bad = [
      good.toUpperCase(),
      '0X' + good.slice(2),
      good.slice(0, 10) + 'A' + good.slice(11),
      good.slice(0, -1),
      good + '0',
      good.slice(2),
      '00' + good.slice(2),
      good.slice(0, 20) + 'g' + good.slice(21),
      good.slice(0, 20) + ' ' + good.slice(21),
      good.slice(0, 20) + '\u0660' + good.slice(21),
      good.slice(0, 41) + '/',
      good.slice(0, 41) + ':',
      good.slice(0, 41) + '`',
      '',
      '0x',
      '0x' + '00'.repeat(32),
    ];
    for (const key of bad) {
      expect(() => interner.intern(key), key).toThrow(InvalidHexKeyError);
      expect(() => interner.find(key), key).toThrow(InvalidHexKeyError);
    }
    expect(interner.size).toBe(1);
    const long = '0x' + 'z'.repeat(200);
    expect(thrown(() => interner.intern(long))).toMatchObject({
      code: 'ORACUL_INVALID_HEX_KEY',
      retryable: false,
      details: { key: long.slice(0, 80), byteWidth: 20 },
    });
  });
});
