import { CH, WarehouseError } from './errors.ts';

/**
 * Decoder for the LZ4 frame format (`Content-Encoding: lz4`), which
 * clickhouse-connect uses for insert bodies by default. Node has no LZ4, and the
 * format is small: blocks of literal runs and back-references. Output grows in
 * one buffer, so linked blocks (references into earlier blocks) need no extra
 * window. Checksums are skipped: HTTP already guards the transport.
 */

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MIN = 0x184d2a50;
const SKIPPABLE_MAX = 0x184d2a5f;

export function decodeLz4Frames(input: Buffer, limitBytes: number): Buffer {
  const out = new Output(limitBytes);
  let pos = 0;
  while (pos < input.length) {
    const magic = readU32(input, pos);
    pos += 4;
    if (magic >= SKIPPABLE_MIN && magic <= SKIPPABLE_MAX) {
      pos += 4 + readU32(input, pos);
      continue;
    }
    if (magic !== FRAME_MAGIC) fail('bad LZ4 frame magic number');
    pos = decodeFrame(input, pos, out);
  }
  return out.result();
}

function decodeFrame(input: Buffer, start: number, out: Output): number {
  let pos = start;
  const flags = byteAt(input, pos);
  if (flags >> 6 !== 1) fail('unsupported LZ4 frame version');
  const blockChecksum = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictionary = (flags & 0x01) !== 0;
  if (dictionary) fail('LZ4 frames with a dictionary are not supported');
  pos += 2 + (contentSize ? 8 : 0) + 1; // FLG, BD, content size, header checksum
  for (;;) {
    const word = readU32(input, pos);
    pos += 4;
    if (word === 0) break; // end mark
    const size = word & 0x7fffffff;
    if (pos + size > input.length) fail('truncated LZ4 block');
    const block = input.subarray(pos, pos + size);
    if (word & 0x80000000) out.append(block);
    else decodeBlock(block, out);
    pos += size + (blockChecksum ? 4 : 0);
  }
  return pos + (contentChecksum ? 4 : 0);
}

function decodeBlock(block: Buffer, out: Output): void {
  let pos = 0;
  while (pos < block.length) {
    const token = byteAt(block, pos++);
    let literals = token >> 4;
    if (literals === 15) {
      let more: number;
      do {
        more = byteAt(block, pos++);
        literals += more;
      } while (more === 255);
    }
    if (pos + literals > block.length) fail('LZ4 literals run past the block');
    out.append(block.subarray(pos, pos + literals));
    pos += literals;
    if (pos >= block.length) break; // the last sequence has literals only
    const offset = byteAt(block, pos) | (byteAt(block, pos + 1) << 8);
    pos += 2;
    let length = (token & 0x0f) + 4;
    if ((token & 0x0f) === 15) {
      let more: number;
      do {
        more = byteAt(block, pos++);
        length += more;
      } while (more === 255);
    }
    out.copyMatch(offset, length);
  }
}

class Output {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;
  constructor(private readonly limitBytes: number) {}

  append(bytes: Buffer): void {
    this.reserve(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  /** Byte by byte when the match overlaps its own output (that is how LZ4 encodes runs). */
  copyMatch(offset: number, length: number): void {
    if (offset === 0 || offset > this.length) fail('LZ4 match offset out of range');
    this.reserve(length);
    const from = this.length - offset;
    if (offset >= length) {
      this.buffer.copy(this.buffer, this.length, from, from + length);
    } else {
      for (let i = 0; i < length; i++) this.buffer[this.length + i] = this.buffer[from + i] as number;
    }
    this.length += length;
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed > this.limitBytes) {
      throw new WarehouseError(
        CH.QUERY_IS_TOO_LARGE,
        `Request body exceeds the endpoint's limit of ${this.limitBytes} bytes after decompression`,
      );
    }
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.limitBytes, Math.max(needed, this.buffer.length * 2)));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

function readU32(input: Buffer, pos: number): number {
  if (pos + 4 > input.length) fail('truncated LZ4 frame');
  return input.readUInt32LE(pos);
}

function byteAt(input: Buffer, pos: number): number {
  const value = input[pos];
  if (value === undefined) fail('truncated LZ4 block');
  return value;
}

function fail(message: string): never {
  throw new WarehouseError(CH.CANNOT_DECOMPRESS, `Cannot decompress lz4 request body: ${message}`);
}
