/**
 * An append-only little-endian byte buffer for one chunk of RowBinary. `take()` hands the bytes
 * written so far to the caller (who owns them from then on) and starts a fresh buffer of the same
 * capacity, so a chunk is never copied and never reused while a socket still holds it.
 */
export class BinaryWriter {
  buf: Buffer;
  pos = 0;

  constructor(private capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.capacity = size;
  }

  /** The bytes written since the last take(). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return out;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** A 64-bit integer from two 32-bit halves (two's complement for negatives is the caller's). */
  u64Halves(lo: number, hi: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeUInt32LE(hi, this.pos + 4);
    this.pos += 8;
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
    for (let i = 0; i < bytes; i += 8) {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos + i);
      v >>= 64n;
    }
    this.pos += bytes;
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): void {
    // Hex and ASCII text: one byte per char, no second scan for the length.
    const ascii = s.length < 0x80 && isAscii(s);
    const length = ascii ? s.length : Buffer.byteLength(s, 'utf8');
    this.varUInt(length);
    this.ensure(length);
    this.buf.write(s, this.pos, length, ascii ? 'latin1' : 'utf8');
    this.pos += length;
  }

  /** Length-prefixed raw bytes (String columns may hold any bytes). */
  bytes(b: Uint8Array): void {
    this.varUInt(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
