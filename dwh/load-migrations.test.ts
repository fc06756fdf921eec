import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindDatabase, DATABASE_PLACEHOLDER, loadMigrations, sha256 } from './load-migrations.ts';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

describe('loadMigrations', () => {
  it('orders by version and checksums the file with normalised line endings', () => {
    const migrations = loadMigrations(dirWith({ '0002_b.sql': 'SELECT 2;\r\nSELECT 3;\r\n', '0001_a.sql': 'SELECT 1;' }));
    expect(migrations.map((m) => [m.version, m.name, m.statements.length])).toEqual([
      [1, 'a', 1],
      [2, 'b', 2],
    ]);
    expect(migrations[1]!.checksum).toBe(sha256('SELECT 2;\nSELECT 3;\n'));
  });

  it.each([
    [{ '1_a.sql': 'SELECT 1' }, /named NNNN_snake_case_name\.sql/],
    [{ '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 2' }, /share version 1/],
    [{ '0001_a.sql': '-- only a comment' }, /has no statements/],
  ])('rejects malformed migration sets (%#)', (files, message) => {
    expect(() => loadMigrations(dirWith(files))).toThrow(message);
  });

  it('binds the database as a quoted identifier and refuses anything else', () => {
    expect(bindDatabase(`CREATE TABLE ${DATABASE_PLACEHOLDER}.t`, 'oracul_test')).toBe('CREATE TABLE `oracul_test`.t');
    expect(() => bindDatabase('x', 'a`; DROP DATABASE b')).toThrow(/invalid identifier/);
  });
});

describe('dwh/migrations', () => {
  const migrations = loadMigrations();

  it('are numbered without gaps from 0001', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  it('are idempotent statements on {{database}} objects, so an interrupted run can be repeated', () => {
    for (const m of migrations) {
      for (const statement of m.statements) {
        expect(statement, m.file).toMatch(
          /^(CREATE (TABLE|VIEW|MATERIALIZED VIEW|DICTIONARY) IF NOT EXISTS |ALTER TABLE \S+ (ADD|DROP|MODIFY|COMMENT) (COLUMN|INDEX|PROJECTION) IF (NOT )?EXISTS |DROP (TABLE|VIEW|DICTIONARY) IF EXISTS |INSERT INTO )/,
        );
        expect(statement, m.file).toContain(`${DATABASE_PLACEHOLDER}.`);
        expect(statement, m.file).not.toMatch(/\boracul\./);
      }
    }
  });
});
