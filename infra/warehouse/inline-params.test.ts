import { describe, expect, it } from 'vitest';
import { inlineQueryParams, unescapeTsv } from './inline-params.ts';
import { findParameterPlaceholders } from './sql-scanner.ts';

describe('findParameterPlaceholders', () => {
  it('finds {name:Type} with nested type arguments, outside literals and comments', () => {
    const sql = `SELECT {a:UInt64}, '{b:String}', \`{c:String}\` /* {d:Date} */ -- {e:Date}
      , {f : Array(Nullable(DateTime64(3, 'UTC')))} , {'k': 1}`;
    expect(findParameterPlaceholders(sql).map((p) => [p.name, p.type, sql.slice(p.start, p.end)])).toEqual([
      ['a', 'UInt64', '{a:UInt64}'],
      ['f', "Array(Nullable(DateTime64(3, 'UTC')))", "{f : Array(Nullable(DateTime64(3, 'UTC')))}"],
    ]);
  });
});

describe('inlineQueryParams', () => {
  it('binds scalars as _CAST of one quoted string literal, hostile text included', () => {
    const sql = 'SELECT * FROM t WHERE a = {a:String} AND n = {n:UInt64} AND d BETWEEN {from:Date} AND {to:Date}';
    const hostile = "x' OR 1=1 -- \\\\'; DROP TABLE t";
    expect(inlineQueryParams(sql, { a: hostile, n: '42', from: '2025-01-01', to: '2025-03-31' })).toBe(
      "SELECT * FROM t WHERE a = _CAST('x\\' OR 1=1 -- \\\\\\'; DROP TABLE t', 'String') AND n = _CAST('42', 'UInt64')" +
        " AND d BETWEEN _CAST('2025-01-01', 'Date') AND _CAST('2025-03-31', 'Date')",
    );
  });

  it('undoes TSV escapes of scalar values; Nullable \\N is NULL; arrays keep their text form', () => {
    expect(inlineQueryParams('SELECT {s:String}', { s: 'a\\tb\\\\c\\nd' })).toBe("SELECT _CAST('a\tb\\\\c\nd', 'String')");
    expect(inlineQueryParams('SELECT {s:Nullable(String)}', { s: '\\N' })).toBe("SELECT _CAST(NULL, 'Nullable(String)')");
    expect(inlineQueryParams('SELECT {s:Array(String)}', { s: "['a\\'b','c']" })).toBe(
      "SELECT _CAST('[\\'a\\\\\\'b\\',\\'c\\']', 'Array(String)')",
    );
    expect(inlineQueryParams("SELECT {t:DateTime64(3, 'UTC')}", { t: '2025-01-01 00:00:00.000' })).toBe(
      "SELECT _CAST('2025-01-01 00:00:00.000', 'DateTime64(3, \\'UTC\\')')",
    );
  });

  it('leaves the binding to the engine when it cannot be done like the server', () => {
    expect(inlineQueryParams('SELECT * FROM {t:Identifier}', { t: 'x' })).toBeUndefined();
    expect(inlineQueryParams('SELECT {m:Map(String, UInt8)}', { m: "{'a':1}" })).toBeUndefined();
    expect(inlineQueryParams('SELECT {t:Tuple(UInt8, String)}', { t: "(1,'a')" })).toBeUndefined();
    expect(inlineQueryParams('SELECT {missing:String}', {})).toBeUndefined();
    expect(inlineQueryParams('SELECT {s:String}', { s: 'caf\\xC3\\xA9' })).toBeUndefined();
    expect(inlineQueryParams('SELECT {s:string}', { s: 'a' })).toBeUndefined();
  });

  it('does not inherit names from Object.prototype', () => {
    expect(inlineQueryParams('SELECT {toString:String}', {})).toBeUndefined();
  });

  it('returns statements without placeholders unchanged', () => {
    expect(inlineQueryParams("SELECT '{a:String}'", { a: 'x' })).toBe("SELECT '{a:String}'");
  });
});

describe('unescapeTsv', () => {
  it('reads escapes like the server', () => {
    expect(unescapeTsv('plain')).toBe('plain');
    expect(unescapeTsv('\\a\\b\\e\\f\\n\\r\\t\\v\\0')).toBe('\x07\b\x1b\f\n\r\t\v\0');
    expect(unescapeTsv("\\\\ \\' \\q \\x41 \\N.")).toBe("\\ ' q A .");
    expect(unescapeTsv('end\\')).toBeUndefined();
    expect(unescapeTsv('\\xZZ')).toBeUndefined();
  });
});
