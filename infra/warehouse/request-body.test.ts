import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WarehouseError } from './errors.ts';
import { multipartBoundary, parseMultipart, readBody } from './request-body.ts';

const source = (...chunks: Buffer[]) => Readable.from(chunks);

describe('readBody', () => {
  it('reads plain and gzip bodies', async () => {
    expect((await readBody(source(Buffer.from('ab'), Buffer.from('c')), {}, 10)).toString()).toBe('abc');
    const gz = gzipSync(Buffer.from('{"a":1}\n'));
    expect((await readBody(source(gz), { 'content-encoding': 'gzip' }, 100)).toString()).toBe('{"a":1}\n');
  });

  it('refuses bodies over the limit, after decompression too (QUERY_IS_TOO_LARGE)', async () => {
    await expect(readBody(source(Buffer.alloc(11)), {}, 10)).rejects.toMatchObject({ clickhouseName: 'QUERY_IS_TOO_LARGE' });
    await expect(readBody(source(), { 'content-length': '11' }, 10)).rejects.toBeInstanceOf(WarehouseError);
    const bomb = gzipSync(Buffer.alloc(1_000_000));
    await expect(readBody(source(bomb), { 'content-encoding': 'gzip' }, 1000)).rejects.toMatchObject({ clickhouseCode: 229 });
  });

  it('reports unknown encodings and corrupt gzip', async () => {
    await expect(readBody(source(Buffer.from('x')), { 'content-encoding': 'zstd' }, 10)).rejects.toMatchObject({
      clickhouseCode: 89,
    });
    await expect(readBody(source(Buffer.from('not gzip')), { 'content-encoding': 'gzip' }, 100)).rejects.toMatchObject({
      clickhouseCode: 271,
    });
  });
});

describe('multipart', () => {
  it('parses form fields as clickhouse-js builds them', () => {
    const boundary = '----clickhouse-js-1';
    expect(multipartBoundary(`multipart/form-data; boundary=${boundary}`)).toBe(boundary);
    expect(multipartBoundary('text/plain')).toBeUndefined();
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="query"\r\n\r\nSELECT {v:Array(String)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="param_v"\r\n\r\n['a\\r\\n','b']\r\n--${boundary}--\r\n`,
    );
    expect(parseMultipart(body, boundary)).toEqual([
      { name: 'query', value: 'SELECT {v:Array(String)}', filename: undefined },
      { name: 'param_v', value: "['a\\r\\n','b']", filename: undefined },
    ]);
  });
});
