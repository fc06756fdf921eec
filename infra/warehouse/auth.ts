import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { OraculConfig } from '../../config/schema.ts';
import type { WarehouseRole } from '../../dwh/client.ts';
import { CH, WarehouseError } from './errors.ts';

export interface WarehouseUser {
  readonly name: string;
  readonly role: WarehouseRole;
}

export interface UserEntry extends WarehouseUser {
  readonly password: string;
}

/** The two users of the embedded endpoint, from `clickhouse.*` config. */
export function usersFromConfig(clickhouse: OraculConfig['clickhouse']): UserEntry[] {
  const users: UserEntry[] = [{ name: clickhouse.username, password: clickhouse.password, role: 'writer' }];
  if (clickhouse.readonlyUsername !== clickhouse.username) {
    users.push({ name: clickhouse.readonlyUsername, password: clickhouse.readonlyPassword, role: 'readonly' });
  }
  return users;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/**
 * Credentials the way the server reads them: X-ClickHouse-User/Key headers,
 * else HTTP Basic, else `user`/`password` URL parameters; none means `default`.
 */
export function extractCredentials(
  headers: IncomingHttpHeaders,
  urlUser: string | undefined,
  urlPassword: string | undefined,
): Credentials {
  const headerUser = single(headers['x-clickhouse-user']);
  if (headerUser !== undefined) return { user: headerUser, password: single(headers['x-clickhouse-key']) ?? '' };
  const authorization = headers.authorization;
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (urlUser !== undefined) return { user: urlUser, password: urlPassword ?? '' };
  return { user: 'default', password: '' };
}

/** Constant-time check; every failure has the server's one message so names cannot be probed. */
export function authenticate(users: readonly UserEntry[], credentials: Credentials): WarehouseUser {
  const entry = users.find((u) => u.name === credentials.user);
  const expected = entry?.password ?? '';
  if (entry === undefined || !samePassword(expected, credentials.password)) {
    throw new WarehouseError(
      CH.AUTHENTICATION_FAILED,
      `${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
  }
  return { name: entry.name, role: entry.role };
}

function samePassword(expected: string, given: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
