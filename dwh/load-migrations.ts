import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationInvalidError } from './errors.ts';
import { splitStatements } from './split-statements.ts';

/** dwh/migrations: `NNNN_snake_case_name.sql`, applied in version order. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Migrations name tables as `{{database}}.table`; the runner substitutes the
 * target database, so one file serves every environment and test database.
 */
export const DATABASE_PLACEHOLDER = '{{database}}';

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  /** sha256 (hex) of the file with line endings normalised, so a CRLF checkout is not a change. */
  checksum: string;
  statements: string[];
}

/** Reads and validates every migration in `dir`, ordered by version. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const migrations: MigrationFile[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const match = FILE_NAME.exec(file);
    if (!match)
      throw new MigrationInvalidError(`${file}: migration files are named NNNN_snake_case_name.sql`, { details: { file } });
    const sql = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    const duplicate = migrations.find((m) => m.version === version);
    if (duplicate) {
      throw new MigrationInvalidError(`${file} and ${duplicate.file} share version ${version}`, { details: { version } });
    }
    const statements = splitStatements(sql);
    if (statements.length === 0) throw new MigrationInvalidError(`${file} has no statements`, { details: { file } });
    migrations.push({ version, name: match[2]!, file, checksum: sha256(sql), statements });
  }
  return migrations;
}

/** A statement with `{{database}}` replaced by the (validated, backquoted) database name. */
export function bindDatabase(statement: string, database: string): string {
  return statement.replaceAll(DATABASE_PLACEHOLDER, quoteIdentifier(database));
}

/** Backquotes a database or table name after checking it is a plain identifier (no injection through config). */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new MigrationInvalidError(`invalid identifier ${JSON.stringify(name)}: expected letters, digits and _`, {
      details: { name },
    });
  }
  return `\`${name}\``;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
