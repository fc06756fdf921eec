import { ClickHouseError, extractErrorAtTheEndOfChunk } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { chooseEncoding, contentTypeFor, midStreamException, newExceptionTag, summaryHeader } from './response.ts';

describe('chooseEncoding', () => {
  it('compresses only when enabled and accepted', () => {
    expect(chooseEncoding('gzip', false)).toBeUndefined();
    expect(chooseEncoding(undefined, true)).toBeUndefined();
    expect(chooseEncoding('lz4,zstd,br,gzip,deflate', true)).toBe('gzip');
    expect(chooseEncoding('deflate, br', true)).toBe('deflate');
    expect(chooseEncoding('gzip;q=0, br', true)).toBe('br');
    expect(chooseEncoding('zstd', true)).toBeUndefined();
  });
});

describe('midStreamException', () => {
  it('is decoded by @clickhouse/client into the original ClickHouseError', () => {
    const tag = newExceptionTag();
    expect(tag).toMatch(/^[A-Za-z0-9]{16}$/);
    const rows = Buffer.from('{"a":1}\n');
    const marker = midStreamException(
      tag,
      'Code: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)\n',
    );
    const error = extractErrorAtTheEndOfChunk(Buffer.concat([rows, marker]), tag) as ClickHouseError;
    expect(error).toBeInstanceOf(ClickHouseError);
    expect([error.code, error.type]).toEqual(['395', 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO']);
  });
});

describe('headers', () => {
  it('names content types and summaries like the server', () => {
    expect(contentTypeFor('JSONEachRow')).toBe('application/json; charset=UTF-8');
    expect(contentTypeFor('TabSeparated')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(contentTypeFor('CSVWithNames')).toBe('text/csv; charset=UTF-8; header=present');
    expect(contentTypeFor('Native')).toBe('application/octet-stream');
    expect(contentTypeFor('RowBinaryWithNamesAndTypes')).toBe('application/octet-stream');
    const summary = JSON.parse(
      summaryHeader({ readRows: 1, readBytes: 2, writtenRows: 3, writtenBytes: 4, resultRows: 5, resultBytes: 6, elapsedNs: 7 }),
    );
    expect(summary).toEqual({
      read_rows: '1',
      read_bytes: '2',
      written_rows: '3',
      written_bytes: '4',
      total_rows_to_read: '0',
      result_rows: '5',
      result_bytes: '6',
      elapsed_ns: '7',
    });
  });
});
