import { describe, expect, it } from 'vitest';
import { classifyParams, isTruthy, mergeParams } from './request-params.ts';

describe('classifyParams', () => {
  it('separates handler parameters, query parameters, transport and engine settings', () => {
    const p = classifyParams(
      new URLSearchParams(
        'query=SELECT+1&query_id=q1&database=oracul&default_format=JSON&user=u&password=p&param_x=a%5Ctb' +
          '&param_=ignored&max_threads=2&enable_http_compression=1&wait_end_of_query=1&session_id=s&compress=0',
      ),
    );
    expect(p.query).toBe('SELECT 1');
    expect(p.queryId).toBe('q1');
    expect(p.database).toBe('oracul');
    expect(p.defaultFormat).toBe('JSON');
    expect([p.user, p.password]).toEqual(['u', 'p']);
    expect(p.params).toEqual({ x: 'a\\tb' });
    expect(p.settings).toEqual({ max_threads: '2', param_: 'ignored' });
    expect(p.transport).toMatchObject({ enable_http_compression: '1', wait_end_of_query: '1', session_id: 's', compress: '0' });
    expect(p.transport).not.toHaveProperty('password');
  });

  it('treats empty ids and formats as absent', () => {
    const p = classifyParams([
      ['query_id', ''],
      ['default_format', ''],
    ]);
    expect(p.queryId).toBeUndefined();
    expect(p.defaultFormat).toBeUndefined();
  });

  it('lets later sources win', () => {
    expect(
      mergeParams(
        [['a', '1']],
        [
          ['a', '2'],
          ['b', '3'],
        ],
      ),
    ).toEqual([
      ['a', '2'],
      ['b', '3'],
    ]);
  });

  it('reads truthy flags like the server', () => {
    expect([isTruthy('1'), isTruthy('true'), isTruthy('0'), isTruthy('false'), isTruthy(''), isTruthy(undefined)]).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
