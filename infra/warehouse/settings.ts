import type { WarehouseRole } from '../../dwh/client.ts';
import { CH, WarehouseError } from './errors.ts';
import { isHostSetting, readonlyViolation, refused } from './statement-policy.ts';

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

/**
 * The only settings the read-only user may send (a server's `changeable_in_readonly`
 * constraints): what the gateway's @clickhouse/client sends on every request
 * (dwh/client.ts), and output formatting. Anything else, `max_execution_time=0`,
 * `max_memory_usage=0`, `max_threads=64` included, is refused with READONLY like a
 * server's `readonly=1` profile. clickhouse-connect (Superset) reads `system.settings`,
 * sees every setting read-only and sends none; its `wait_end_of_query`,
 * `send_progress_in_http_headers` etc. are HTTP parameters, not settings (request-params.ts).
 */
export const READONLY_CHANGEABLE_SETTINGS: ReadonlySet<string> = new Set([
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_decimals',
  'date_time_input_format',
  'date_time_output_format',
]);

export interface SessionSettingsParameters {
  role: WarehouseRole;
  /** For error texts. */
  user?: string;
  /** GET requests are read-only on a server (readonly=2: settings may change, data may not). */
  method: string;
  clientSettings: Readonly<Record<string, string>>;
  defaults?: Readonly<Record<string, string>>;
  /** Ceilings the read-only user runs under, applied after its own settings (e.g. max_execution_time). */
  readonlyLimits?: Readonly<Record<string, string>>;
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
    assertClientSetting(params, name, value);
    settings.delete(name);
    settings.set(name, value);
  }
  if (params.role === 'readonly') {
    for (const [name, value] of Object.entries(params.readonlyLimits ?? {})) {
      settings.delete(name);
      settings.set(name, value);
    }
  }
  const requested = settings.get('readonly');
  settings.delete('readonly');
  const readonly = effectiveReadonly(params.role, params.method, requested);
  if (readonly !== undefined) settings.set('readonly', readonly);
  return settings;
}

function assertClientSetting(params: SessionSettingsParameters, name: string, value: string): void {
  if (params.role === 'readonly') {
    if (!READONLY_CHANGEABLE_SETTINGS.has(name) && !(name === 'readonly' && value === '1')) throw readonlyViolation(name);
  } else if (isHostSetting(name)) {
    throw refused(params.user ?? 'writer', `setting '${name}'`);
  }
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
