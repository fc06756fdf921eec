import type { ClickHouseClient } from '@clickhouse/client';
import { loadMigrations, type MigrationFile } from './load-migrations.ts';
import { databaseExists, readAppliedMigrations, type AppliedMigration } from './schema-migrations.ts';

/**
 * applied: recorded with the file's checksum. pending: not applied yet.
 * changed: applied, but the file differs from what was applied (migrate refuses to run).
 * unknown: recorded in the database, but no file has that version (newer code applied it).
 */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'unknown';

export interface MigrationStatusEntry {
  version: number;
  name: string;
  state: MigrationState;
  /** Checksum of the file (of the applied file, for `unknown`). */
  checksum: string;
  appliedChecksum?: string;
  appliedAt?: string;
  durationMs?: number;
}

/** Compares migration files with the applied history; pure, shared by `migrate` and `migrate status`. */
export function diffMigrations(files: MigrationFile[], applied: Map<number, AppliedMigration>): MigrationStatusEntry[] {
  const entries: MigrationStatusEntry[] = files.map((file) => {
    const done = applied.get(file.version);
    if (!done) return { version: file.version, name: file.name, state: 'pending', checksum: file.checksum };
    return {
      version: file.version,
      name: file.name,
      state: done.checksum === file.checksum ? 'applied' : 'changed',
      checksum: file.checksum,
      appliedChecksum: done.checksum,
      appliedAt: done.appliedAt,
      durationMs: done.durationMs,
    };
  });
  for (const done of applied.values()) {
    if (!files.some((f) => f.version === done.version)) {
      entries.push({
        version: done.version,
        name: done.name,
        state: 'unknown',
        checksum: done.checksum,
        appliedAt: done.appliedAt,
        durationMs: done.durationMs,
      });
    }
  }
  return entries.sort((a, b) => a.version - b.version);
}

export interface MigrationStatusParameters {
  client: ClickHouseClient;
  database: string;
  migrationsDir?: string;
}

/** Every migration with its state in `database`; a missing database means everything is pending. */
export async function migrationStatus(params: MigrationStatusParameters): Promise<MigrationStatusEntry[]> {
  const files = loadMigrations(params.migrationsDir);
  const applied = (await databaseExists(params.client, params.database))
    ? await readAppliedMigrations(params.client, params.database)
    : new Map<number, AppliedMigration>();
  return diffMigrations(files, applied);
}
