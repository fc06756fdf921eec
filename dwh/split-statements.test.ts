import { describe, expect, it } from 'vitest';
import { splitStatements } from './split-statements.ts';

describe('splitStatements', () => {
  it('splits at semicolons and drops comment-only fragments and leading comments', () => {
    const sql = `-- header\n-- more\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n/* block */\nSELECT 1;\n-- trailing note\n`;
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x UInt8) ENGINE = Memory', 'SELECT 1']);
  });

  it('ignores semicolons inside strings, identifiers and comments', () => {
    const sql = `SELECT 'a;b', "c;d", \`e;f\`, 'it''s; fine', 'esc\\'; ok' -- x; y\nFROM t /* ; */;SELECT 2`;
    expect(splitStatements(sql)).toEqual([
      `SELECT 'a;b', "c;d", \`e;f\`, 'it''s; fine', 'esc\\'; ok' -- x; y\nFROM t /* ; */`,
      'SELECT 2',
    ]);
  });

  it('keeps a last statement without a semicolon and returns nothing for comments only', () => {
    expect(splitStatements('SELECT 1')).toEqual(['SELECT 1']);
    expect(splitStatements('-- nothing here\n/* at all */\n')).toEqual([]);
  });

  it('reads comments and literals like the engine: nested block comments, # comments, heredocs', () => {
    const sql = `/* outer /* inner; */ still comment; */ SELECT 1;\n# note; here\nSELECT $$a;b$$;SELECT $t$x;y$t$`;
    expect(splitStatements(sql)).toEqual(['SELECT 1', 'SELECT $$a;b$$', 'SELECT $t$x;y$t$']);
  });
});
