import type { ClickHouseClient } from '@clickhouse/client';
import { renderForCluster } from './cluster-ddl.ts';
import { quoteIdentifier } from './load-migrations.ts';

/** The history table, created by the runner (not by a migration) so it exists before the first one. */
export const SCHEMA_MIGRATIONS_TABLE = 'schema_migrations';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  /** 'YYYY-MM-DD hh:mm:ss.sss' UTC. */
  appliedAt: string;
  durationMs: number;
}

export async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM system.databases WHERE name = {database:String}',
    query_params: { database },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

export async function tableExists(client: ClickHouseClient, database: string, table: string): Promise<boolean> {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {database:String} AND name = {table:String}',
    query_params: { database, table },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

/** The history table's DDL; with a cluster, ON CLUSTER and ReplicatedReplacingMergeTree like the migrations. */
export function schemaMigrationsTableDdl(database: string, cluster?: string): string {
  return renderForCluster(
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${SCHEMA_MIGRATIONS_TABLE}
(
    version     UInt32,
    name        String,
    checksum    String COMMENT 'sha256 of the migration file',
    applied_at  DateTime64(3, 'UTC'),
    duration_ms UInt32
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
COMMENT 'Applied dwh/migrations, written by oracul migrate'`,
    { cluster },
  );
}

export async function ensureSchemaMigrationsTable(client: ClickHouseClient, database: string, cluster?: string): Promise<void> {
  await client.command({ query: schemaMigrationsTableDdl(database, cluster) });
}

/** Applied migrations by version; empty when the history table does not exist yet. */
export async function readAppliedMigrations(client: ClickHouseClient, database: string): Promise<Map<number, AppliedMigration>> {
  if (!(await tableExists(client, database, SCHEMA_MIGRATIONS_TABLE))) return new Map();
  const rs = await client.query({
    query: `SELECT version, name, checksum, toString(applied_at) AS applied_at, duration_ms
FROM ${quoteIdentifier(database)}.${SCHEMA_MIGRATIONS_TABLE} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    version: number | string;
    name: string;
    checksum: string;
    applied_at: string;
    duration_ms: number | string;
  }>();
  return new Map(
    rows.map((r) => [
      Number(r.version),
      {
        version: Number(r.version),
        name: r.name,
        checksum: r.checksum,
        appliedAt: r.applied_at,
        durationMs: Number(r.duration_ms),
      },
    ]),
  );
}

export async function recordMigration(
  client: ClickHouseClient,
  database: string,
  row: { version: number; name: string; checksum: string; appliedAtMs: number; durationMs: number },
): Promise<void> {
  await client.insert({
    table: `${quoteIdentifier(database)}.${SCHEMA_MIGRATIONS_TABLE}`,
    values: [
      { version: row.version, name: row.name, checksum: row.checksum, applied_at: row.appliedAtMs, duration_ms: row.durationMs },
    ],
    format: 'JSONEachRow',
  });
}
