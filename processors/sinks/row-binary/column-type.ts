import { SinkColumnTypeUnsupportedError } from '../errors.ts';

/**
 * A ClickHouse column type as the RowBinary encoder needs it. Wrappers that do not change the
 * RowBinary layout are kept only where the layout differs (Nullable, Array); LowCardinality is
 * encoded as its inner type and is dropped here.
 */
export type ColumnType =
  | { readonly kind: 'uint'; readonly bits: 8 | 16 | 32 | 64 | 128 | 256 }
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64 | 128 | 256 }
  | { readonly kind: 'float'; readonly bits: 32 | 64 }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  | { readonly kind: 'fixed-string'; readonly length: number }
  | { readonly kind: 'date' }
  | { readonly kind: 'date32' }
  | { readonly kind: 'datetime'; readonly timezone: string | undefined }
  | { readonly kind: 'datetime64'; readonly precision: number; readonly timezone: string | undefined }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number; readonly bits: 32 | 64 | 128 | 256 }
  | { readonly kind: 'nullable'; readonly inner: ColumnType }
  | { readonly kind: 'array'; readonly inner: ColumnType };

const INTEGER = /^(U?)Int(8|16|32|64|128|256)$/;

/** Parses the type text `system.columns.type` shows (and the migrations declare), e.g. `Nullable(UInt256)`. */
export function parseColumnType(text: string): ColumnType {
  const type = text.trim();
  const wrapped = /^(\w+)\((.*)\)$/s.exec(type);
  const name = wrapped ? wrapped[1]! : type;
  const args = wrapped ? splitArguments(wrapped[2]!) : [];
  const int = INTEGER.exec(name);
  if (int && !wrapped) {
    const bits = Number(int[2]) as 8 | 16 | 32 | 64 | 128 | 256;
    return int[1] === 'U' ? { kind: 'uint', bits } : { kind: 'int', bits };
  }
  switch (name) {
    case 'Float32':
      return { kind: 'float', bits: 32 };
    case 'Float64':
      return { kind: 'float', bits: 64 };
    case 'Bool':
      return { kind: 'bool' };
    case 'String':
      return { kind: 'string' };
    case 'FixedString':
      return { kind: 'fixed-string', length: positiveInteger(args[0], type) };
    case 'Date':
      return { kind: 'date' };
    case 'Date32':
      return { kind: 'date32' };
    case 'DateTime':
      return { kind: 'datetime', timezone: args[0] === undefined ? undefined : unquote(args[0], type) };
    case 'DateTime64':
      return {
        kind: 'datetime64',
        precision: boundedInteger(args[0], 0, 9, type),
        timezone: args[1] === undefined ? undefined : unquote(args[1], type),
      };
    case 'Decimal': {
      const precision = boundedInteger(args[0], 1, 76, type);
      const scale = boundedInteger(args[1] ?? '0', 0, precision, type);
      return { kind: 'decimal', precision, scale, bits: decimalBits(precision) };
    }
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256': {
      const bits = Number(name.slice(7)) as 32 | 64 | 128 | 256;
      const precision = { 32: 9, 64: 18, 128: 38, 256: 76 }[bits];
      return { kind: 'decimal', precision, scale: boundedInteger(args[0], 0, precision, type), bits };
    }
    case 'Nullable':
      return { kind: 'nullable', inner: parseColumnType(single(args, type)) };
    case 'LowCardinality':
      return parseColumnType(single(args, type));
    case 'Array':
      return { kind: 'array', inner: parseColumnType(single(args, type)) };
    default:
      throw new SinkColumnTypeUnsupportedError(`RowBinary encoder: unsupported column type ${type}`, { details: { type } });
  }
}

function decimalBits(precision: number): 32 | 64 | 128 | 256 {
  if (precision <= 9) return 32;
  if (precision <= 18) return 64;
  if (precision <= 38) return 128;
  return 256;
}

/** Top-level comma-separated arguments (nested parentheses and quoted strings kept whole). */
function splitArguments(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i += 1;
      else if (ch === "'") quoted = false;
    } else if (ch === "'") quoted = true;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((a) => a !== '');
}

function single(args: string[], type: string): string {
  if (args.length !== 1) throw unsupported(type);
  return args[0]!;
}

function unquote(arg: string, type: string): string {
  const m = /^'((?:[^'\\]|\\.)*)'$/.exec(arg);
  if (!m) throw unsupported(type);
  return m[1]!.replace(/\\(.)/g, '$1');
}

function positiveInteger(arg: string | undefined, type: string): number {
  return boundedInteger(arg, 1, 1 << 24, type);
}

function boundedInteger(arg: string | undefined, min: number, max: number, type: string): number {
  const n = arg !== undefined && /^\d+$/.test(arg) ? Number(arg) : Number.NaN;
  if (!(n >= min && n <= max)) throw unsupported(type);
  return n;
}

function unsupported(type: string): SinkColumnTypeUnsupportedError {
  return new SinkColumnTypeUnsupportedError(`RowBinary encoder: cannot read column type ${type}`, { details: { type } });
}
