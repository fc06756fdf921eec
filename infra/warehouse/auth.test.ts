import { describe, expect, it } from 'vitest';
import { authenticate, extractCredentials, usersFromConfig } from './auth.ts';
import { WarehouseError } from './errors.ts';

const users = usersFromConfig({
  url: 'http://127.0.0.1:8123',
  database: 'oracul',
  username: 'w',
  password: 'wp',
  readonlyUsername: 'r',
  readonlyPassword: 'rp',
  requestTimeoutMs: 1000,
  cluster: '',
});

describe('extractCredentials', () => {
  it('prefers X-ClickHouse headers, then Basic auth, then URL parameters', () => {
    expect(
      extractCredentials({ 'x-clickhouse-user': 'w', 'x-clickhouse-key': 'wp', authorization: 'Basic eDp5' }, 'u', 'p'),
    ).toEqual({ user: 'w', password: 'wp' });
    expect(extractCredentials({ authorization: `Basic ${Buffer.from('r:a:b').toString('base64')}` }, 'u', 'p')).toEqual({
      user: 'r',
      password: 'a:b',
    });
    expect(extractCredentials({}, 'u', 'p')).toEqual({ user: 'u', password: 'p' });
    expect(extractCredentials({}, undefined, undefined)).toEqual({ user: 'default', password: '' });
  });
});

describe('authenticate', () => {
  it('maps the configured users to roles', () => {
    expect(authenticate(users, { user: 'w', password: 'wp' })).toEqual({ name: 'w', role: 'writer' });
    expect(authenticate(users, { user: 'r', password: 'rp' })).toEqual({ name: 'r', role: 'readonly' });
  });

  it('fails unknown users and wrong passwords alike with AUTHENTICATION_FAILED (516)', () => {
    for (const credentials of [
      { user: 'w', password: 'nope' },
      { user: 'ghost', password: 'wp' },
      { user: 'default', password: '' },
    ]) {
      try {
        authenticate(users, credentials);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(WarehouseError);
        expect((error as WarehouseError).clickhouseCode).toBe(516);
        expect((error as WarehouseError).message).toContain('Authentication failed');
      }
    }
  });
});
