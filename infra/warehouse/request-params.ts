/**
 * Splits the parameters of a ClickHouse HTTP request (URL query string, or the
 * fields of a multipart/form-data body) into what the endpoint consumes itself,
 * query parameters for `{name:Type}` placeholders, and engine settings.
 */

export interface QueryRequestParams {
  readonly query: string | undefined;
  readonly queryId: string | undefined;
  readonly database: string | undefined;
  readonly defaultFormat: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** `param_<name>` values, verbatim as sent (the engine parses them as escaped text). */
  readonly params: Readonly<Record<string, string>>;
  /** Everything else: settings for the engine. */
  readonly settings: Readonly<Record<string, string>>;
  /** HTTP-layer settings the endpoint honours itself and never passes to the engine. */
  readonly transport: Readonly<Record<string, string>>;
}

/** Parameters with a meaning for the HTTP handler only (not engine settings). */
const HANDLER_PARAMS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'stacktrace',
  'role',
  'client_protocol_version',
]);

/**
 * Real settings that only steer the HTTP layer (compression, progress headers, buffering).
 * They are read by the endpoint; setting them in the engine would change nothing.
 */
const HTTP_LAYER_SETTINGS = new Set([
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
  'http_wait_end_of_query',
  'cancel_http_readonly_queries_on_client_close',
  'http_native_compression_disable_checksumming_on_decompress',
  'add_http_cors_header',
  'http_write_exception_in_output_format',
  'http_response_headers',
]);

const PARAM_PREFIX = 'param_';

export function classifyParams(entries: Iterable<readonly [string, string]>): QueryRequestParams {
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  const transport: Record<string, string> = {};
  const handler = new Map<string, string>();
  for (const [key, value] of entries) {
    if (key.startsWith(PARAM_PREFIX) && key.length > PARAM_PREFIX.length) params[key.slice(PARAM_PREFIX.length)] = value;
    else if (HANDLER_PARAMS.has(key)) handler.set(key, value);
    else if (HTTP_LAYER_SETTINGS.has(key)) transport[key] = value;
    else settings[key] = value;
  }
  for (const [key, value] of handler) if (key !== 'query' && key !== 'user' && key !== 'password') transport[key] = value;
  return {
    query: handler.get('query'),
    queryId: nonEmpty(handler.get('query_id')),
    database: nonEmpty(handler.get('database')),
    defaultFormat: nonEmpty(handler.get('default_format')),
    user: handler.get('user'),
    password: handler.get('password'),
    params,
    settings,
    transport,
  };
}

/** Later sources win, like repeated URL parameters on the server (form fields after the URL). */
export function mergeParams(...sources: Iterable<readonly [string, string]>[]): [string, string][] {
  const merged = new Map<string, string>();
  for (const source of sources) for (const [key, value] of source) merged.set(key, value);
  return [...merged];
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
