import type { ClickHouseClient } from '@clickhouse/client';
import { OraculError, ServiceUnhealthyError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { MigrationChecksumMismatchError, MigrationFailedError, type MigrationInvalidError } from './errors.ts';
import { renderForCluster } from './cluster-ddl.ts';
import { bindDatabase, loadMigrations, quoteIdentifier } from './load-migrations.ts';
import { diffMigrations } from './migration-status.ts';
import { ensureSchemaMigrationsTable, readAppliedMigrations, recordMigration } from './schema-migrations.ts';
import { seedTokens, TOKEN_SEED_FILE } from './seed-tokens.ts';

export interface MigrateParameters {
  /** A client NOT bound to `database` (createWarehouseClient({ withoutDatabase: true })): the database may not exist yet. */
  client: ClickHouseClient;
  database: string;
  logger: Logger;
  /** Default dwh/migrations. */
  migrationsDir?: string;
  /** Token seed CSV loaded into `tokens` after the migrations; false skips it. Default dwh/seeds/erc20_token_metadata.csv. */
  tokenSeedFile?: string | false;
  /**
   * `clickhouse.cluster`: when set, every DDL statement runs ON CLUSTER and MergeTree engines become
   * Replicated (dwh/cluster-ddl.ts, docs/adr/0007-clickhouse-cluster-ddl.md). Empty: single server.
   */
  cluster?: string | undefined;
}

export interface MigrateReturnType {
  applied: { version: number; name: string; durationMs: number }[];
  /** Migrations that were already applied and left alone. */
  alreadyApplied: number;
  /** Seed rows inserted into `tokens` (0 when nothing changed). */
  seededTokens: number;
}

export type MigrateErrorType =
  MigrationChecksumMismatchError | MigrationInvalidError | MigrationFailedError | ServiceUnhealthyError;

/**
 * Brings `database` up to date: creates it if missing, creates `schema_migrations`,
 * refuses to run when an applied migration's file has changed, applies pending
 * migrations in version order (statement by statement, recording each migration
 * once all its statements succeeded), then upserts the token seed. Idempotent:
 * a second run applies and inserts nothing. Statements are written idempotently
 * (IF NOT EXISTS), so a run interrupted mid-migration can simply be repeated.
 * Run it from one process at a time (ClickHouse has no DDL transactions or locks).
 * @example
 * const client = createWarehouseClient({ config, withoutDatabase: true });
 * await migrate({ client, database: config.clickhouse.database, logger });
 */
export async function migrate(params: MigrateParameters): Promise<MigrateReturnType> {
  const { client, database, logger } = params;
  const cluster = { cluster: params.cluster };
  const files = loadMigrations(params.migrationsDir);
  const quoted = quoteIdentifier(database);

  await run(() => client.command({ query: renderForCluster(`CREATE DATABASE IF NOT EXISTS ${quoted}`, cluster) }), {
    database,
    step: 'create database',
  });
  await run(() => ensureSchemaMigrationsTable(client, database, params.cluster), { database, step: 'create schema_migrations' });
  const applied = await run(() => readAppliedMigrations(client, database), { database, step: 'read schema_migrations' });

  const entries = diffMigrations(files, applied);
  const changed = entries.filter((e) => e.state === 'changed');
  if (changed.length > 0) {
    const list = changed.map((e) => `${String(e.version).padStart(4, '0')}_${e.name}`).join(', ');
    throw new MigrationChecksumMismatchError(
      `applied migration${changed.length > 1 ? 's' : ''} ${list} changed since applied to ${database}; add a new migration instead of editing one`,
      {
        details: {
          database,
          migrations: changed.map((e) => ({ version: e.version, applied: e.appliedChecksum, file: e.checksum })),
        },
      },
    );
  }
  for (const unknown of entries.filter((e) => e.state === 'unknown')) {
    // Newer code applied it; older code keeps working on a superset, so this only warns (rollbacks must still start).
    logger.warn({ msg: 'applied migration has no file here', database, version: unknown.version, name: unknown.name });
  }

  const pending = files.filter((f) => !applied.has(f.version));
  const maxApplied = Math.max(0, ...applied.keys());
  const result: MigrateReturnType = { applied: [], alreadyApplied: files.length - pending.length, seededTokens: 0 };
  for (const migration of pending) {
    if (migration.version < maxApplied) {
      logger.warn({
        msg: 'applying a migration older than the latest applied one',
        database,
        version: migration.version,
        latest: maxApplied,
      });
    }
    const started = performance.now();
    for (const [index, statement] of migration.statements.entries()) {
      await run(() => client.command({ query: bindDatabase(renderForCluster(statement, cluster), database) }), {
        database,
        step: `migration ${migration.file}, statement ${index + 1}/${migration.statements.length}`,
        version: migration.version,
        statement: statement.slice(0, 200),
      });
    }
    const durationMs = Math.round(performance.now() - started);
    await run(
      () =>
        recordMigration(client, database, {
          version: migration.version,
          name: migration.name,
          checksum: migration.checksum,
          appliedAtMs: Date.now(),
          durationMs,
        }),
      { database, step: `record ${migration.file}` },
    );
    logger.info({
      msg: 'migration applied',
      database,
      version: migration.version,
      name: migration.name,
      duration_ms: durationMs,
    });
    result.applied.push({ version: migration.version, name: migration.name, durationMs });
  }

  if (params.tokenSeedFile !== false) {
    const file = params.tokenSeedFile ?? TOKEN_SEED_FILE;
    const seeded = await run(() => seedTokens({ client, database, file }), { database, step: 'seed tokens' });
    result.seededTokens = seeded.inserted;
    if (seeded.inserted > 0)
      logger.info({ msg: 'token seed loaded', database, inserted: seeded.inserted, unchanged: seeded.unchanged });
  }
  logger.info({ msg: 'database up to date', database, applied: result.applied.length, already_applied: result.alreadyApplied });
  return result;
}

// Node socket errors and the client's request timeout: the server was not reached, so retrying later may work.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function isUnreachable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || (typeof message === 'string' && /^Timeout error/.test(message))
  );
}

/** Our errors pass through; an unreachable server is retryable; anything the server answered is MigrationFailedError. */
async function run<T>(step: () => Promise<T>, context: Record<string, unknown> & { step: string }): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof OraculError) throw error;
    const message = `${context.step}: ${(error as Error)?.message ?? String(error)}`;
    if (isUnreachable(error)) throw new ServiceUnhealthyError('clickhouse', message, { cause: error, details: context });
    // ClickHouse exceptions carry the server's numeric code (e.g. 50 UNKNOWN_TYPE) and its name.
    const { code, type } = error as { code?: unknown; type?: unknown };
    throw new MigrationFailedError(message, {
      cause: error,
      details: { ...context, clickhouse_code: code, clickhouse_error: type },
    });
  }
}
