import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChdbNative, type ChdbNative, type NativeHandle } from './engine-binding.ts';
import { inlineQueryParams } from './inline-params.ts';

// The oracle is the engine's own parameter binding: for each type and escaped value (as the HTTP client sends
// it), the inlined statement must return the same bytes, or fail where the engine's binding fails.
const CASES: readonly (readonly [type: string, values: readonly string[]])[] = [
  ['String', ['plain', '', "x' OR 1=1 --", "a\\tb\\\\c\\nd\\'e", '\\N', '\\x41\\0z', 'café ✓ 𝔘', "\\'); DROP TABLE t; --"]],
  ['FixedString(3)', ['abc', 'ab', 'abcd']],
  ['UInt8', ['0', '255', '256', '-1', 'abc', '']],
  ['UInt32', ['7', ' 7', '7 ', '1e3']],
  ['UInt64', ['42', '18446744073709551615', '18446744073709551616', '42abc']],
  ['UInt256', [(2n ** 256n - 1n).toString(), '0']],
  ['Int64', ['-5', '+5', '9223372036854775807']],
  ['Float64', ['1.5', '-0', 'nan', 'inf', '1e300', 'x']],
  ['Decimal(76, 18)', ['1.123456789012345678', '-0.5', '1.1234567890123456789', '']],
  ['Date', ['2025-01-01', '2025-13-01', '2025-01-01x', '20250101', '']],
  ['Date32', ['1925-01-01']],
  ['DateTime', ['2025-01-01 00:00:00', '1700000000', '2025-01-01T00:00:00Z']],
  ["DateTime64(3, 'UTC')", ['2025-01-01 00:00:00.123', '2025-01-01 00:00:00', '1700000000123']],
  ['Bool', ['true', 'false', '1', '0', 'yes']],
  ['UUID', ['61f0c404-5cb3-11e7-907b-a6006ad3dba0', 'nope']],
  ['IPv4', ['127.0.0.1']],
  ['Nullable(String)', ['\\N', 'x', 'NULL']],
  ['Nullable(UInt32)', ['\\N', '5']],
  ['LowCardinality(String)', ['x']],
  ['LowCardinality(Nullable(String))', ['\\N', 'y']],
  ['Array(String)', ["['a\\'b','c']", '[]', "['a\\tb', 'x\\\\y']", "['x'] OR 1", "['é']"]],
  ['Array(UInt32)', ['[1,2,3]', '[1, 2]', '[-1]']],
  ['Array(Nullable(UInt32))', ['[1,NULL]']],
];

let native: ChdbNative;
let connection: NativeHandle;
let dataDir: string;

beforeAll(() => {
  native = loadChdbNative();
  dataDir = mkdtempSync(join(tmpdir(), 'oracul-inline-params-'));
  connection = native.CreateConnection(dataDir);
});

afterAll(() => {
  native.CloseConnection(connection);
  rmSync(dataDir, { recursive: true, force: true });
});

type Outcome = { ok: true; bytes: string } | { ok: false };

async function outcome(sql: string, params?: Record<string, string>): Promise<Outcome> {
  try {
    const result = await native.QueryAsyncConnection(connection, sql, 'JSONEachRow', params);
    return { ok: true, bytes: result.bytes.toString('utf8') };
  } catch {
    return { ok: false };
  }
}

// Texts a CAST reads more leniently than the binding: left to the engine's binding.
const NOT_INLINED: Readonly<Record<string, readonly string[]>> = {
  UInt8: ['abc', ''],
  UInt32: [' 7', '7 ', '1e3'],
  UInt64: ['42abc'],
  Int64: ['+5'],
  Float64: ['x'],
  'Decimal(76, 18)': [''],
  Date: ['2025-01-01x', '20250101', ''],
  DateTime: ['2025-01-01T00:00:00Z'],
};

describe('inlined parameters against the engine binding', () => {
  for (const [type, values] of CASES) {
    it(`${type}: same result as the engine's own binding`, async () => {
      const notInlined: string[] = [];
      for (const value of values) {
        const sql = `SELECT {v:${type}} AS v, toTypeName(v) AS t, {v:${type}} = {v:${type}} AS same`;
        const params = { v: value };
        const inlined = inlineQueryParams(sql, params);
        if (inlined === undefined) {
          notInlined.push(value);
          continue;
        }
        const [bound, literal] = [await outcome(sql, params), await outcome(inlined as string)];
        // A value the engine refuses is refused inlined too; the endpoint then asks the engine's binding for its error.
        if (!bound.ok) expect(literal.ok ? literal.bytes : 'refused', `${type} ${JSON.stringify(value)}`).toBe('refused');
        else expect(literal, `${type} ${JSON.stringify(value)}`).toEqual(bound);
      }
      expect(notInlined).toEqual(NOT_INLINED[type] ?? []);
    });
  }

  it('uses the primary key like a bound parameter', async () => {
    await outcome('CREATE TABLE IF NOT EXISTS k (a String, d Date, x UInt64) ENGINE = MergeTree ORDER BY (a, d)');
    await outcome(
      "INSERT INTO k SELECT toString(number % 1000), toDate('2025-01-01') + number % 300, number FROM numbers(300000)",
    );
    const sql = 'SELECT count() AS c FROM k WHERE a = {a:String} AND d BETWEEN {f:Date} AND {t:Date}';
    const params = { a: '77', f: '2025-02-01', t: '2025-03-01' };
    const explain = await native.QueryAsyncConnection(
      connection,
      `EXPLAIN indexes = 1 ${inlineQueryParams(sql, params) as string}`,
      'TSVRaw',
    );
    expect(explain.bytes.toString()).toMatch(/PrimaryKey[\s\S]*Granules: 1\/\d+/);
    expect(await outcome(inlineQueryParams(sql, params) as string)).toEqual(await outcome(sql, params));
  });
});
