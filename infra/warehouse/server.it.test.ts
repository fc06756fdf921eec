import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseSchema } from '../../config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { startWarehouseServer, usersFromConfig, type WarehouseServer } from './index.ts';

// In-process endpoint on an ephemeral port with a throwaway data dir: needs no Kafka, no stack.
const DATABASE = 'oracul_it';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const U128_PLUS_1 = (2n ** 128n + 1n).toString();
const U256_MAX = (2n ** 256n - 1n).toString();

let server: WarehouseServer;
let dataDir: string;
let writer: ClickHouseClient;
let reader: ClickHouseClient;
let clickhouse: ReturnType<typeof clickhouseSchema.parse>;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClickHouseError) return error.code;
    throw error;
  }
  throw new Error('expected a ClickHouseError');
}

function raw(path: string, init: RequestInit & { user?: string; password?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('x-clickhouse-user')) {
    headers.set('x-clickhouse-user', init.user ?? clickhouse.username);
    headers.set('x-clickhouse-key', init.password ?? clickhouse.password);
  }
  const url = new URL(path, server.url);
  if (!url.searchParams.has('database')) url.searchParams.set('database', DATABASE);
  return fetch(url, { ...init, headers });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oracul-warehouse-it-'));
  server = await startWarehouseServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    users: usersFromConfig(clickhouseSchema.parse({})),
    database: DATABASE,
    maxBodyBytes: MAX_BODY_BYTES,
    logger: createLogger({ level: 'silent' }),
  });
  clickhouse = clickhouseSchema.parse({ url: server.url, database: DATABASE });
  writer = createWarehouseClient({ config: { clickhouse } });
  reader = createWarehouseClient({ config: { clickhouse }, role: 'readonly' });
  await writer.command({
    query: `CREATE TABLE transfers (id UInt32, amount UInt256, ts DateTime64(3, 'UTC'), note String)
            ENGINE = MergeTree ORDER BY id`,
  });
}, 60_000);

afterAll(async () => {
  await writer?.close();
  await reader?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('warehouse endpoint (ClickHouse HTTP interface over chdb)', () => {
  it('answers health checks and pings like a server', async () => {
    const ping = await fetch(`${server.url}/ping`);
    expect([ping.status, await ping.text()]).toEqual([200, 'Ok.\n']);
    expect(await (await fetch(`${server.url}/`)).text()).toBe('Ok.\n');
    expect((await writer.ping()).success).toBe(true);
  });

  it('created the configured database and reports UTC and the engine version', async () => {
    const rs = await writer.query({
      query: 'SELECT currentDatabase() AS db, timezone() AS tz, version() AS v',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ db: string; tz: string; v: string }>();
    expect(row).toEqual({ db: DATABASE, tz: 'UTC', v: server.engine.version });
    expect(rs.response_headers['x-clickhouse-timezone']).toBe('UTC');
    expect(rs.response_headers['x-clickhouse-format']).toBe('JSONEachRow');
    expect(rs.response_headers['x-clickhouse-server-display-name']).toBeTruthy();
  });

  it('inserts JSONEachRow and reads UInt256 above 2^128 and 2^256-1 back exactly', async () => {
    const summary = await writer.insert({
      table: 'transfers',
      format: 'JSONEachRow',
      values: [
        { id: 1, amount: U128_PLUS_1, ts: '2024-05-01 12:34:56.789', note: 'a' },
        { id: 2, amount: U256_MAX, ts: '2024-05-01 00:00:00.001', note: 'b' },
      ],
    });
    expect(summary.summary?.written_rows).toBe('2');
    const rs = await writer.query({ query: 'SELECT id, amount, ts FROM transfers ORDER BY id', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([
      { id: 1, amount: U128_PLUS_1, ts: '2024-05-01 12:34:56.789' },
      { id: 2, amount: U256_MAX, ts: '2024-05-01 00:00:00.001' },
    ]);
  });

  it('quotes 64-bit integers in JSON by default, as a server does', async () => {
    const response = await raw('/?default_format=JSONEachRow', {
      method: 'POST',
      body: 'SELECT toUInt64(18446744073709551615) AS u',
    });
    expect(await response.text()).toBe('{"u":"18446744073709551615"}\n');
  });

  it('binds query_params without splicing them into SQL (hostile strings come back verbatim)', async () => {
    const hostile = "x'); DROP TABLE transfers; --\t\\'\n{s:String} ü 🚀";
    const rs = await writer.query({
      query: 'SELECT {s:String} AS s, {n:UInt256} AS n, {arr:Array(String)} AS arr, {id:UInt32} + 1 AS next',
      query_params: { s: hostile, n: U256_MAX, arr: [hostile, "it's"], id: 41 },
      format: 'JSONEachRow',
    });
    // UInt32 + 1 is UInt64, which JSON quotes.
    expect(await rs.json()).toEqual([{ s: hostile, n: U256_MAX, arr: [hostile, "it's"], next: '42' }]);
    const count = await writer.query({ query: 'SELECT count() AS c FROM transfers', format: 'JSONEachRow' });
    expect(await count.json()).toEqual([{ c: '2' }]);
  });

  it('runs parameterised queries side by side, and a bad value fails like a server binding it', async () => {
    // Bound as typed literals (inline-params.ts), so they no longer queue behind one another on chdb's parameter state.
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        reader
          .query({
            query: 'SELECT {i:UInt32} AS i, sleepEachRow(0.25) AS z FROM numbers(1) WHERE {s:String} != {t:String}',
            query_params: { i, s: `a${i}`, t: 'b' },
            format: 'JSONEachRow',
          })
          .then((rs) => rs.json<{ i: number }>()),
      ),
    );
    expect(results.map((rows) => rows[0]?.i)).toEqual([0, 1, 2, 3, 4, 5]);
    // Three engine slots: two rounds of 250 ms, not six.
    expect(performance.now() - started).toBeLessThan(1_400);
    // The inlined CAST fails, so the engine's own binding is asked: its error names the parameter, like a server's.
    const failure = await reader.query({ query: 'SELECT {u:UUID} AS u', query_params: { u: 'nope' } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ClickHouseError);
    expect((failure as ClickHouseError).code).toBe('376');
    expect((failure as ClickHouseError).message).toMatch(/query parameter 'u'/);
  });

  it('echoes a given query_id and generates one otherwise', async () => {
    const rs = await writer.query({ query: 'SELECT 1', format: 'CSV', query_id: 'oracul-it-query' });
    expect(rs.response_headers['x-clickhouse-query-id']).toBe('oracul-it-query');
    await rs.text();
    const response = await raw('/?query=SELECT+1');
    expect(response.headers.get('x-clickhouse-query-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe('1\n');
  });

  it('runs exec and command', async () => {
    const result = await writer.exec({ query: 'SELECT number FROM numbers(3) FORMAT CSV' });
    let text = '';
    for await (const chunk of result.stream) text += chunk.toString();
    expect(text).toBe('0\n1\n2\n');
    await writer.command({ query: 'CREATE TABLE scratch (a UInt8) ENGINE = Memory' });
    await writer.command({ query: 'DROP TABLE scratch' });
  });

  it('streams a 100k-row select', async () => {
    await writer.command({
      query: `INSERT INTO transfers SELECT number + 10, number * 1000, toDateTime64('2024-01-01 00:00:00', 3, 'UTC') + number, '' FROM numbers(100000)`,
    });
    const rs = await writer.query({
      query: 'SELECT id, amount FROM transfers WHERE id >= 10 ORDER BY id',
      format: 'JSONEachRow',
    });
    let rows = 0;
    let last: { id: number; amount: string } | undefined;
    for await (const batch of rs.stream<{ id: number; amount: string }>()) {
      for (const row of batch) {
        rows += 1;
        last = row.json();
      }
    }
    expect(rows).toBe(100_000);
    expect(last).toEqual({ id: 100_009, amount: '99999000' });
  });

  it('inserts 100k JSONEachRow rows through the client', async () => {
    await writer.command({
      query: "CREATE TABLE bulk (id UInt32, amount UInt256, ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id",
    });
    const values = Array.from({ length: 100_000 }, (_, i) => ({
      id: i,
      amount: (2n ** 200n + BigInt(i)).toString(),
      ts: '2024-05-01 12:00:00.000',
    }));
    const started = performance.now();
    await writer.insert({ table: 'bulk', values, format: 'JSONEachRow' });
    const elapsed = performance.now() - started;
    const rs = await writer.query({ query: 'SELECT count() AS c, max(amount) AS m FROM bulk', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ c: '100000', m: (2n ** 200n + 99_999n).toString() }]);
    console.warn(`100k-row JSONEachRow insert through the endpoint: ${Math.round(elapsed)} ms`);
  });

  it('raises ClickHouseError with the engine code (unknown table: 60, syntax: 62)', async () => {
    expect(await codeOf(writer.query({ query: 'SELECT * FROM no_such_table' }))).toBe('60');
    expect(await codeOf(writer.command({ query: 'SELEC 1' }))).toBe('62');
    const response = await raw('/', { method: 'POST', body: 'SELECT * FROM no_such_table' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await response.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/s);
  });

  it('reports an error raised after rows were sent (exception tag protocol)', async () => {
    // One thread, so blocks arrive in order and rows are on the wire before the failing block.
    const rs = await writer.query({
      query: 'SELECT throwIf(number = 200000) AS x FROM numbers(300000) SETTINGS max_threads = 1, max_block_size = 10000',
      format: 'JSONEachRow',
    });
    expect(rs.response_headers['x-clickhouse-exception-tag']).toBeTruthy();
    let rows = 0;
    const consume = async () => {
      for await (const batch of rs.stream()) rows += batch.length;
    };
    await expect(consume()).rejects.toMatchObject({ code: '395' });
    expect(rows).toBeGreaterThan(0);
  });

  it('refuses unknown users and wrong passwords with 516', async () => {
    const wrong = createClient({ url: server.url, username: clickhouse.username, password: 'nope' });
    const ghost = createClient({ url: server.url, username: 'ghost', password: clickhouse.password });
    try {
      expect(await codeOf(wrong.query({ query: 'SELECT 1' }))).toBe('516');
      expect(await codeOf(ghost.command({ query: 'SELECT 1' }))).toBe('516');
    } finally {
      await wrong.close();
      await ghost.close();
    }
    const viaUrl = await fetch(`${server.url}/?user=${clickhouse.username}&password=nope&query=SELECT+1`);
    expect([viaUrl.status, viaUrl.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
    const viaUrlOk = await fetch(`${server.url}/?user=${clickhouse.username}&password=${clickhouse.password}&query=SELECT+1`);
    expect(await viaUrlOk.text()).toBe('1\n');
  });

  it('enforces readonly=1 for the read-only user in the engine', async () => {
    const rs = await reader.query({ query: 'SELECT count() AS c FROM transfers WHERE id < 10', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ c: '2' }]);
    expect(
      await codeOf(
        reader.insert({
          table: 'transfers',
          values: [{ id: 99, amount: '1', ts: '2024-01-01 00:00:00', note: '' }],
          format: 'JSONEachRow',
        }),
      ),
    ).toBe('164');
    expect(await codeOf(reader.command({ query: 'INSERT INTO transfers (id) VALUES (98)' }))).toBe('164');
    expect(await codeOf(reader.command({ query: 'CREATE TABLE evil (a UInt8) ENGINE = Memory' }))).toBe('164');
    expect(await codeOf(reader.command({ query: 'DROP TABLE transfers' }))).toBe('164');
    expect(await codeOf(reader.command({ query: 'SET readonly = 0' }))).toBe('164');
    expect(await codeOf(reader.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }))).toBe('164');
    expect(await codeOf(reader.query({ query: 'SELECT 1', clickhouse_settings: { allow_ddl: 1 } }))).toBe('164');
    expect(await codeOf(reader.query({ query: 'SELECT 1 SETTINGS readonly = 0' }))).toBe('164');
    // Refused by the endpoint's policy before the engine (hardening.it.test.ts covers every table function).
    expect(await codeOf(reader.query({ query: "SELECT * FROM file('/etc/hostname', 'LineAsString')" }))).toBe('497');
    const still = await writer.query({ query: 'SELECT count() AS c FROM transfers', format: 'JSONEachRow' });
    expect((await still.json<{ c: string }>())[0]?.c).toBe('100002');
  });

  it('treats GET as read-only and refuses INTO OUTFILE', async () => {
    const get = await raw(`/?query=${encodeURIComponent('CREATE TABLE viaget (a UInt8) ENGINE = Memory')}`);
    expect(get.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await codeOf(writer.command({ query: "SELECT 1 INTO OUTFILE '/tmp/oracul-outfile'" }))).toBe('358');
  });

  it('returns Native and RowBinaryWithNamesAndTypes bytes intact, and takes Native inserts', async () => {
    const rowBinary = await raw('/', {
      method: 'POST',
      body: "SELECT toUInt64(1) AS n, 'a\\0b\\xff' AS s FORMAT RowBinaryWithNamesAndTypes",
    });
    const expected = Buffer.concat([
      Buffer.from([2, 1, 0x6e, 1, 0x73, 6]),
      Buffer.from('UInt64'),
      Buffer.from([6]),
      Buffer.from('String'),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([4, 0x61, 0x00, 0x62, 0xff]),
    ]);
    expect(Buffer.from(await rowBinary.arrayBuffer())).toEqual(expected);
    expect(rowBinary.headers.get('content-type')).toBe('application/octet-stream');

    const native = await raw('/?default_format=Native', {
      method: 'POST',
      body: 'SELECT id, amount, ts, note FROM transfers WHERE id < 10 ORDER BY id',
    });
    const nativeBytes = Buffer.from(await native.arrayBuffer());
    expect(nativeBytes.subarray(0, 2)).toEqual(Buffer.from([4, 2])); // 4 columns, 2 rows
    await writer.command({ query: 'CREATE TABLE transfers_copy AS transfers' });
    const insert = await raw(`/?query=${encodeURIComponent('INSERT INTO transfers_copy FORMAT Native')}`, {
      method: 'POST',
      body: nativeBytes,
    });
    expect(insert.status).toBe(200);
    const back = await raw('/?default_format=Native', {
      method: 'POST',
      body: 'SELECT id, amount, ts, note FROM transfers_copy ORDER BY id',
    });
    expect(Buffer.from(await back.arrayBuffer())).toEqual(nativeBytes);
  });

  it('treats INSERT rows as data only: blank lines, quoted newlines and binary bytes', async () => {
    await writer.command({ query: 'CREATE TABLE victim (a UInt8) ENGINE = Memory' });
    await writer.command({ query: 'CREATE TABLE notes (id UInt64, s String) ENGINE = MergeTree ORDER BY id' });
    // Given inline to the engine, rows would end at the blank line and the rest would run as SQL.
    const json = await raw(`/?query=${encodeURIComponent('INSERT INTO notes FORMAT JSONEachRow')}`, {
      method: 'POST',
      body: '{"id":1,"s":"a"}\n\nDROP TABLE victim\n',
    });
    expect(json.headers.get('x-clickhouse-exception-code')).toBe('27'); // CANNOT_PARSE_INPUT_ASSERTION_FAILED: not JSON
    const csv = await raw(`/?query=${encodeURIComponent('INSERT INTO notes FORMAT CSV')}`, {
      method: 'POST',
      body: '2,"two\n\nlines"\n3,"x"\n',
    });
    expect(csv.status).toBe(200);
    const rows = await raw('/?default_format=JSONEachRow', { method: 'POST', body: 'SELECT id, s FROM notes ORDER BY id' });
    expect(await rows.text()).toBe('{"id":"2","s":"two\\n\\nlines"}\n{"id":"3","s":"x"}\n');
    const binary = await raw('/', {
      method: 'POST',
      body: 'SELECT toUInt64(2570 + number) AS id, repeat(char(10), 2) AS s FROM numbers(5000) FORMAT Native',
    });
    const insert = await raw(`/?query=${encodeURIComponent('INSERT INTO notes FORMAT Native')}`, {
      method: 'POST',
      body: Buffer.from(await binary.arrayBuffer()),
    });
    expect(insert.status).toBe(200);
    expect(JSON.parse(insert.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ written_rows: '5000' });
    const withParam = await raw(
      `/?param_tbl=notes&query=${encodeURIComponent('INSERT INTO {tbl:Identifier} FORMAT JSONEachRow')}`,
      {
        method: 'POST',
        body: '{"id":9,"s":"via param"}\n',
      },
    );
    expect(withParam.status).toBe(200);
    const count = await writer.query({ query: 'SELECT count() AS c FROM notes', format: 'JSONEachRow' });
    expect(await count.json()).toEqual([{ c: '5003' }]);
    const victim = await writer.query({ query: 'EXISTS TABLE victim', format: 'JSONEachRow' });
    expect(await victim.json()).toEqual([{ result: 1 }]);
  });

  it('speaks gzip both ways', async () => {
    const gz = createClient({
      url: server.url,
      username: clickhouse.username,
      password: clickhouse.password,
      database: DATABASE,
      compression: { request: true, response: true },
    });
    try {
      await gz.insert({
        table: 'transfers',
        values: [{ id: 5, amount: U256_MAX, ts: '2024-05-02 00:00:00.000', note: 'gz' }],
        format: 'JSONEachRow',
      });
      const rs = await gz.query({ query: "SELECT amount FROM transfers WHERE note = 'gz'", format: 'JSONEachRow' });
      expect(rs.response_headers['content-encoding']).toBe('gzip');
      expect(await rs.json()).toEqual([{ amount: U256_MAX }]);
    } finally {
      await gz.close();
    }
    const body = gzipSync(Buffer.from('{"id":6,"amount":"7","ts":"2024-05-03 00:00:00.000","note":"gz2"}\n'));
    const insert = await raw(`/?query=${encodeURIComponent(`INSERT INTO ${DATABASE}.transfers FORMAT JSONEachRow`)}`, {
      method: 'POST',
      body,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(insert.status).toBe(200);
  });

  it('bounds the request body with QUERY_IS_TOO_LARGE', async () => {
    const response = await raw(`/?query=${encodeURIComponent('INSERT INTO transfers FORMAT JSONEachRow')}`, {
      method: 'POST',
      body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
    });
    expect([response.status, response.headers.get('x-clickhouse-exception-code')]).toEqual([413, '229']);
  });

  it('keeps /ping fast and results correct under concurrent queries', async () => {
    const heavy = Array.from({ length: 12 }, (_, i) =>
      writer
        .query({
          query: 'SELECT sum(number) AS s, {i:UInt32} AS i FROM numbers(20000000)',
          query_params: { i },
          format: 'JSONEachRow',
        })
        .then((rs) => rs.json()),
    );
    const pings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await fetch(`${server.url}/ping`).then((r) => r.text());
      pings.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const results = await Promise.all(heavy);
    results.forEach((rows, i) => expect(rows).toEqual([{ s: '199999990000000', i }]));
    // /ping never waits for the engine; only event-loop stalls (or a busy machine) could delay it.
    expect(Math.max(...pings)).toBeLessThan(1000);
  });
});
