/**
 * An append-only little-endian byte buffer for one chunk of RowBinary. `take()` hands the bytes
 * written so far to the caller (who owns them from then on) and starts a fresh buffer of the same
 * capacity, so a chunk is never copied and never reused while a socket still holds it.
 */
export class BinaryWriter {
  buf: NodeBuffer;
  /** `buf` as a DataView: 4 bytes per store in copy loops (transcode/column-writers.ts). */
  view: DataView;
  pos = 0;

  constructor(private capacity = 64 * 1024) {
    this.buf = alloc(capacity);
    this.view = viewOf(this.buf);
  }

  /**
   * Where the bytes not yet handed out start: 0 except between `slice()` calls, where the bytes before it belong to
   * slices already handed out and are neither copied on growth nor written again.
   */
  private mark = 0;

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const live = this.pos - this.mark;
    let size = Math.max(this.capacity, 64);
    while (size < live + bytes) size *= 2;
    const next = alloc(size);
    this.buf.copy(next, 0, this.mark, this.pos);
    this.buf = next;
    this.view = viewOf(next);
    this.pos = live;
    this.mark = 0;
    this.capacity = Math.max(this.capacity, size);
  }

  /** The bytes written since the last take(). */
  take(): Buffer {
    const out = this.buf.subarray(this.mark, this.pos);
    this.buf = alloc(this.capacity);
    this.view = viewOf(this.buf);
    this.pos = 0;
    this.mark = 0;
    return out;
  }

  /**
   * The bytes written since the last slice() or take(), as a view of the current buffer, which keeps being filled
   * after it (many small slices share one allocation; a slice's bytes are never written again).
   */
  slice(): Buffer {
    const out = this.buf.subarray(this.mark, this.pos);
    this.mark = this.pos;
    return out;
  }

  /** Before a slice is written: a fresh buffer when fewer than `bytes` are left (nothing is copied, no slice moves). */
  reserve(bytes: number): void {
    if (this.buf.length - this.pos >= bytes) return;
    this.buf = alloc(Math.max(this.capacity, bytes));
    this.view = viewOf(this.buf);
    this.pos = 0;
    this.mark = 0;
  }

  /** Starts over in the same buffer: every slice handed out so far is overwritten (scratch use only). */
  reset(): void {
    this.pos = 0;
    this.mark = 0;
  }

  /** Forgets the bytes written since the last slice() or take() (a record that took another path). */
  rewind(): void {
    this.pos = this.mark;
  }

  // Byte stores into the Uint8Array instead of Buffer#writeUInt32LE & co: no argument checks, about
  // 3× faster per value (profiled: the encoders are the sinks' hottest code after Avro decoding).
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  /** Also Int32: a negative `v` is stored as its two's complement (Uint8Array stores truncate). */
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.pos = p + 4;
  }

  i32(v: number): void {
    this.u32(v);
  }

  /** A 64-bit integer from two 32-bit halves (two's complement for negatives is the caller's). */
  u64Halves(lo: number, hi: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  /** A non-negative safe integer as UInt64. */
  u64(v: number): void {
    this.u64Halves(v % TWO_32, Math.floor(v / TWO_32));
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Unsigned LEB128, what RowBinary uses for string and array lengths. */
  varUInt(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** `bytes` little-endian bytes of a non-negative bigint already reduced to that width. */
  bigUIntLE(v: bigint, bytes: number): void {
    this.ensure(bytes);
    if (v < TWO_64) {
      // Most amounts: one 64-bit store, the rest zeros.
      this.buf.writeBigUInt64LE(v, this.pos);
      this.pos += 8;
      this.zeros(bytes - 8);
      return;
    }
    for (let i = 0; i < bytes; i += 8) {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos + i);
      v >>= 64n;
    }
    this.pos += bytes;
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): void {
    const length = Buffer.byteLength(s, 'utf8');
    this.varUInt(length);
    this.ensure(length);
    // Same byte length as UTF-16 length means all ASCII (hex): latin1Write is the cheapest copy.
    if (length === s.length) this.buf.latin1Write(s, this.pos, length);
    else this.buf.utf8Write(s, this.pos, length);
    this.pos += length;
  }

  /** Length-prefixed raw bytes (String columns may hold any bytes). */
  bytes(b: Uint8Array): void {
    this.varUInt(b.length);
    this.raw(b);
  }

  /** `len` bytes of `src` from `start` (a byte loop for short ones: cheaper than a native call that small). */
  copyFrom(src: Uint8Array, start: number, len: number): void {
    this.ensure(len);
    const b = this.buf;
    let p = this.pos;
    if (len > 96) {
      b.set(src.subarray(start, start + len), p);
      this.pos = p + len;
      return;
    }
    for (let i = start, end = start + len; i < end; i += 1) b[p++] = src[i]!;
    this.pos = p;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  zeros(n: number): void {
    this.ensure(n);
    const b = this.buf;
    const end = this.pos + n;
    for (let p = this.pos; p < end; p += 1) b[p] = 0;
    this.pos = end;
  }
}

const TWO_32 = 4_294_967_296;
const TWO_64 = 2n ** 64n;

/** Buffer's string copies without Buffer#write's encoding dispatch (in Node since 0.x; not in @types/node). */
interface NodeStringCopies {
  latin1Write(string: string, offset: number, length: number): number;
  utf8Write(string: string, offset: number, length: number): number;
}

type NodeBuffer = Buffer & NodeStringCopies;
const alloc = (size: number): NodeBuffer => Buffer.allocUnsafe(size) as NodeBuffer;
const viewOf = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.length);
