/**
 * The kafkajs patch (infra/patches/kafkajs+2.2.4.patch, ADR 0011): record-batch CRC32C by @node-rs/crc32 must give
 * the same checksums as kafkajs' own table loop, which stays as the fallback; encoder buffers from allocUnsafe must
 * still yield exactly the bytes written.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const patched = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;
const tableLoop = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;
const Encoder = require('kafkajs/src/protocol/encoder.js') as new (size?: number) => {
  writeInt32(v: number): unknown;
  writeBuffer(b: Buffer): unknown;
  buffer: Buffer;
};

describe('kafkajs patch', () => {
  it('computes CRC32C natively, equal to the table loop, on every size a record batch has', () => {
    expect(require.resolve('@node-rs/crc32')).toBeTruthy();
    for (const size of [0, 1, 3, 7, 8, 63, 64, 65, 1_000, 4_096, 65_537, 768 * 1024]) {
      const buffer = randomBytes(size);
      expect(patched(buffer), `size ${size}`).toBe(tableLoop(buffer) >>> 0);
    }
    // The RFC 3720 check value of CRC32C.
    expect(patched(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('encodes exactly the bytes written, through buffer growth', () => {
    const encoder = new Encoder(4);
    const parts = [randomBytes(3), randomBytes(700), randomBytes(70_000)];
    encoder.writeInt32(0x01020304);
    for (const part of parts) encoder.writeBuffer(part);
    expect(encoder.buffer).toEqual(Buffer.concat([Buffer.from([1, 2, 3, 4]), ...parts]));
  });
});
