import { describe, expect, it } from 'vitest';
import { analyzeStatement, insertDataStart } from './sql-scanner.ts';

describe('analyzeStatement', () => {
  it('classifies statements by their first keyword', () => {
    expect(analyzeStatement('select 1').kind).toBe('select');
    expect(analyzeStatement('  (SELECT 1)').kind).toBe('select');
    expect(analyzeStatement('WITH 1 AS x SELECT x').kind).toBe('select');
    expect(analyzeStatement('SHOW TABLES').kind).toBe('select');
    expect(analyzeStatement('/* c */ -- c\nINSERT INTO t VALUES (1)').kind).toBe('insert');
    expect(analyzeStatement('CREATE TABLE t (a UInt8) ENGINE=Memory').kind).toBe('ddl');
    expect(analyzeStatement('SET readonly = 0').kind).toBe('set');
    expect(analyzeStatement('SYSTEM FLUSH LOGS').kind).toBe('other');
    expect(analyzeStatement(' -- only a comment\n').empty).toBe(true);
  });

  it('finds the top-level FORMAT clause, keeping the name as written', () => {
    expect(analyzeStatement('SELECT 1 FORMAT JSONEachRow').format).toBe('JSONEachRow');
    expect(analyzeStatement('SELECT 1\n FORMAT `Native`').format).toBe('Native');
    expect(analyzeStatement("SELECT 'FORMAT CSV' AS s").format).toBeUndefined();
    expect(analyzeStatement('SELECT * FROM (SELECT 1 FORMAT CSV)').format).toBeUndefined();
    expect(analyzeStatement('SELECT 1 -- FORMAT CSV').format).toBeUndefined();
  });

  it('stops at the data of INSERT ... FORMAT', () => {
    const sql = 'INSERT INTO t (a, b) FORMAT JSONEachRow\n{"a":"INTO OUTFILE"}';
    const info = analyzeStatement(sql);
    expect(info.format).toBe('JSONEachRow');
    expect(sql.slice(0, info.insertFormatEnd)).toBe('INSERT INTO t (a, b) FORMAT JSONEachRow');
    expect(info.intoOutfile).toBe(false);
    expect(sql.slice(info.insertTailStart, info.insertFormatEnd)).toBe('FORMAT JSONEachRow');
    expect(analyzeStatement('INSERT INTO t VALUES (1)').insertFormatEnd).toBeUndefined();
    const withSettings = 'INSERT INTO f(x) SETTINGS a = 1 FORMAT CSV';
    expect(withSettings.slice(analyzeStatement(withSettings).insertTailStart)).toBe('SETTINGS a = 1 FORMAT CSV');
  });

  it('flags host file clauses outside strings and comments only', () => {
    expect(analyzeStatement("SELECT 1 INTO OUTFILE '/tmp/x'").intoOutfile).toBe(true);
    expect(analyzeStatement("select 1 into   outfile '/tmp/x' format CSV").intoOutfile).toBe(true);
    expect(analyzeStatement("SELECT 'INTO OUTFILE'").intoOutfile).toBe(false);
    expect(analyzeStatement('SELECT 1 /* INTO OUTFILE */').intoOutfile).toBe(false);
    expect(analyzeStatement("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT CSV").fromInfile).toBe(true);
  });

  it('handles escapes, doubled quotes, heredocs and nested comments', () => {
    expect(analyzeStatement("SELECT 'it\\'s', 'a''b' FORMAT CSV").format).toBe('CSV');
    expect(analyzeStatement('SELECT $$ FORMAT JSON $$ FORMAT TSV').format).toBe('TSV');
    expect(analyzeStatement('/* a /* nested */ FORMAT JSON */ SELECT 1').format).toBeUndefined();
  });
});

describe('insertDataStart', () => {
  it('skips blanks and exactly one line break after the format name', () => {
    expect(insertDataStart('X FORMAT Native\n\nrest', 15)).toBe(16);
    expect(insertDataStart('X FORMAT CSV \r\n1,2', 12)).toBe(15);
    expect(insertDataStart('X FORMAT CSV 1,2', 12)).toBe(13);
  });
});

describe('multi-statements', () => {
  it('are detected after a top-level semicolon only', () => {
    expect(analyzeStatement('SELECT 1;').multiStatement).toBe(false);
    expect(analyzeStatement('SELECT 1; -- trailing comment\n').multiStatement).toBe(false);
    expect(analyzeStatement("SELECT ';', 'a;b'").multiStatement).toBe(false);
    expect(analyzeStatement('SELECT 1; SET readonly = 0').multiStatement).toBe(true);
    expect(analyzeStatement('SELECT 1;;').multiStatement).toBe(true);
  });
});
