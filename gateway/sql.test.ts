import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQL } from './sql.ts';

const GATEWAY_DIR = import.meta.dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const SQL_WORD = /\b(SELECT|INSERT|ALTER|DROP|DELETE|UPDATE|FROM|WHERE|ORDER BY|LIMIT)\b/;

describe('no string-built SQL in gateway/', () => {
  const files = sourceFiles(GATEWAY_DIR).map((path) => ({ path: relative(GATEWAY_DIR, path), text: readFileSync(path, 'utf8') }));

  it('finds the gateway sources', () => {
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['sql.ts', 'warehouse.ts', 'builder.ts', 'schema/index.ts', 'schema/anomalies.ts', 'server.ts']),
    );
  });

  it('no template literal that looks like SQL interpolates a value', () => {
    const offenders: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(/`([^`]*)`/g)) {
        const body = match[1]!;
        if (body.includes('${') && SQL_WORD.test(body)) offenders.push(`${path}: ${body.slice(0, 80)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no SQL-looking string is concatenated with +', () => {
    const offenders: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(/(['"`])((?:(?!\1).)*)\1\s*\+|\+\s*(['"`])((?:(?!\3).)*)\3/g)) {
        const literal = match[2] ?? match[4] ?? '';
        if (SQL_WORD.test(literal)) offenders.push(`${path}: ${match[0].slice(0, 80)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every query sent to ClickHouse is a constant of gateway/sql.ts, sent with query_params', () => {
    const calls: string[] = [];
    for (const { path, text } of files) {
      for (const match of text.matchAll(/\.(query|command|exec|insert)\(\s*\{([^}]*)/g))
        calls.push(`${path}: ${match[0].replace(/\s+/g, ' ')}`);
    }
    // The call sites, in WarehouseReader: the statement by name (the day-range reads' with its output format), the
    // values as parameters; the day-range reads go out through gateway/text-statements.ts the same way.
    expect(calls).toEqual([
      "warehouse.ts: .query({ query: SQL[name], query_params: params, format: 'JSONEachRow', ...BUFFERED ",
      'warehouse.ts: .exec({ query: SQL[name] + TAB_SEPARATED_RAW, query_params: params, ...BUFFERED ',
    ]);
    const sends = files.flatMap(({ path, text }) => [...text.matchAll(/\bsend\(SQL[^)]*\)/g)].map((m) => `${path}: ${m[0]}`));
    expect(sends).toEqual(['warehouse.ts: send(SQL[name] + TAB_SEPARATED_RAW, params)']);
  });

  it('gateway/sql.ts holds only constant statements whose values are {name:Type} placeholders', () => {
    const text = readFileSync(join(GATEWAY_DIR, 'sql.ts'), 'utf8');
    expect(text).not.toContain('${');
    for (const [name, statement] of Object.entries(SQL)) {
      expect(statement, name).not.toMatch(/\b(INSERT|ALTER|DROP|DELETE|UPDATE|CREATE|TRUNCATE|SYSTEM)\b/);
      // Every comparison against a value uses a placeholder: no quoted literal except the empty-string sentinel.
      const literals = [...statement.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(
        literals.every((l) => l === '' || l === 'UTC'),
        `${name}: ${literals.join(',')}`,
      ).toBe(true);
    }
  });
});
