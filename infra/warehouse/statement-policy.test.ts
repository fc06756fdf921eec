import { describe, expect, it } from 'vitest';
import { WarehouseError } from './errors.ts';
import { analyzeStatement } from './sql-scanner.ts';
import { ENGINE_TABLE_FUNCTIONS, StatementPolicy, type PolicyUser } from './statement-policy.ts';

const writer: PolicyUser = { name: 'oracul', role: 'writer' };
const reader: PolicyUser = { name: 'oracul_ro', role: 'readonly' };
const policy = new StatementPolicy();

/** The ClickHouse code a statement is refused with, or 'ok'. */
function verdict(sql: string, user: PolicyUser = writer): number | 'ok' {
  try {
    policy.assertStatement(analyzeStatement(sql), user);
    return 'ok';
  } catch (error) {
    if (!(error instanceof WarehouseError)) throw error;
    expect(error.code).toBe('ORACUL_WAREHOUSE_REFUSED');
    return error.clickhouseCode;
  }
}

describe('analyzeStatement: what the policy checks', () => {
  it('finds calls however they are spelled, and not in literals or comments', () => {
    const info = analyzeStatement(
      "SELECT format('{}', 1), x FROM `file` ('a') JOIN \"url\"/**/('b') USING k WHERE s = 'file(' -- s3(\n AND y IN (SELECT * FROM FiLe\n(1))",
    );
    // Keywords before a parenthesis count too (`IN (`): harmless, they are no table function's name.
    expect(info.calls).toEqual(['format', 'file', 'url', 'IN', 'FiLe']);
  });

  it('finds engines, assigned settings, the object type and ATTACH FROM a path', () => {
    const create = analyzeStatement(
      "CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE=ReplacingMergeTree ORDER BY a SETTINGS index_granularity = 8192, disk = disk(type = local, path = '/'), x = -1",
    );
    expect(create.engines).toEqual(['ReplacingMergeTree']);
    expect(create.settingNames).toEqual(['index_granularity', 'disk', 'x']);
    expect(create.objectType).toBe('TABLE');
    expect(analyzeStatement('CREATE OR REPLACE DICTIONARY d (k UInt64) PRIMARY KEY k').objectType).toBe('DICTIONARY');
    expect(analyzeStatement("CREATE DATABASE fs ENGINE = Filesystem('/')").engines).toEqual(['Filesystem']);
    expect(analyzeStatement('SET max_threads = 64, max_memory_usage = 0').settingNames).toEqual([
      'max_threads',
      'max_memory_usage',
    ]);
    expect(analyzeStatement('SELECT 1 FROM t SETTINGS max_threads = [1][1]').settingNames).toEqual(['max_threads']);
    expect(analyzeStatement('SELECT name FROM system.settings WHERE name = 1').settingNames).toEqual([]);
    expect(analyzeStatement("ATTACH TABLE t FROM '/var/lib/x' (a UInt8) ENGINE = MergeTree ORDER BY a").attachFromPath).toBe(
      true,
    );
    expect(analyzeStatement('ATTACH TABLE t').attachFromPath).toBe(false);
  });
});

describe('StatementPolicy', () => {
  it('refuses every known table function but the generators, for both roles (ACCESS_DENIED, 497)', () => {
    const allowed = new Set([
      'numbers',
      'numbers_mt',
      'zeros',
      'zeros_mt',
      'generateSeries',
      'generate_series',
      'values',
      'format',
    ]);
    for (const name of ENGINE_TABLE_FUNCTIONS) {
      for (const user of [writer, reader]) {
        expect([name, verdict(`SELECT * FROM ${name}('x')`, user)]).toEqual([name, allowed.has(name) ? 'ok' : 497]);
      }
    }
  });

  it('refuses them in every position and spelling', () => {
    for (const sql of [
      "SELECT * FROM t JOIN file('/etc/passwd', 'LineAsString') AS f ON 1",
      "WITH x AS (SELECT * FROM url('http://127.0.0.1:9092')) SELECT * FROM x",
      "SELECT (SELECT count() FROM s3('http://127.0.0.1/b'))",
      "INSERT INTO FUNCTION file('/tmp/x', 'TSV', 'a String') SELECT 'x'",
      "INSERT INTO TABLE FUNCTION remote('127.0.0.1:9000', system.one) SELECT 1",
      "SELECT * FROM FiLe ('/etc/passwd')",
      "SELECT * FROM `file`('/etc/passwd')",
      "SELECT * FROM file/**/('/etc/passwd')",
      "SELECT file('/proc/self/environ')",
      "SELECT arrayMap(file, ['/etc/passwd'])",
      "SELECT arrayMap(`FILE`, ['/etc/passwd'])",
      'SELECT * FROM view(SELECT * FROM numbers(1))',
      "DESCRIBE TABLE executable('x.sh', 'TSV', 'a String')",
      "CREATE TABLE t AS mysql('127.0.0.1:3306', 'd', 't', 'u', 'p')",
    ]) {
      expect([sql, verdict(sql)]).toEqual([sql, 497]);
    }
  });

  it('takes what the pipeline, migrations and clients run', () => {
    for (const sql of [
      'SELECT toString(number) AS n FROM numbers(10, 5) WHERE number NOT IN (SELECT block_number FROM raw_blocks FINAL)',
      "INSERT INTO t (a, b) VALUES (1, 'x'), (2, format('{}', 3))",
      'CREATE TABLE IF NOT EXISTS db.t (a UInt256) ENGINE = ReplacingMergeTree(version) ORDER BY a',
      "CREATE TABLE t (a UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}') ORDER BY a",
      'CREATE TABLE t (a UInt8) ENGINE = Memory',
      'CREATE DATABASE IF NOT EXISTS oracul ENGINE = Atomic',
      'CREATE MATERIALIZED VIEW mv ENGINE = SummingMergeTree ORDER BY a AS SELECT a FROM t',
      'OPTIMIZE TABLE t FINAL',
      "SELECT name, engine FROM system.tables WHERE engine = 'File'",
    ]) {
      expect([sql, verdict(sql)]).toEqual([sql, 'ok']);
    }
  });

  it('refuses engines, dictionaries, ATTACH FROM a path, SYSTEM and BACKUP/RESTORE that reach the host', () => {
    for (const sql of [
      "CREATE TABLE t (a String) ENGINE = File(TSV, '/etc/passwd')",
      "CREATE TABLE t (a String) ENGINE = URL('http://127.0.0.1:8081/', TSV)",
      'CREATE TABLE t (a String) ENGINE = Distributed(default, system, one)',
      "CREATE TABLE t (a String) ENGINE = EmbeddedRocksDB(0, '/tmp/x') PRIMARY KEY a",
      "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = local, path = '/etc/')",
      "CREATE DATABASE fs ENGINE = Filesystem('/')",
      "CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(FILE(path '/etc/passwd' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
      "CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(HTTP(url 'http://127.0.0.1:8081' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
      "ATTACH TABLE t FROM '/var/lib/other' (a UInt8) ENGINE = MergeTree ORDER BY a",
      'SYSTEM SHUTDOWN',
      'system reload config',
      "BACKUP TABLE t TO File('/tmp/b')",
      "RESTORE TABLE t FROM Disk('default', 'b')",
      "SELECT 1 SETTINGS format_template_row = '/etc/passwd'",
      "SET input_format_record_errors_file_path = '/tmp/x'",
    ]) {
      expect([sql, verdict(sql)]).toEqual([sql, 497]);
    }
  });

  it('refuses every setting change of the read-only user (READONLY, 164)', () => {
    expect(verdict('SELECT 1 SETTINGS max_threads = 64', reader)).toBe(164);
    expect(verdict('SET max_execution_time = 0', reader)).toBe(164);
    expect(verdict('SELECT 1 SETTINGS max_threads = 64', writer)).toBe('ok');
  });

  it("checks the rows of INSERT ... FORMAT Values, which the engine evaluates, and no other format's", () => {
    const rows = Buffer.from("(1, 'file(x)'), (2, FILE ('/etc/passwd'))");
    expect(() => policy.assertInsertData('Values', rows, writer)).toThrow(/Not enough privileges/);
    const byName = Buffer.from("(1, arrayMap(file, ['/etc/passwd']))");
    expect(() => policy.assertInsertData('Values', byName, writer)).toThrow(/Not enough privileges/);
    expect(() => policy.assertInsertData('VALUES', Buffer.from("(1, format('{}', 2))"), writer)).not.toThrow();
    expect(() => policy.assertInsertData('JSONEachRow', rows, writer)).not.toThrow();
  });

  it("also refuses a table function only the running engine's list names", () => {
    const newer = new StatementPolicy(['someNewLake']);
    expect(() => newer.assertStatement(analyzeStatement("SELECT * FROM someNewLake('x')"), writer)).toThrow(/someNewLake/);
  });
});
