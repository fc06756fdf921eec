import { ClickHouseError, parseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { CH, WarehouseError, exceptionBody, fromEngineError, httpStatusFor } from './errors.ts';

describe('fromEngineError', () => {
  it("takes code and name from the engine's exception text", () => {
    const e = fromEngineError(
      new Error(
        "Code: 60. DB::Exception: Unknown table expression identifier 'nope' in scope SELECT * FROM nope. (UNKNOWN_TABLE)",
      ),
    );
    expect([e.clickhouseCode, e.clickhouseName]).toEqual([60, 'UNKNOWN_TABLE']);
    expect(e.message).toBe("Unknown table expression identifier 'nope' in scope SELECT * FROM nope.");
  });

  it('keeps wrapped engine messages parseable by @clickhouse/client', () => {
    const raw =
      "Code: 164. DB::Exception: Code: 164. DB::Exception: Cannot modify 'readonly' setting in readonly mode. (READONLY) (version 26.7.2.1). (READONLY)";
    const e = fromEngineError(new Error(raw));
    expect(e.clickhouseCode).toBe(164);
    const parsed = parseError(exceptionBody(e, '26.7.2.1'));
    expect(parsed).toBeInstanceOf(ClickHouseError);
    expect((parsed as ClickHouseError).code).toBe('164');
    expect((parsed as ClickHouseError).type).toBe('READONLY');
  });

  it('gives errors without a code UNKNOWN_EXCEPTION', () => {
    expect(fromEngineError(new Error('boom')).clickhouseName).toBe('UNKNOWN_EXCEPTION');
    const own = new WarehouseError(CH.READONLY, 'x');
    expect(fromEngineError(own)).toBe(own);
  });
});

describe('exceptionBody', () => {
  it("has the server's shape, parsed by @clickhouse/client into ClickHouseError", () => {
    const body = exceptionBody(new WarehouseError(CH.AUTHENTICATION_FAILED, 'u: Authentication failed'), '26.7.2.1');
    expect(body).toBe('Code: 516. DB::Exception: u: Authentication failed. (AUTHENTICATION_FAILED) (version 26.7.2.1)\n');
    const parsed = parseError(body) as ClickHouseError;
    expect([parsed.code, parsed.type]).toEqual(['516', 'AUTHENTICATION_FAILED']);
  });
});

describe('httpStatusFor', () => {
  it("follows the server's status mapping", () => {
    const status = (code: number, name: string) => httpStatusFor(new WarehouseError({ code, name }, 'x'));
    expect(status(60, 'UNKNOWN_TABLE')).toBe(404);
    expect(status(62, 'SYNTAX_ERROR')).toBe(400);
    expect(status(516, 'AUTHENTICATION_FAILED')).toBe(403);
    expect(status(164, 'READONLY')).toBe(500);
    expect(status(229, 'QUERY_IS_TOO_LARGE')).toBe(413);
    expect(status(202, 'TOO_MANY_SIMULTANEOUS_QUERIES')).toBe(503);
  });
});
