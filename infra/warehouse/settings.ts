import type { WarehouseRole } from '../../dwh/client.ts';
import { CH, WarehouseError } from './errors.ts';

/**
 * Settings every query starts from, so the embedded engine answers like a
 * ClickHouse server. chdb ships different defaults for these (checked against
 * chdb 3.4 / engine 26.7: 64-bit integers unquoted in JSON, async inserts on,
 * best-effort date parsing, implicit SELECT, introspection functions on).
 */
export const SERVER_DEFAULT_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  output_format_json_quote_64bit_integers: '1',
  async_insert: '0',
  date_time_input_format: 'basic',
  implicit_select: '0',
  allow_introspection_functions: '0',
  enable_http_compression: '0',
  session_timezone: 'UTC',
});

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Settings a read-only user may not change: they are what keeps it read-only. */
const READONLY_GUARDED = new Set(['readonly', 'allow_ddl']);

export interface SessionSettingsParameters {
  role: WarehouseRole;
  /** GET requests are read-only on a server (readonly=2: settings may change, data may not). */
  method: string;
  clientSettings: Readonly<Record<string, string>>;
  defaults?: Readonly<Record<string, string>>;
}

/**
 * The settings one request runs with, in the order they are applied. `readonly`
 * comes last: once it is set, the engine refuses every later change to it, so a
 * read-only user's queries cannot lift it (`SET readonly=0` fails with READONLY).
 */
export function sessionSettings(params: SessionSettingsParameters): Map<string, string> {
  const settings = new Map<string, string>(Object.entries(params.defaults ?? SERVER_DEFAULT_SETTINGS));
  for (const [name, value] of Object.entries(params.clientSettings)) {
    if (!SETTING_NAME.test(name)) throw new WarehouseError(CH.UNKNOWN_SETTING, `Unknown setting '${name}'`);
    if (params.role === 'readonly' && READONLY_GUARDED.has(name) && !(name === 'readonly' && value === '1')) {
      throw new WarehouseError(CH.READONLY, `Cannot modify '${name}' setting in readonly mode`);
    }
    settings.delete(name);
    settings.set(name, value);
  }
  const requested = settings.get('readonly');
  settings.delete('readonly');
  const readonly = effectiveReadonly(params.role, params.method, requested);
  if (readonly !== undefined) settings.set('readonly', readonly);
  return settings;
}

function effectiveReadonly(role: WarehouseRole, method: string, requested: string | undefined): string | undefined {
  if (role === 'readonly') return '1';
  if (method === 'GET' && requested !== '1') return '2';
  return requested;
}

/** `USE db; SET a = 'x', b = 'y'`: run on a request's own engine connection before its statement. */
export function sessionPreamble(database: string | undefined, settings: ReadonlyMap<string, string>): string {
  const statements: string[] = [];
  if (database !== undefined) statements.push(`USE ${quoteIdentifier(database)}`);
  if (settings.size > 0) {
    const pairs = [...settings].map(([name, value]) => `${name} = ${quoteString(value)}`);
    statements.push(`SET ${pairs.join(', ')}`);
  }
  return statements.join('; ');
}

/** Setting values travel as string literals; the engine converts them to each setting's type. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}
