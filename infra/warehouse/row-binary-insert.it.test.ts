import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseSchema } from '../../config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { startWarehouseServer, usersFromConfig, type WarehouseServer } from './index.ts';

// In-process endpoint on an ephemeral port: INSERT … FORMAT RowBinary bodies land byte for byte.
const DATABASE = 'oracul_rowbinary_it';

let server: WarehouseServer;
let dataDir: string;
let writer: ClickHouseClient;
let clickhouse: ReturnType<typeof clickhouseSchema.parse>;

/** RowBinary pieces, written by hand so the test does not trust the sinks' encoder. */
const u8 = (n: number) => Buffer.from([n]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u256 = (n: bigint) => {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 4; i += 1) b.writeBigUInt64LE(BigInt.asUintN(64, n >> BigInt(64 * i)), 8 * i);
  return b;
};
const str = (s: string | Buffer) => {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u8(bytes.length), bytes]); // every string here is shorter than 128 bytes
};
const arr = (items: Buffer[]) => Buffer.concat([u8(items.length), ...items]);
const NULL = u8(1);
const notNull = (b: Buffer) => Buffer.concat([u8(0), b]);

const HIGH = 2n ** 255n + 12_345n; // top byte 0x80: every byte ≥ 0x80 case in one value
const MAX = 2n ** 256n - 1n;
const NON_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0x0a, 0xc3]);

// id UInt32, amount UInt256, fee Nullable(UInt256), note String, tag Nullable(String), topics Array(String)
const ROWS: Buffer[] = [
  // id 10 = 0x0a: the body starts with what looks like the newline after `FORMAT RowBinary`.
  Buffer.concat([u32(10), u256(HIGH), NULL, str('\n\nDROP TABLE awkward\n\n'), NULL, arr([])]),
  Buffer.concat([
    u32(0x20_0a_0a_0d),
    u256(MAX),
    notNull(u256(0n)),
    str(NON_UTF8),
    notNull(str('')),
    arr([str('\n\n'), str(NON_UTF8)]),
  ]),
  Buffer.concat([u32(0), u256(0n), notNull(u256(HIGH)), str(''), notNull(str('é\r\n')), arr([str(''), str('')])]),
];
const BODY = Buffer.concat(ROWS);
const COLUMNS = 'id, amount, fee, note, tag, topics';

async function rowBinaryOf(table: string): Promise<Buffer> {
  const rs = await writer.exec({ query: `SELECT ${COLUMNS} FROM ${table} ORDER BY id FORMAT RowBinary` });
  const chunks: Buffer[] = [];
  for await (const chunk of rs.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The rows sorted by id, as the table returns them. */
const sortedBody = (rows: Buffer[]) => Buffer.concat([...rows].sort((a, b) => a.readUInt32LE(0) - b.readUInt32LE(0)));

async function createTable(name: string): Promise<void> {
  await writer.command({
    query: `CREATE TABLE ${name} (id UInt32, amount UInt256, fee Nullable(UInt256), note String, tag Nullable(String),
            topics Array(String)) ENGINE = MergeTree ORDER BY id`,
  });
}

/** A raw chunked POST (no Content-Length), its body written in the given pieces with pauses between them. */
function postChunked(query: string, pieces: Buffer[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    url.searchParams.set('query', query);
    url.searchParams.set('database', DATABASE);
    const req = request(url, {
      method: 'POST',
      headers: { 'x-clickhouse-user': clickhouse.username, 'x-clickhouse-key': clickhouse.password },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    void (async () => {
      for (const piece of pieces) {
        req.write(piece);
        await new Promise((r) => setTimeout(r, 5));
      }
      req.end();
    })();
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oracul-warehouse-rowbinary-it-'));
  server = await startWarehouseServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    users: usersFromConfig(clickhouseSchema.parse({})),
    database: DATABASE,
    logger: createLogger({ level: 'silent' }),
  });
  clickhouse = clickhouseSchema.parse({ url: server.url, database: DATABASE });
  writer = createWarehouseClient({ config: { clickhouse } });
}, 60_000);

afterAll(async () => {
  await writer?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('INSERT … FORMAT RowBinary through the endpoint', () => {
  it('lands awkward binary values exactly: UInt256 ≥ 2^255, blank-line bytes, non-UTF-8, NULLs, arrays', async () => {
    await createTable('awkward');
    await writer.exec({ query: `INSERT INTO awkward (${COLUMNS}) FORMAT RowBinary`, values: Readable.from([BODY]) });
    expect(await rowBinaryOf('awkward')).toEqual(sortedBody(ROWS));
    const rs = await writer.query({ query: 'SELECT toString(amount) AS a FROM awkward ORDER BY id', format: 'JSONEachRow' });
    expect((await rs.json<{ a: string }>()).map((r) => r.a)).toEqual(['0', HIGH.toString(), MAX.toString()]);
  });

  it('takes a streamed (chunked) body cut at any byte, with pauses between pieces', async () => {
    await createTable('streamed');
    // Pieces of 1, 2, 3 … bytes: cuts fall inside varints, UInt256s and the 0x0a/0x0d bytes.
    const pieces: Buffer[] = [];
    for (let at = 0, size = 1; at < BODY.length; at += size, size += 1) pieces.push(BODY.subarray(at, at + size));
    const answer = await postChunked(`INSERT INTO streamed (${COLUMNS}) FORMAT RowBinary`, pieces);
    expect(answer).toEqual({ status: 200, text: '' });
    expect(await rowBinaryOf('streamed')).toEqual(sortedBody(ROWS));

    // The client's exec with a Readable sends chunked too.
    await createTable('streamed_client');
    const slow = Readable.from(
      (async function* () {
        for (const piece of pieces) {
          await new Promise((r) => setTimeout(r, 1));
          yield piece;
        }
      })(),
    );
    await writer.exec({ query: `INSERT INTO streamed_client (${COLUMNS}) FORMAT RowBinary`, values: slow });
    expect(await rowBinaryOf('streamed_client')).toEqual(sortedBody(ROWS));
  });

  it('inserts a one-row body made only of whitespace-looking bytes (a server does; it is not an empty insert)', async () => {
    await writer.command({ query: 'CREATE TABLE bytes (b UInt8) ENGINE = MergeTree ORDER BY b' });
    for (const b of [0x0a, 0x20, 0x09, 0x0d, 0xa0]) {
      await writer.exec({ query: 'INSERT INTO bytes (b) FORMAT RowBinary', values: Readable.from([Buffer.from([b])]) });
    }
    await writer.exec({ query: 'INSERT INTO bytes (b) FORMAT RowBinary', values: Readable.from([Buffer.from('\n\n \t\n')]) });
    const rs = await writer.query({
      query: 'SELECT groupArray(b) AS b FROM (SELECT b FROM bytes ORDER BY b)',
      format: 'JSONEachRow',
    });
    expect((await rs.json<{ b: number[] }>())[0]?.b).toEqual([9, 9, 10, 10, 10, 10, 13, 32, 32, 160]);
  });

  it('an empty RowBinary body inserts nothing; a truncated one fails with the engine error and inserts nothing', async () => {
    await createTable('partial');
    await writer.exec({ query: `INSERT INTO partial (${COLUMNS}) FORMAT RowBinary`, values: Readable.from([]) });
    const cut = postChunked(`INSERT INTO partial (${COLUMNS}) FORMAT RowBinary`, [BODY.subarray(0, BODY.length - 3)]);
    const answer = await cut;
    expect(answer.status).not.toBe(200);
    expect(answer.text).toMatch(/Code: (32|33)\./); // ATTEMPT_TO_READ_AFTER_EOF / CANNOT_READ_ALL_DATA
    const rs = await writer.query({ query: 'SELECT count() AS c FROM partial', format: 'JSONEachRow' });
    expect((await rs.json<{ c: string }>())[0]?.c).toBe('0');
  });
});
