import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the .avsc files: one per topic value, named after the topic (plus dead-letter.avsc). */
export const SCHEMAS_DIR = dirname(fileURLToPath(import.meta.url));

/** Value formats of string fields (the `oracul.format` field attribute), mapped to TS aliases by the codegen. */
export const VALUE_FORMATS = ['uint256', 'int256', 'decimal', 'address', 'hash', 'hex'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

/** The subset of Avro schema JSON our schemas use; avsc validates the rest. */
export type AvroSchema =
  | string
  | AvroSchema[]
  | AvroRecordSchema
  | AvroEnumSchema
  | AvroArraySchema
  | AvroMapSchema
  | AvroFixedSchema
  | AvroAnnotatedPrimitive;

export interface AvroField {
  name: string;
  type: AvroSchema;
  doc?: string;
  default?: unknown;
  aliases?: string[];
  'oracul.format'?: ValueFormat;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  aliases?: string[];
  fields: AvroField[];
}

export interface AvroEnumSchema {
  type: 'enum';
  name: string;
  namespace?: string;
  doc?: string;
  symbols: string[];
  default?: string;
}

export interface AvroArraySchema {
  type: 'array';
  items: AvroSchema;
}

export interface AvroMapSchema {
  type: 'map';
  values: AvroSchema;
}

export interface AvroFixedSchema {
  type: 'fixed';
  name: string;
  namespace?: string;
  size: number;
}

/** A primitive written as an object, usually to carry a logicalType. */
export interface AvroAnnotatedPrimitive {
  type: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';
  logicalType?: string;
}

/** Schema names (file stems) of every .avsc in `dir`, sorted. */
export function listSchemaNames(dir: string = SCHEMAS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.slice(0, -'.avsc'.length))
    .sort();
}

const cache = new Map<string, AvroRecordSchema>();

/**
 * Reads `<dir>/<name>.avsc`. Every topic value is a record, so anything else is
 * rejected here rather than deep inside a serializer.
 */
export function readAvroSchema(name: string, dir: string = SCHEMAS_DIR): AvroRecordSchema {
  const file = join(dir, `${name}.avsc`);
  const cached = cache.get(file);
  if (cached) return cached;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isRecordSchema(parsed)) throw new TypeError(`${file}: the top-level schema must be an Avro record`);
  // Shared by every serde of the process: frozen so no caller can change what others encode with.
  cache.set(file, deepFreeze(parsed));
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function isRecordSchema(value: unknown): value is AvroRecordSchema {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'record' &&
    typeof (value as { name?: unknown }).name === 'string' &&
    Array.isArray((value as { fields?: unknown }).fields)
  );
}

/** Full name (namespace.name) of a named schema, following Avro's namespace inheritance. */
export function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** JSON with sorted keys, so two equal schemas compare equal whatever their key order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
