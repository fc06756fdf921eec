import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeLz4Frames } from './lz4-frame.ts';
import { readBody } from './request-body.ts';

// Made with python-lz4 (what clickhouse-connect uses): 64 KiB linked blocks with block and content
// checksums over 20000 lines `{"id":<i % 7>}\n`; and a frame holding one uncompressed block.
const FIXTURE_LINKED = Buffer.from(
  'BCJNGFxAIL8CAAAAAACFLgEAAJJ7ImlkIjowfQoJABQxCQAUMgkAFDMJABQ0CQAUNQkAFDYJAA8/AP//////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '//////////////////+jUGlkIjoxUkChzw0BAAAE+f8P8P//////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////4FB7ImlkIgqF' +
    'I2LrAAAAtDozfQp7ImlkIjo0CQAUNQkAFDYJABQwCQAUMQkAFDIJAA8/AP//////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////h1AiOjB9Cl9HzwoAAAAAEbGejw==',
  'base64',
);
const RAW = Buffer.from('UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGA==', 'base64');
const FIXTURE_RAW = Buffer.from(
  'BCJNGGhAQAAAAAAAAABcQAAAgFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5OAuO2yJKaySKHpJOj9CuLhqUkqMwXxgAAAAA',
  'base64',
);

describe('decodeLz4Frames', () => {
  it('decodes linked compressed blocks and uncompressed blocks', () => {
    const expected = Array.from({ length: 20000 }, (_, i) => `{"id":${i % 7}}\n`).join('');
    expect(decodeLz4Frames(FIXTURE_LINKED, 1 << 20).toString()).toBe(expected);
    expect(decodeLz4Frames(FIXTURE_RAW, 1 << 20)).toEqual(RAW);
    expect(decodeLz4Frames(Buffer.concat([FIXTURE_RAW, FIXTURE_RAW]), 1 << 20)).toEqual(Buffer.concat([RAW, RAW]));
  });

  it('refuses corrupt input and output over the limit', () => {
    expect(() => decodeLz4Frames(Buffer.from('not lz4 at all'), 1000)).toThrow(/Cannot decompress lz4/);
    expect(() => decodeLz4Frames(FIXTURE_LINKED.subarray(0, 40), 1 << 20)).toThrow(/Cannot decompress lz4/);
    expect(() => decodeLz4Frames(FIXTURE_LINKED, 1000)).toThrow(/limit of 1000 bytes/);
  });

  it('is used by readBody for Content-Encoding: lz4', async () => {
    const body = await readBody(Readable.from([FIXTURE_RAW]), { 'content-encoding': 'lz4' }, 1000);
    expect(body).toEqual(RAW);
  });
});
