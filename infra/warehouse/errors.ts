import { NonRetryableError, type ErrorCode, type OraculErrorOptions } from '../../core/errors.ts';

/**
 * ClickHouse exception codes the endpoint raises itself (names as in the
 * engine's `errorCodeToName`). Engine errors keep the engine's own code.
 */
export const CH = {
  UNKNOWN_SETTING: { code: 115, name: 'UNKNOWN_SETTING' },
  SYNTAX_ERROR: { code: 62, name: 'SYNTAX_ERROR' },
  NOT_IMPLEMENTED: { code: 48, name: 'NOT_IMPLEMENTED' },
  BAD_ARGUMENTS: { code: 36, name: 'BAD_ARGUMENTS' },
  UNKNOWN_COMPRESSION_METHOD: { code: 89, name: 'UNKNOWN_COMPRESSION_METHOD' },
  CANNOT_DECOMPRESS: { code: 271, name: 'CANNOT_DECOMPRESS' },
  READONLY: { code: 164, name: 'READONLY' },
  TOO_MANY_SIMULTANEOUS_QUERIES: { code: 202, name: 'TOO_MANY_SIMULTANEOUS_QUERIES' },
  QUERY_IS_TOO_LARGE: { code: 229, name: 'QUERY_IS_TOO_LARGE' },
  INTO_OUTFILE_NOT_ALLOWED: { code: 358, name: 'INTO_OUTFILE_NOT_ALLOWED' },
  AUTHENTICATION_FAILED: { code: 516, name: 'AUTHENTICATION_FAILED' },
  ACCESS_DENIED: { code: 497, name: 'ACCESS_DENIED' },
  TIMEOUT_EXCEEDED: { code: 159, name: 'TIMEOUT_EXCEEDED' },
  QUERY_WAS_CANCELLED: { code: 394, name: 'QUERY_WAS_CANCELLED' },
  UNKNOWN_EXCEPTION: { code: 1002, name: 'UNKNOWN_EXCEPTION' },
} as const;

export interface ClickHouseCode {
  readonly code: number;
  readonly name: string;
}

/**
 * An error answered to an HTTP client in ClickHouse's shape. `message` is the
 * bare text (no `Code:` prefix); the wire body is built by {@link exceptionBody}.
 */
export class WarehouseError extends NonRetryableError {
  override readonly name = 'WarehouseError';
  readonly clickhouseCode: number;
  readonly clickhouseName: string;

  /** `oraculCode` sets the error's own code (default ORACUL_WAREHOUSE_QUERY), e.g. ORACUL_WAREHOUSE_REFUSED for policy refusals. */
  constructor(kind: ClickHouseCode, message: string, options?: OraculErrorOptions & { oraculCode?: ErrorCode }) {
    super(options?.oraculCode ?? 'ORACUL_WAREHOUSE_QUERY', message, options);
    this.clickhouseCode = kind.code;
    this.clickhouseName = kind.name;
  }
}

const CODE_PREFIX = /^Code:\s*(\d+)\.\s*/;
const NAME_SUFFIX = /\(([A-Z][A-Z0-9_]*)\)\s*$/;

/**
 * Turns an error thrown by the engine into a WarehouseError. chdb gives the
 * server's text (`Code: 60. DB::Exception: ... (UNKNOWN_TABLE)`), so the code and
 * name come from there; anything else becomes UNKNOWN_EXCEPTION.
 */
export function fromEngineError(error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw.trim();
  const code = CODE_PREFIX.exec(text);
  const name = NAME_SUFFIX.exec(text);
  if (!code) return new WarehouseError(CH.UNKNOWN_EXCEPTION, text || 'unknown engine error', { cause: error });
  const body = text
    .slice(code[0].length)
    .replace(/^DB::Exception:\s*/, '')
    .replace(NAME_SUFFIX, '')
    .trimEnd();
  return new WarehouseError({ code: Number(code[1]), name: name?.[1] ?? 'UNKNOWN_EXCEPTION' }, body, { cause: error });
}

/** The response body a ClickHouse server sends for an exception. */
export function exceptionBody(error: WarehouseError, version: string): string {
  const message = error.message.endsWith('.') ? error.message : `${error.message}.`;
  return `Code: ${error.clickhouseCode}. DB::Exception: ${message} (${error.clickhouseName}) (version ${version})\n`;
}

const BAD_REQUEST = new Set([
  'BAD_ARGUMENTS',
  'CANNOT_COMPILE_REGEXP',
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING',
  'CANNOT_PARSE_DATE',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
  'CANNOT_PARSE_IPV4',
  'CANNOT_PARSE_IPV6',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_UUID',
  'DUPLICATE_COLUMN',
  'ILLEGAL_COLUMN',
  'UNKNOWN_ELEMENT_IN_AST',
  'UNKNOWN_TYPE_OF_AST_NODE',
  'THERE_IS_NO_COLUMN',
  'TOO_DEEP_AST',
  'TOO_BIG_AST',
  'UNEXPECTED_AST_STRUCTURE',
  'SYNTAX_ERROR',
  'INCORRECT_DATA',
  'TYPE_MISMATCH',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'UNKNOWN_COMPRESSION_METHOD',
  'CANNOT_DECOMPRESS',
]);
const NOT_FOUND = new Set([
  'UNKNOWN_TABLE',
  'UNKNOWN_FUNCTION',
  'UNKNOWN_IDENTIFIER',
  'UNKNOWN_TYPE',
  'UNKNOWN_STORAGE',
  'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING',
  'UNKNOWN_DIRECTION_OF_SORTING',
  'UNKNOWN_AGGREGATE_FUNCTION',
  'UNKNOWN_FORMAT',
  'UNKNOWN_DATABASE_ENGINE',
  'UNKNOWN_TYPE_OF_QUERY',
  'UNKNOWN_ROLE',
]);
const FORBIDDEN = new Set(['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED']);

/** HTTP status for an exception, following the server's own mapping (by name, so engine codes need no table). */
export function httpStatusFor(error: WarehouseError): number {
  const name = error.clickhouseName;
  if (name === 'REQUIRED_PASSWORD') return 401;
  if (FORBIDDEN.has(name)) return 403;
  if (BAD_REQUEST.has(name)) return 400;
  if (NOT_FOUND.has(name)) return 404;
  if (name === 'QUERY_IS_TOO_LARGE') return 413;
  if (name === 'NOT_IMPLEMENTED') return 501;
  if (name === 'SOCKET_TIMEOUT' || name === 'CANNOT_OPEN_FILE' || name === 'CANNOT_SCHEDULE_TASK') return 503;
  if (name === 'TOO_MANY_SIMULTANEOUS_QUERIES') return 503;
  if (name === 'HTTP_LENGTH_REQUIRED') return 411;
  if (name === 'TIMEOUT_EXCEEDED') return 408;
  return 500;
}
