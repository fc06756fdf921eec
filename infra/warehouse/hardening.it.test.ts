import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { createWarehouseClient } from '../../dwh/client.ts';
import { REPO_ROOT } from '../../config/index.ts';
import { clickhouseSchema } from '../../config/schema.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The two findings of the security probe (docs/adr/0012-warehouse-endpoint-hardening.md): host files and local
 * services reachable through the engine, and the read-only user starving the pipeline; against the real endpoint
 * in a child process (infra/warehouse/testing/serve-child.ts), whose memory the test reads from /proc.
 */
const DATABASE = 'oracul_hardening_it';
const MiB = 1024 * 1024;
const WRITER_MAX_BODY = 16 * MiB;
const READONLY_MAX_EXECUTION_S = 3;
const GENERATORS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generateSeries',
  'generate_series',
  'values',
  'format',
]);

let child: ChildProcess;
let url: string;
let dataDir: string;
let writer: ClickHouseClient;
let reader: ClickHouseClient;
const clickhouse = clickhouseSchema.parse({});

interface RawAnswer {
  status: number;
  code: string | undefined;
  text: string;
  ms: number;
}

type Role = 'writer' | 'readonly';

/** One request with node:http: the answer is read even when the server stops reading the upload early. */
function send(
  role: Role | 'nobody',
  path: string,
  init: { method?: 'GET' | 'POST'; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const credentials =
    role === 'writer'
      ? [clickhouse.username, clickhouse.password]
      : role === 'readonly'
        ? [clickhouse.readonlyUsername, clickhouse.readonlyPassword]
        : ['nobody', 'nope'];
  const target = new URL(path, url);
  if (!target.searchParams.has('database')) target.searchParams.set('database', DATABASE);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: init.method ?? 'POST',
      headers: { 'x-clickhouse-user': credentials[0]!, 'x-clickhouse-key': credentials[1]!, ...init.headers },
    });
    let answered = false;
    req.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          code: response.headers['x-clickhouse-exception-code'] as string | undefined,
          text: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
      response.on('error', reject);
    });
    // The server may close while the rest of a refused upload is still being written.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(init.body);
  });
}

const get = (role: Role, sql: string) => send(role, `/?query=${encodeURIComponent(sql)}`, { method: 'GET' });
const post = (role: Role, sql: string) => send(role, '/', { body: sql });

/** Kilobytes of a /proc/<pid>/status field of the endpoint's process (VmHWM: peak resident set). */
function procStatusKb(field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${child.pid}/status`);
  return Number(match[1]);
}

/** A gzip body of `inflated` zero bytes, made chunk by chunk (the test never holds the inflated bytes). */
async function gzipBomb(inflated: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < inflated; written += MiB) {
    if (!gzip.write(zeros.subarray(0, Math.min(MiB, inflated - written)))) await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oracul-warehouse-hardening-it-'));
  const options = {
    dataDir,
    database: DATABASE,
    maxBodyBytes: WRITER_MAX_BODY,
    readonlyMaxExecutionTimeS: READONLY_MAX_EXECUTION_S,
  };
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'infra/warehouse/testing/serve-child.ts'), JSON.stringify(options)],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let line = '';
    child.stdout?.on('data', (d: Buffer) => {
      line += d.toString();
      if (line.includes('\n')) resolve((JSON.parse(line.split('\n')[0]!) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`endpoint exited (${code}): ${output}`)));
  });
  const config = { clickhouse: clickhouseSchema.parse({ url, database: DATABASE }) };
  writer = createWarehouseClient({ config });
  reader = createWarehouseClient({ config, role: 'readonly' });
  await writer.command({ query: 'CREATE TABLE t (id UInt32, s String) ENGINE = MergeTree ORDER BY id' });
  await writer.insert({ table: 't', values: [{ id: 1, s: 'a' }], format: 'JSONEachRow' });
}, 120_000);

afterAll(async () => {
  await writer?.close();
  await reader?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function expectRefused(answer: RawAnswer, what: string): void {
  expect([what, answer.status, answer.code], answer.text).toEqual([what, 403, '497']);
  expect(answer.text).toMatch(/Not enough privileges/);
}

describe('finding 1: no host files, commands or local services through the engine', () => {
  it('refuses every table function the engine knows but the generators, for both roles, over POST and GET (403, 497)', async () => {
    const listed = await (
      await writer.query({ query: 'SELECT name FROM system.table_functions', format: 'JSONEachRow' })
    ).json<{
      name: string;
    }>();
    expect(listed.length).toBeGreaterThan(80);
    for (const { name } of listed) {
      const sql = `SELECT * FROM ${name}('x')`;
      for (const role of ['writer', 'readonly'] as const) {
        for (const answer of [await post(role, sql), await get(role, sql)]) {
          if (GENERATORS.has(name)) expect([name, role, answer.code]).not.toEqual([name, role, '497']);
          else expectRefused(answer, `${role} ${name}`);
        }
      }
    }
  });

  it('refuses the probes of the issue, in any position and spelling, and creates no file', async () => {
    const target = join(dataDir, 'created-by-insert-into-function.tsv');
    const probes = [
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT * FROM file('/proc/self/environ', 'LineAsString')",
      `SELECT * FROM file('${REPO_ROOT}/config/*.yml', 'LineAsString')`,
      `INSERT INTO FUNCTION file('${target}', 'TSV', 's String') SELECT 'x'`,
      `INSERT INTO TABLE FUNCTION file('${target}', 'TSV', 's String') VALUES ('x')`,
      `SELECT * FROM url('${url}/ping', 'LineAsString')`,
      "SELECT file('/etc/passwd')",
      "SELECT arrayMap(file, ['/etc/passwd'])",
      "SELECT * FROM t JOIN file('/etc/passwd', 'LineAsString') AS f ON 1",
      "SELECT id FROM t WHERE s IN (SELECT * FROM url('http://127.0.0.1:9092', 'LineAsString'))",
      "WITH x AS (SELECT * FROM file('/etc/passwd', 'LineAsString')) SELECT * FROM x",
      "SELECT * FROM FiLe ('/etc/passwd', 'LineAsString')",
      "SELECT * FROM `file`('/etc/passwd', 'LineAsString')",
      "SELECT * FROM \"file\"('/etc/passwd', 'LineAsString')",
      "SELECT * FROM file/**/(\n'/etc/passwd', 'LineAsString')",
      "SELECT * FROM remote('127.0.0.1:9000', system.one)",
      "SELECT * FROM executable('id', 'TSV', 'x String')",
      "SELECT * FROM filesystem('/etc')",
      "SELECT * FROM s3('http://127.0.0.1:9092/x', 'TSV', 's String')",
      "INSERT INTO t SELECT 2, * FROM input('s String') FORMAT TSV\nx\n",
    ];
    for (const sql of probes) {
      for (const role of ['writer', 'readonly'] as const) {
        expectRefused(await post(role, sql), `${role} POST ${sql}`);
        expectRefused(await get(role, sql), `${role} GET ${sql}`);
      }
    }
    expect(existsSync(target)).toBe(false);
  });

  it('refuses the neighbouring escapes: engines, dictionaries, ATTACH FROM a path, BACKUP/RESTORE, SYSTEM, path settings, Values rows', async () => {
    const statements = [
      "CREATE TABLE f (s String) ENGINE = File(LineAsString, '/etc/passwd')",
      "CREATE TABLE u (s String) ENGINE = URL('http://127.0.0.1:9092/', LineAsString)",
      'CREATE TABLE d AS system.one ENGINE = Distributed(default, system, one)',
      "CREATE TABLE m (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = local, path = '/tmp/oracul-disk/')",
      "CREATE DATABASE fs ENGINE = Filesystem('/etc')",
      "CREATE DICTIONARY dict (k UInt64, v String) PRIMARY KEY k SOURCE(FILE(path '/etc/passwd' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
      "CREATE DICTIONARY dict (k UInt64) PRIMARY KEY k SOURCE(EXECUTABLE(command 'id' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
      "ATTACH TABLE a FROM '/etc' (s String) ENGINE = MergeTree ORDER BY s",
      "BACKUP TABLE t TO File('/tmp/oracul-backup')",
      "RESTORE TABLE t FROM File('/tmp/oracul-backup')",
      'SYSTEM SHUTDOWN',
      'SYSTEM RELOAD CONFIG',
      "SELECT 1 FORMAT Template SETTINGS format_template_row = '/etc/passwd'",
      "SET format_schema = '/etc/passwd'",
    ];
    for (const sql of statements) expectRefused(await post('writer', sql), sql);
    const viaUrl = await send('writer', `/?format_template_resultset=${encodeURIComponent('/etc/passwd')}`, { body: 'SELECT 1' });
    expectRefused(viaUrl, 'format_template_resultset in the URL');
    const values = await send('writer', `/?query=${encodeURIComponent('INSERT INTO t FORMAT Values')}`, {
      body: "(3, file('/etc/passwd'))",
    });
    expectRefused(values, 'file() in Values rows');
    const rows = await (await writer.query({ query: 'SELECT count() AS c FROM t', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ c: '1' }]);
    expect((await (await writer.query({ query: 'EXISTS DATABASE fs', format: 'JSONEachRow' })).json())[0]).toEqual({ result: 0 });
  });

  it('still runs what the pipeline runs: generators, VALUES, MergeTree/Memory DDL, scalar format()', async () => {
    await writer.command({ query: 'CREATE TABLE mem (a UInt64) ENGINE = Memory' });
    await writer.command({ query: 'INSERT INTO mem SELECT number FROM numbers(3)' });
    await writer.command({ query: 'INSERT INTO mem VALUES (10), (11)' });
    const rs = await reader.query({
      query:
        "SELECT count() AS c, format('{}-{}', 'a', 'b') AS f FROM mem WHERE a NOT IN (SELECT number FROM numbers({n:UInt64}))",
      query_params: { n: 1 },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ c: '4', f: 'a-b' }]);
  });
});

describe('finding 3: the read-only user cannot starve the pipeline', () => {
  it("applies readonly=1 exactly: no setting change by URL, SETTINGS clause or SET (164), the clients' own settings pass", async () => {
    for (const [name, value] of [
      ['max_execution_time', '0'],
      ['max_memory_usage', '0'],
      ['max_threads', '64'],
    ] as const) {
      const viaUrl = await send('readonly', `/?${name}=${value}`, { body: 'SELECT 1' });
      expect([name, viaUrl.status, viaUrl.code], viaUrl.text).toEqual([name, 500, '164']);
      const viaGet = await send('readonly', `/?${name}=${value}&query=SELECT+1`, { method: 'GET' });
      expect([name, viaGet.code]).toEqual([name, '164']);
      const viaClause = await post('readonly', `SELECT 1 SETTINGS ${name} = ${value}`);
      expect([name, viaClause.code]).toEqual([name, '164']);
      const viaSet = await post('readonly', `SET ${name} = ${value}`);
      expect([name, viaSet.code]).toEqual([name, '164']);
    }
    // The gateway's client sends output_format_json_quote_64bit_integers and date_time_input_format on every request.
    const rs = await reader.query({
      query: "SELECT getSetting('max_execution_time') AS m, toUInt64(1) AS u",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ m: READONLY_MAX_EXECUTION_S, u: '1' }]);
  });

  it('stops a read-only query at the max_execution_time ceiling', async () => {
    const started = performance.now();
    const answer = await post('readonly', 'SELECT count() FROM numbers(1000000000000)');
    expect(answer.code, answer.text).toBe('159');
    expect(performance.now() - started).toBeLessThan((READONLY_MAX_EXECUTION_S + 5) * 1000);
  });

  it('keeps an engine slot for the writer: an INSERT completes in well under 1 s while slow reads fill the rest', async () => {
    const slow = Array.from({ length: 4 }, (_, i) =>
      reader
        .query({ query: `SELECT ${i} AS i, sum(sleepEachRow(0.25)) AS z FROM numbers(8)`, format: 'JSONEachRow' })
        .then((rs) => rs.json<{ i: number }>()),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    await writer.insert({ table: 't', values: [{ id: 42, s: 'during slow reads' }], format: 'JSONEachRow' });
    const insertMs = performance.now() - started;
    const reads = await Promise.all(slow);
    expect(reads.map((rows) => rows[0]?.i)).toEqual([0, 1, 2, 3]);
    console.warn(`writer INSERT while 4 slow read-only queries run: ${Math.round(insertMs)} ms`);
    expect(insertMs).toBeLessThan(1000);
  });

  it('refuses a read-only gzip bomb at its small cap while inflating: 4 in parallel cost the endpoint no memory', async () => {
    const bomb = await gzipBomb(257 * MiB);
    const peakBefore = procStatusKb('VmHWM');
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => send('readonly', '/', { body: bomb, headers: { 'content-encoding': 'gzip' } })),
    );
    const growthMiB = (procStatusKb('VmHWM') - peakBefore) / 1024;
    console.warn(`4 read-only gzip bombs (257 MiB inflated each): endpoint peak RSS +${growthMiB.toFixed(1)} MiB`);
    for (const answer of answers) {
      expect([answer.status, answer.code], answer.text).toEqual([413, '229']);
      expect(answer.ms).toBeLessThan(5000);
    }
    expect(growthMiB, `peak RSS grew by ${growthMiB.toFixed(1)} MiB`).toBeLessThan(24);
  });

  it("enforces the writer's cap the same way, and an unauthenticated bomb is never read", async () => {
    const bomb = await gzipBomb(WRITER_MAX_BODY + 64 * MiB);
    const peakBefore = procStatusKb('VmHWM');
    const insert = `/?query=${encodeURIComponent('INSERT INTO t FORMAT TSV')}`;
    const answer = await send('writer', insert, { body: bomb, headers: { 'content-encoding': 'gzip' } });
    expect([answer.status, answer.code], answer.text).toEqual([413, '229']);
    const stranger = await send('nobody', insert, { body: bomb, headers: { 'content-encoding': 'gzip' } });
    expect([stranger.status, stranger.code]).toEqual([403, '516']);
    const growthMiB = (procStatusKb('VmHWM') - peakBefore) / 1024;
    console.warn(`writer gzip bomb over its ${WRITER_MAX_BODY / MiB} MiB cap: endpoint peak RSS +${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB, `peak RSS grew by ${growthMiB.toFixed(1)} MiB`).toBeLessThan(WRITER_MAX_BODY / MiB + 40);
    // Under the cap, a gzip insert lands.
    const rows = Buffer.from('7\tgz\n');
    const ok = await send('writer', insert, { body: await gzipOf(rows), headers: { 'content-encoding': 'gzip' } });
    expect(ok.status, ok.text).toBe(200);
  });
});

async function gzipOf(data: Buffer): Promise<Buffer> {
  const { gzipSync } = await import('node:zlib');
  return gzipSync(data);
}
