import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { SinkColumnTypeUnsupportedError, SinkRowsRejectedError } from '../errors.ts';
import { BinaryWriter } from './binary-writer.ts';
import { compareColumns } from './check-table-columns.ts';
import { parseColumnType } from './column-type.ts';
import { rowBinaryStream } from './row-binary-stream.ts';
import { createRowEncoder, type SinkColumn } from './row-encoder.ts';

function encode(type: string, ...values: unknown[]): Buffer {
  const encoder = createRowEncoder('t', [{ name: 'v', type }]);
  const w = new BinaryWriter(8);
  encoder.encode(
    w,
    values.map((v) => ({ v })),
    0,
    values.length,
  );
  return w.take();
}

const hex = (b: Buffer) => b.toString('hex');
const le = (n: bigint, bytes: number) => {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 8) b.writeBigUInt64LE(BigInt.asUintN(64, n >> BigInt(8 * i)), i);
  return b;
};

describe('parseColumnType', () => {
  it('reads the types the migrations declare; LowCardinality is its inner type', () => {
    expect(parseColumnType("DateTime64(3, 'UTC')")).toEqual({ kind: 'datetime64', precision: 3, timezone: 'UTC' });
    expect(parseColumnType('LowCardinality(Nullable(String))')).toEqual({ kind: 'nullable', inner: { kind: 'string' } });
    expect(parseColumnType('Nullable(Decimal(76, 18))')).toEqual({
      kind: 'nullable',
      inner: { kind: 'decimal', precision: 76, scale: 18, bits: 256 },
    });
    expect(parseColumnType('Array(String)')).toEqual({ kind: 'array', inner: { kind: 'string' } });
    expect(() => parseColumnType('Map(String, UInt8)')).toThrow(SinkColumnTypeUnsupportedError);
  });
});

describe('RowBinary value encoders', () => {
  it('UInt256 / Int256 from decimal text, exactly, including above 2^255', () => {
    const high = 2n ** 255n + 7n;
    expect(encode('UInt256', high.toString())).toEqual(le(high, 32));
    expect(encode('UInt256', (2n ** 256n - 1n).toString())).toEqual(Buffer.alloc(32, 0xff));
    expect(encode('UInt256', '1000000000000000000')).toEqual(le(10n ** 18n, 32));
    expect(encode('Int256', '-1')).toEqual(Buffer.alloc(32, 0xff));
    expect(encode('Int256', (-(2n ** 255n)).toString())).toEqual(le(2n ** 255n, 32));
    for (const bad of [(2n ** 256n).toString(), '-1', '1.5', '1e18', '0x10', ' 1', '', 1.5, null]) {
      expect(() => encode('UInt256', bad), String(bad)).toThrow(SinkRowsRejectedError);
    }
    expect(() => encode('Int256', (2n ** 255n).toString())).toThrow(SinkRowsRejectedError);
  });

  it('integers of every width, range-checked', () => {
    expect(hex(encode('UInt8', 255, true))).toBe('ff01');
    expect(hex(encode('Int8', -128))).toBe('80');
    expect(hex(encode('UInt16', 0x1234))).toBe('3412');
    expect(hex(encode('Int32', -2))).toBe('feffffff');
    expect(hex(encode('UInt32', 4_294_967_295))).toBe('ffffffff');
    expect(encode('UInt64', '18446744073709551615')).toEqual(Buffer.alloc(8, 0xff));
    expect(encode('UInt64', 2 ** 53 - 1)).toEqual(le(2n ** 53n - 1n, 8));
    expect(encode('Int64', -1)).toEqual(Buffer.alloc(8, 0xff));
    expect(encode('Int128', -2n)).toEqual(le(2n ** 128n - 2n, 16));
    // 16–19 digits take a path without BigInt: its 32-bit halves must be exact.
    for (const digits of ['1000000000000000', '4294967295999999999', '4294967296000000000', '9999999999999999999']) {
      expect(encode('UInt64', digits), digits).toEqual(le(BigInt(digits), 8));
      expect(encode('UInt256', digits), digits).toEqual(le(BigInt(digits), 32));
    }
    for (const [type, bad] of [
      ['UInt8', 256],
      ['UInt8', -1],
      ['UInt32', 1.5],
      ['UInt64', 2 ** 53], // not a safe integer: it may already have lost digits
      ['UInt64', '18446744073709551616'],
      ['Int8', 128],
    ] as const) {
      expect(() => encode(type, bad), `${type} ${bad}`).toThrow(SinkRowsRejectedError);
    }
  });

  it('strings are length-prefixed bytes: UTF-8 text, or any bytes from a Buffer', () => {
    expect(hex(encode('String', 'é\n\n'))).toBe('04c3a90a0a');
    expect(hex(encode('String', Buffer.from([0xff, 0x00])))).toBe('02ff00');
    expect(encode('String', 'x'.repeat(300)).subarray(0, 2)).toEqual(Buffer.from([0xac, 0x02]));
    expect(hex(encode('FixedString(4)', 'ab'))).toBe('61620000');
    expect(() => encode('FixedString(2)', 'abc')).toThrow(SinkRowsRejectedError);
    expect(hex(encode('LowCardinality(String)', 'ab'))).toBe('026162');
  });

  it('Nullable, Array, Bool, Float64', () => {
    expect(hex(encode('Nullable(UInt8)', null, 3))).toBe('010003');
    expect(hex(encode('Array(Nullable(String))', ['a', null, '']))).toBe('03000161010000');
    expect(hex(encode('Bool', true, false, 1))).toBe('010001');
    expect(encode('Float64', 1.5)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]));
    expect(() => encode('UInt8', null)).toThrow(/UInt8/);
  });

  it('DateTime64(3, UTC) from epoch ms or UTC text; Date from text or epoch day; Decimal exact', () => {
    const ms = 1_700_000_000_123;
    expect(encode("DateTime64(3, 'UTC')", ms)).toEqual(le(BigInt(ms), 8));
    expect(encode("DateTime64(3, 'UTC')", '2023-11-14 22:13:20.123')).toEqual(le(BigInt(ms), 8));
    expect(encode("DateTime64(6, 'UTC')", '2023-11-14 22:13:20.123456')).toEqual(le(BigInt(ms) * 1000n + 456n, 8));
    expect(() => encode("DateTime64(3, 'UTC')", '2023-02-30 00:00:00')).toThrow(SinkRowsRejectedError);
    expect(() => encode("DateTime64(3, 'UTC')", '2023-11-14 22:13:20.1234')).toThrow(SinkRowsRejectedError);
    expect(hex(encode('Date', '1970-01-02', 19_000))).toBe('0100384a');
    expect(encode('Decimal(38, 18)', '-1.5')).toEqual(le(2n ** 128n - 15n * 10n ** 17n, 16));
    expect(encode('Decimal(76, 18)', '12')).toEqual(le(12n * 10n ** 18n, 32));
    expect(() => encode('Decimal(38, 18)', '0.0000000000000000001')).toThrow(SinkRowsRejectedError); // 19 digits: never rounded
    expect(() => encode('Decimal(38, 18)', 0.1)).toThrow(SinkRowsRejectedError); // a float is not exact
  });

  it('a missing column gets its type default (as an omitted JSONEachRow field); errors name table, column and row', () => {
    const encoder = createRowEncoder('raw_x', [
      { name: 'a', type: 'UInt32' },
      { name: 'b', type: 'Nullable(String)' },
      { name: 'c', type: 'Array(String)' },
      { name: 'd', type: 'String' },
    ]);
    const w = new BinaryWriter(4);
    encoder.encode(w, [{ a: 1 }], 0, 1);
    expect(hex(w.take())).toBe('01000000' + '01' + '00' + '00');
    expect(encoder.insertStatement).toBe('INSERT INTO raw_x (a, b, c, d) FORMAT RowBinary');
    try {
      encoder.encode(w, [{ a: 1 }, { a: -1 }], 0, 2);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SinkRowsRejectedError);
      expect((error as SinkRowsRejectedError).details).toMatchObject({ table: 'raw_x', column: 'a', row: 1 });
    }
  });
});

describe('rowBinaryStream', () => {
  const columns: SinkColumn[] = [{ name: 'n', type: 'UInt32' }];
  const rows = Array.from({ length: 10_000 }, (_, n) => ({ n }));

  it('encodes in chunks of chunkRows as the consumer reads, never far ahead of it', async () => {
    const stream = rowBinaryStream(createRowEncoder('t', columns), rows, { chunkRows: 1_000, highWaterMark: 8_000 });
    const chunks: Buffer[] = [];
    let maxAhead = 0;
    await pipeline(
      stream,
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, done) {
          maxAhead = Math.max(maxAhead, stream.readableLength);
          chunks.push(chunk);
          setTimeout(done, 1);
        },
      }),
    );
    expect(chunks.map((c) => c.length)).toEqual(Array(10).fill(4_000));
    expect(maxAhead).toBeLessThanOrEqual(8_000 + 4_000);
    const all = Buffer.concat(chunks);
    expect([all.readUInt32LE(0), all.readUInt32LE(4 * 9_999)]).toEqual([0, 9_999]);
  });

  it('an encoding error destroys the stream with the typed error', async () => {
    const bad = [...rows.slice(0, 3_000), { n: -1 }];
    const stream = rowBinaryStream(createRowEncoder('t', columns), bad, { chunkRows: 1_000 });
    await expect(pipeline(stream, new Writable({ write: (_c, _e, done) => done() }))).rejects.toBeInstanceOf(
      SinkRowsRejectedError,
    );
  });
});

describe('compareColumns', () => {
  const table = [
    { name: 'a', type: 'UInt64', default_kind: '' },
    { name: 'b', type: 'Decimal(38, 18)', default_kind: '' },
    { name: 'c', type: 'String', default_kind: 'MATERIALIZED' },
    { name: 'd', type: "DateTime64(3, 'UTC')", default_kind: 'DEFAULT' },
    { name: 'e', type: 'Nullable(String)', default_kind: '' },
  ];
  it('accepts the declared layout (spacing of type text aside) and names every drift', () => {
    expect(
      compareColumns(
        [
          { name: 'a', type: 'UInt64' },
          { name: 'b', type: 'Decimal(38,18)' },
        ],
        table,
      ),
    ).toEqual([]);
    expect(
      compareColumns(
        [
          { name: 'a', type: 'UInt32' },
          { name: 'c', type: 'String' },
          { name: 'z', type: 'String' },
        ],
        table,
      ),
    ).toEqual([
      'a: table type UInt64, sink writes UInt32',
      'c: MATERIALIZED columns cannot be inserted',
      'z: not in the table',
      'b: required by the table (no default) but not written by the sink',
    ]);
  });
});
