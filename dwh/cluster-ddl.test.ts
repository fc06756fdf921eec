import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICATED_PATH_PREFIX, renderForCluster } from './cluster-ddl.ts';
import { MigrationInvalidError } from './errors.ts';
import { bindDatabase, loadMigrations } from './load-migrations.ts';
import { schemaMigrationsTableDdl } from './schema-migrations.ts';

const CLUSTER = 'oracul_cluster';
const MIGRATIONS = loadMigrations();
const STATEMENTS = MIGRATIONS.flatMap((m) => m.statements.map((statement, i) => ({ id: `${m.file}#${i + 1}`, statement })));
const ENGINE = /\bENGINE\s*=\s*([A-Za-z]+)/g;
const MERGE_TREE = /MergeTree$/;

/** The real engine parses each rendered statement (formatQuery parses without executing: no Keeper needed). */
let dir: string;
let client: ClickHouseClient;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oracul-cluster-ddl-'));
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>;
  client = createClient({ connection });
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function parse(sql: string): Promise<string> {
  const rs = await client.query({
    query: 'SELECT formatQuery({q:String}) AS f',
    query_params: { q: sql },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ f: string }>();
  return row!.f;
}

describe('renderForCluster, single server', () => {
  it('returns every migration statement unchanged (byte-identical local DDL)', () => {
    expect(STATEMENTS.length).toBeGreaterThan(10);
    for (const { statement } of STATEMENTS) {
      expect(renderForCluster(statement, {})).toBe(statement);
      expect(renderForCluster(statement, { cluster: '' })).toBe(statement);
      expect(renderForCluster(statement, { cluster: undefined })).toBe(statement);
    }
    expect(schemaMigrationsTableDdl('oracul')).toContain('ENGINE = ReplacingMergeTree(applied_at)');
    expect(schemaMigrationsTableDdl('oracul')).not.toContain('CLUSTER');
  });
});

describe('renderForCluster, cluster mode', () => {
  it('every CREATE/ALTER/DROP of every migration gets ON CLUSTER and every MergeTree-family engine becomes Replicated', async () => {
    let engines = 0;
    let ddl = 0;
    for (const { id, statement } of STATEMENTS) {
      const rendered = renderForCluster(statement, { cluster: CLUSTER });
      // Data statements (backfills) replicate through the engine: rendered unchanged.
      if (/^INSERT\b/i.test(statement)) {
        expect(rendered, id).toBe(statement);
        continue;
      }
      const head = /^(CREATE|ALTER|DROP)\s+.*?\{\{database\}\}\.([a-z0-9_]+)/is.exec(statement);
      expect(head, id).not.toBeNull();
      const table = head![2]!;
      ddl += 1;
      // ON CLUSTER right after the object name.
      expect(rendered, id).toContain(`{{database}}.${table} ON CLUSTER \`${CLUSTER}\``);

      const before = [...statement.matchAll(ENGINE)].map((m) => m[1]!).filter((e) => MERGE_TREE.test(e));
      const after = [...rendered.matchAll(ENGINE)].map((m) => m[1]!);
      expect(after.length, id).toBe([...statement.matchAll(ENGINE)].length);
      for (const [i, family] of before.entries()) {
        expect(after[i], id).toBe(`Replicated${family}`);
        engines += 1;
      }
      expect(
        after.filter((e) => MERGE_TREE.test(e) && !e.startsWith('Replicated')),
        id,
      ).toEqual([]);
      if (before.length > 0) expect(rendered, id).toContain(`('${REPLICATED_PATH_PREFIX}/${table}', '{replica}'`);

      // Outside the head and the ENGINE clause nothing changed.
      const strip = (s: string) => s.replace(/ ON CLUSTER `[^`]+`/, '').replace(/ENGINE = [^\n]*/g, 'ENGINE');
      expect(strip(rendered), id).toBe(strip(statement));

      // ClickHouse parses the bound statement, and its own formatting keeps ON CLUSTER and the Replicated engine.
      const formatted = await parse(bindDatabase(rendered, 'oracul'));
      expect(formatted, id).toContain(`ON CLUSTER ${CLUSTER}`);
      for (const family of before) expect(formatted, id).toContain(`Replicated${family}('${REPLICATED_PATH_PREFIX}/${table}'`);
    }
    expect(ddl).toBe(STATEMENTS.filter((s) => !/^INSERT\b/i.test(s.statement)).length);
    expect(engines).toBe(STATEMENTS.filter((s) => /ENGINE\s*=\s*\w*MergeTree/.test(s.statement)).length);
  });

  it('keeps the engine arguments after the Keeper path and replica', () => {
    const raw = STATEMENTS.find((s) => s.statement.includes('.raw_blocks\n'))!.statement;
    expect(renderForCluster(raw, { cluster: CLUSTER })).toContain(
      `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/raw_blocks', '{replica}', version, is_orphaned)\nPARTITION BY`,
    );
    const bare = STATEMENTS.find((s) => s.statement.includes('.erc20_transfers_late\n'))!.statement;
    expect(renderForCluster(bare, { cluster: CLUSTER })).toContain(
      `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/erc20_transfers_late', '{replica}')\nPARTITION BY`,
    );
  });

  it('renders the database, the history table and other DDL forms', async () => {
    expect(renderForCluster('CREATE DATABASE IF NOT EXISTS `oracul`', { cluster: CLUSTER })).toBe(
      'CREATE DATABASE IF NOT EXISTS `oracul` ON CLUSTER `oracul_cluster`',
    );
    const history = schemaMigrationsTableDdl('oracul', CLUSTER);
    expect(history).toContain('`oracul`.schema_migrations ON CLUSTER `oracul_cluster`');
    expect(history).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/schema_migrations', '{replica}', applied_at)",
    );
    const cases: [string, string][] = [
      ['ALTER TABLE {{database}}.t ADD COLUMN IF NOT EXISTS x UInt8', 'ALTER TABLE {{database}}.t ON CLUSTER `c` ADD COLUMN'],
      ['DROP TABLE IF EXISTS {{database}}.t', 'DROP TABLE IF EXISTS {{database}}.t ON CLUSTER `c`'],
      ['DROP VIEW IF EXISTS {{database}}.v', 'DROP VIEW IF EXISTS {{database}}.v ON CLUSTER `c`'],
      ['TRUNCATE TABLE IF EXISTS {{database}}.t', 'TRUNCATE TABLE IF EXISTS {{database}}.t ON CLUSTER `c`'],
      ['RENAME TABLE {{database}}.a TO {{database}}.b', 'RENAME TABLE {{database}}.a TO {{database}}.b ON CLUSTER `c`'],
      [
        'CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.mv ENGINE = SummingMergeTree((a, b)) ORDER BY k AS SELECT 1',
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.mv ON CLUSTER `c` ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/mv', '{replica}', (a, b)) ORDER BY k",
      ],
      [
        'create table `db`.`t` (a UInt8) engine = MergeTree order by a',
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}') order by a",
      ],
    ];
    for (const [statement, expected] of cases) {
      const rendered = renderForCluster(statement, { cluster: 'c' });
      expect(rendered).toContain(expected);
      await parse(bindDatabase(rendered, 'oracul'));
    }
    // Data statements replicate through the engine: unchanged.
    const insert = 'INSERT INTO {{database}}.t SELECT 1';
    expect(renderForCluster(insert, { cluster: 'c' })).toBe(insert);
    // Already replicated or not a MergeTree: the engine stays.
    const log = 'CREATE TABLE IF NOT EXISTS {{database}}.l (a UInt8) ENGINE = Log';
    expect(renderForCluster(log, { cluster: 'c' })).toBe(
      'CREATE TABLE IF NOT EXISTS {{database}}.l ON CLUSTER `c` (a UInt8) ENGINE = Log',
    );
  });

  it('refuses statements it cannot place ON CLUSTER, a cluster named in a migration, and a bad cluster name', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(MigrationInvalidError);
        return (error as MigrationInvalidError).code;
      }
      return 'no error';
    };
    expect(code(() => renderForCluster('DETACH TABLE {{database}}.t', { cluster: 'c' }))).toBe('ORACUL_MIGRATION_INVALID');
    expect(
      code(() => renderForCluster('CREATE TABLE {{database}}.t ON CLUSTER x (a UInt8) ENGINE = Log', { cluster: 'c' })),
    ).toBe('ORACUL_MIGRATION_INVALID');
    expect(code(() => renderForCluster('CREATE TABLE {{database}}.t (a UInt8) ENGINE = Log', { cluster: 'a; DROP' }))).toBe(
      'ORACUL_MIGRATION_INVALID',
    );
  });
});
