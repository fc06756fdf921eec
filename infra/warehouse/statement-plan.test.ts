import { describe, expect, it } from 'vitest';
import { assertNoHostFileAccess, isEmptyInsertData, planStatement } from './statement-plan.ts';

describe('planStatement', () => {
  it('keeps INSERT rows from the body as bytes when the query is in the URL', () => {
    const rows = Buffer.from([0x01, 0x00, 0xff, 0x0a]);
    const plan = planStatement('INSERT INTO t FORMAT Native', rows);
    expect(plan.type).toBe('insert-data');
    if (plan.type !== 'insert-data') return;
    expect([plan.head, plan.tail]).toEqual(['INSERT INTO t ', 'FORMAT Native']);
    expect(plan.data.equals(rows)).toBe(true);
  });

  it('the body is the rows as received; a line break of the URL query after FORMAT x stays data, as on a server', () => {
    const rows = Buffer.from([0x0a, 0x00, 0xff]);
    const plain = planStatement('INSERT INTO t (a) FORMAT RowBinary', rows);
    expect(plain.type === 'insert-data' && plain.data).toBe(rows); // not a copy
    const trailing = planStatement('INSERT INTO t (a) FORMAT RowBinary\n', rows);
    expect(trailing.type === 'insert-data' && [...trailing.data]).toEqual([0x0a, 0x0a, 0x00, 0xff]);
  });

  it('splits an INSERT sent whole in the body', () => {
    const plan = planStatement(
      undefined,
      Buffer.from('INSERT INTO `ü` (a) SETTINGS async_insert = 0 FORMAT JSONEachRow\n{"a":1}\n\n{"a":2}\n'),
    );
    expect(plan.type === 'insert-data' && [plan.head, plan.tail, plan.data.toString()]).toEqual([
      'INSERT INTO `ü` (a) ',
      'SETTINGS async_insert = 0 FORMAT JSONEachRow',
      '{"a":1}\n\n{"a":2}\n',
    ]);
  });

  it('joins URL query and body with a line break for other statements', () => {
    const plan = planStatement('SELECT 1', Buffer.from('FORMAT JSON'));
    expect(plan.type === 'statement' && plan.sql).toBe('SELECT 1\nFORMAT JSON');
    expect(plan.info.format).toBe('JSON');
    expect(planStatement(undefined, Buffer.from('INSERT INTO t VALUES (1)')).type).toBe('statement');
  });

  it('refuses empty queries and host file clauses', () => {
    expect(() => planStatement(undefined, Buffer.alloc(0))).toThrow(/Empty query/);
    expect(() => planStatement('  -- nothing', Buffer.alloc(0))).toThrow(/Empty query/);
    expect(() => assertNoHostFileAccess(planStatement("SELECT 1 INTO OUTFILE 'x'", Buffer.alloc(0)).info)).toThrow(
      /INTO OUTFILE/,
    );
  });
});

describe('planStatement multi-statements', () => {
  it('refuses them with SYNTAX_ERROR like the server', () => {
    expect(() => planStatement('SELECT 1; SET max_threads = 1', Buffer.alloc(0))).toThrow(/Multi-statements are not allowed/);
  });
});

describe('isEmptyInsertData', () => {
  it('reads whitespace as no rows only in text formats; in binary formats those bytes are values', () => {
    expect(isEmptyInsertData('JSONEachRow', Buffer.from('\n \n'))).toBe(true);
    expect(isEmptyInsertData('CSV', Buffer.from('\r\n'))).toBe(true);
    expect(isEmptyInsertData('RowBinary', Buffer.from('\n'))).toBe(false);
    expect(isEmptyInsertData('Native', Buffer.from([0x20, 0x0a]))).toBe(false);
    expect(isEmptyInsertData('RowBinary', Buffer.alloc(0))).toBe(true);
    expect(isEmptyInsertData('JSONEachRow', Buffer.from('{}'))).toBe(false);
  });
});
