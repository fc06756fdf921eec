import { quoteString } from './settings.ts';
import { findParameterPlaceholders } from './sql-scanner.ts';
import { memoizeByText } from './text-memo.ts';

/** Parameter placeholders, remembered for repeated statement texts. */
const placeholdersIn = memoizeByText(findParameterPlaceholders);

/**
 * Query parameters bound the way a ClickHouse server binds them, so the embedded
 * engine never sees them as parameters.
 *
 * Why: chdb keeps query parameters in engine-wide state, so parameterised calls
 * have to run one at a time (`paramLock` in engine.ts), which capped the endpoint
 * near one query at a time under the gateway's load. The server itself does not
 * pass parameters down either: its parser replaces each `{name:Type}` with
 * `_CAST(<literal>, 'Type')` after reading the value as that type's escaped text
 * (ReplaceQueryParameterVisitor). This does the same textually, for the types
 * whose escaped-text reading equals a CAST from String of a known string:
 *
 * - scalars (numbers, decimals, String/FixedString, dates and times, Bool, UUID, IPs),
 *   also inside LowCardinality/Nullable: the value's TSV escapes are undone and the
 *   result becomes one quoted string literal; `\N` is NULL for a Nullable;
 * - arrays of strings or integers: the value text is already the array's text form,
 *   which CAST parses the same way, so it is quoted as a whole.
 *
 * A value whose text a CAST would read more leniently than the binding (`+5`, an ISO
 * `T…Z` time) is not inlined; a value error of an inlined statement is asked again of
 * the engine's binding (engine.ts), so errors read like a server's.
 *
 * The value only ever appears inside a string literal escaped by `quoteString`, and
 * the engine still types it (a bad value is CANNOT_PARSE_… as before), so this adds
 * no way to change a statement's shape. Anything else (`Identifier`, maps, tuples,
 * an unknown parameter, a `\x` escape of a non-ASCII byte) returns undefined and
 * the caller falls back to the engine's own binding.
 */
export function inlineQueryParams(sql: string, params: Readonly<Record<string, string>>): string | undefined {
  const placeholders = placeholdersIn(sql);
  let out = '';
  let at = 0;
  for (const placeholder of placeholders) {
    const value = Object.hasOwn(params, placeholder.name) ? params[placeholder.name] : undefined;
    if (value === undefined) return undefined;
    const literal = literalFor(placeholder.type, value);
    if (literal === undefined) return undefined;
    out += sql.slice(at, placeholder.start) + literal;
    at = placeholder.end;
  }
  return out + sql.slice(at);
}

/**
 * Values a CAST would read more leniently than the server's binding (`+5`, ISO `T…Z` times) are
 * left to the engine: a scalar is inlined only when its text has the plain shape of its type.
 */
const PLAIN_VALUE: readonly (readonly [type: RegExp, value: RegExp])[] = [
  [/^U?Int/, /^-?\d+$/],
  [/^Float/, /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]-?\d+)?$|^-?(?:nan|inf)$/],
  [/^Decimal/, /^-?\d+(?:\.\d+)?$/],
  [/^Date(?:32)?$/, /^\d{4}-\d{2}-\d{2}$/],
  [/^DateTime(?:\(|$)/, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$|^\d+$/],
  [/^DateTime64/, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$|^\d+(?:\.\d+)?$/],
];

function hasPlainShape(scalarType: string, text: string): boolean {
  for (const [type, value] of PLAIN_VALUE) if (type.test(scalarType)) return value.test(text);
  return true;
}

const SCALAR_TYPE = new RegExp(
  '^(?:' +
    [
      'String',
      'FixedString\\(\\s*\\d+\\s*\\)',
      'U?Int(?:8|16|32|64|128|256)',
      'Float(?:32|64)',
      'Decimal(?:32|64|128|256)\\(\\s*\\d+\\s*\\)',
      'Decimal\\(\\s*\\d+\\s*(?:,\\s*\\d+\\s*)?\\)',
      'Date',
      'Date32',
      "DateTime(?:\\(\\s*'[A-Za-z0-9_/+-]*'\\s*\\))?",
      "DateTime64\\(\\s*\\d\\s*(?:,\\s*'[A-Za-z0-9_/+-]*'\\s*)?\\)",
      'Bool',
      'UUID',
      'IPv4',
      'IPv6',
    ].join('|') +
    ')$',
);

function literalFor(type: string, value: string): string | undefined {
  const shape = typeShape(type);
  if (shape === undefined) return undefined;
  const cast = (text: string) => `_CAST(${quoteString(text)}, ${quoteString(type)})`;
  if (shape.kind === 'array') {
    // Element texts are not checked one by one: only arrays of strings and integers, without a `+`.
    return /^(?:U?Int|String|FixedString|UUID)/.test(shape.scalar) && !value.includes('+') ? cast(value) : undefined;
  }
  if (shape.kind === 'nullable' && value === '\\N') return `_CAST(NULL, ${quoteString(type)})`;
  const text = unescapeTsv(value);
  return text === undefined || !hasPlainShape(shape.scalar, text) ? undefined : cast(text);
}

interface TypeShape {
  /** 'nullable': a scalar that may be NULL; 'array': of scalars or nullable scalars. */
  readonly kind: 'scalar' | 'nullable' | 'array';
  /** The innermost scalar type. */
  readonly scalar: string;
}

/** `Wrapper(inner)`: captures the inner type. Built once: typeShape runs for every parameter of every query. */
const WRAPPER = {
  Array: /^Array\s*\(\s*(.*?)\s*\)$/s,
  LowCardinality: /^LowCardinality\s*\(\s*(.*?)\s*\)$/s,
  Nullable: /^Nullable\s*\(\s*(.*?)\s*\)$/s,
} as const;

/** How a parameter type is inlined, or undefined: not inlined. */
function typeShape(type: string): TypeShape | undefined {
  const inner = (wrapper: RegExp) => wrapper.exec(type)?.[1];
  const array = inner(WRAPPER.Array);
  if (array !== undefined) {
    const element = typeShape(array);
    return element === undefined || element.kind === 'array' ? undefined : { kind: 'array', scalar: element.scalar };
  }
  const lowCardinality = inner(WRAPPER.LowCardinality);
  if (lowCardinality !== undefined) {
    const shape = typeShape(lowCardinality);
    return shape?.kind === 'array' ? undefined : shape;
  }
  const nullable = inner(WRAPPER.Nullable);
  if (nullable !== undefined) return SCALAR_TYPE.test(nullable) ? { kind: 'nullable', scalar: nullable } : undefined;
  return SCALAR_TYPE.test(type) ? { kind: 'scalar', scalar: type } : undefined;
}

const SINGLE_CHAR_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '0': '\0',
};

/**
 * The string a server reads from TSV-escaped text (readEscapedString): `\x` + two hex
 * digits is a byte, `\N` is empty, `\c` is the control character for a, b, e, f, n, r,
 * t, v, 0 and `c` itself otherwise. undefined where the engine's own reading should
 * decide: a `\x` byte ≥ 0x80 (part of a UTF-8 sequence a JS string cannot hold byte by
 * byte), a `\x` without two hex digits, a trailing backslash.
 */
export function unescapeTsv(value: string): string | undefined {
  if (!value.includes('\\')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= value.length) return undefined;
    const next = value[++i] as string;
    if (next === 'x') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (code >= 0x80) return undefined;
      out += String.fromCharCode(code);
      i += 2;
    } else if (next === 'N') {
      // The server reads \N inside a non-nullable string as nothing.
    } else {
      out += SINGLE_CHAR_ESCAPES[next] ?? next;
    }
  }
  return out;
}
