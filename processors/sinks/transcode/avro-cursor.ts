/**
 * A read position in one Avro body (binary encoding, no framing), for transcoders that copy its bytes into RowBinary
 * instead of decoding values (ADR 0015). Anything it does not read exactly as avsc would (a varint past 2^53, a
 * truncated body, a negative length) throws {@link DECLINE}: the record then takes the general path, whose decoder
 * gives the error or the value.
 */

/** Thrown when a record leaves what a transcoder handles; caught by the transcoder, never seen by callers. */
export const DECLINE: Error = Object.freeze(new Error('record left to the general path')) as Error;

const TWO_28 = 268_435_456;
/** zigzag values from here on may have lost precision in avsc's float arithmetic: left to it. */
const TWO_53 = 2 ** 53;
/** A 10-byte varint's last scale: longer ones are left to avsc. */
const SCALE_LIMIT = 2 ** 70;

export class AvroCursor {
  buf: Buffer = Buffer.alloc(0);
  /** `buf` as a DataView (4-byte reads in copy loops). */
  view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;
  end = 0;
  /** The length of the string or bytes the last `span()` read. */
  len = 0;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    this.pos = 0;
    this.end = buf.length;
  }

  /** A zigzag varint `long` or `int` (avsc reads both alike), as a number. */
  long(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let n = 0;
    let shift = 0;
    let byte: number;
    do {
      if (p >= end) throw DECLINE;
      byte = b[p++]!;
      n |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 28);
    if ((byte & 0x80) === 0) {
      this.pos = p;
      return (n >>> 1) ^ -(n & 1);
    }
    // Past 28 bits: float arithmetic, as avsc does.
    let f = n;
    let scale = TWO_28;
    do {
      if (p >= end || scale > SCALE_LIMIT) throw DECLINE;
      byte = b[p++]!;
      f += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    if (f >= TWO_53) throw DECLINE;
    this.pos = p;
    return f % 2 ? -(f + 1) / 2 : f / 2;
  }

  /** A `long` the column stores unsigned (UInt64, DateTime64 as epoch ms): negative ones are left to the general path. */
  unsigned(): number {
    const n = this.long();
    if (n < 0) throw DECLINE;
    return n;
  }

  /** An `int` within [0, max] (UInt8/UInt32 columns). */
  uint(max: number): number {
    const n = this.long();
    if (n < 0 || n > max) throw DECLINE;
    return n;
  }

  /** A string's (or bytes') start; its length is `len`. */
  span(): number {
    const len = this.long();
    const start = this.pos;
    if (len < 0 || start + len > this.end) throw DECLINE;
    this.pos = start + len;
    this.len = len;
    return start;
  }

  /** The branch of a `["null", T]` union: false for null, true for T. */
  present(): boolean {
    const branch = this.long();
    if (branch === 0) return false;
    if (branch === 1) return true;
    throw DECLINE;
  }

  /** The item count of the next array block (0 ends the array); a negative count is followed by the block's size. */
  block(): number {
    const count = this.long();
    if (count >= 0) return count;
    this.long();
    return -count;
  }

  /** The body ends here (avsc refuses trailing bytes). */
  done(): void {
    if (this.pos !== this.end) throw DECLINE;
  }
}
