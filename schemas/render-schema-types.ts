import avro from 'avsc';
import {
  fullName,
  listSchemaNames,
  stableStringify,
  readAvroSchema,
  SCHEMAS_DIR,
  VALUE_FORMATS,
  type AvroField,
  type AvroRecordSchema,
  type AvroSchema,
  type ValueFormat,
} from './avro-schema.ts';

/** Where the codegen writes; imported by schemas/topics.ts. */
export const GENERATED_TYPES_PATH = 'schemas/generated/types.ts';

const HEADER = `// Generated from schemas/*.avsc by scripts/codegen-schema-types.ts. Do not edit:
// change the .avsc files and run \`npx tsx scripts/codegen-schema-types.ts\`.
// A unit test (schemas/render-schema-types.test.ts) fails when this file is stale.

/** Unsigned 256-bit integer as a base-10 string: uint256 never travels as a double. */
export type Uint256 = string;
/** Signed 256-bit integer as a base-10 string. */
export type Int256 = string;
/** Exact decimal number as a base-10 string, e.g. "1234.5678". */
export type DecimalString = string;
/** 20-byte address, lowercase 0x-prefixed hex. */
export type Address = \`0x\${string}\`;
/** 32-byte hash, lowercase 0x-prefixed hex. */
export type Hash = \`0x\${string}\`;
/** Bytes as lowercase 0x-prefixed hex. */
export type Hex = \`0x\${string}\`;
/** UTC epoch milliseconds (Avro long with logicalType timestamp-millis). */
export type TimestampMillis = number;
/** Days since 1970-01-01 (Avro int with logicalType date). */
export type EpochDay = number;
`;

const FORMAT_ALIASES: Record<ValueFormat, string> = {
  uint256: 'Uint256',
  int256: 'Int256',
  decimal: 'DecimalString',
  address: 'Address',
  hash: 'Hash',
  hex: 'Hex',
};

// avsc decodes long as a JS number (and refuses values beyond 2^53), bytes as Buffer.
const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

const LOGICAL_TYPES: Record<string, string> = { 'timestamp-millis': 'TimestampMillis', date: 'EpochDay' };

export interface RenderSchemaTypesParameters {
  /** Folder of the .avsc files; default schemas/. */
  dir?: string;
}

interface Definition {
  tsName: string;
  canonical: string;
  file: string;
  code: string;
}

/**
 * Renders TypeScript types for every schema in `dir`: one interface per record,
 * a literal union plus a symbols array per enum, and `SchemaTypes` mapping each
 * schema name (file stem) to its top-level type. Deterministic, so a test can
 * compare it with the committed file.
 */
export function renderSchemaTypes(params: RenderSchemaTypesParameters = {}): string {
  const dir = params.dir ?? SCHEMAS_DIR;
  const names = listSchemaNames(dir);
  const definitions = new Map<string, Definition>();
  const order: string[] = [];
  const tops: { name: string; tsName: string }[] = [];

  for (const name of names) {
    const schema = readAvroSchema(name, dir);
    // avsc is the validator: a schema it cannot parse never reaches the emitter.
    avro.Type.forSchema(schema as avro.Schema);
    const emitter = new Emitter(`${name}.avsc`, definitions, order);
    tops.push({ name, tsName: emitter.named(schema, undefined) });
  }

  const parts = [HEADER];
  for (const full of order) parts.push(definitions.get(full)!.code);
  parts.push(
    [
      '/** The value type of each schema, by schema name (the .avsc file stem). */',
      'export interface SchemaTypes {',
      ...tops.map((t) => `  '${t.name}': ${t.tsName};`),
      '}',
      '',
      '/** Every schema name, sorted. */',
      `export const SCHEMA_NAMES = [${tops.map((t) => `'${t.name}'`).join(', ')}] as const;`,
      '',
    ].join('\n'),
  );
  return parts.join('\n');
}

class Emitter {
  constructor(
    private readonly file: string,
    private readonly definitions: Map<string, Definition>,
    private readonly order: string[],
  ) {}

  /** Emits (or reuses) a named type and returns its TS name. */
  named(schema: Exclude<AvroSchema, string | AvroSchema[]>, namespace: string | undefined): string {
    if (!('name' in schema)) throw new Error(`${this.file}: expected a named type`);
    const full = fullName(schema.name, 'namespace' in schema ? (schema.namespace ?? namespace) : namespace);
    const tsName = full.slice(full.lastIndexOf('.') + 1);
    const canonical = stableStringify(schema);
    const existing = this.definitions.get(full);
    if (existing) {
      // The same named type may be inlined in several files (each .avsc is self-contained for the registry).
      if (existing.canonical !== canonical) {
        throw new Error(`${full} is defined differently in ${existing.file} and ${this.file}`);
      }
      return existing.tsName;
    }
    for (const [other, def] of this.definitions) {
      if (def.tsName === tsName)
        throw new Error(`${full} (${this.file}) and ${other} (${def.file}) would both be named ${tsName}`);
    }
    const ns = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
    const definition: Definition = { tsName, canonical, file: this.file, code: '' };
    this.definitions.set(full, definition);
    this.order.push(full);
    if (schema.type === 'enum') {
      const constName = tsName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
      definition.code = lines(
        `/** Every ${tsName} symbol, in schema order. */`,
        `export const ${constName} = [${schema.symbols.map((s) => `'${s}'`).join(', ')}] as const;`,
        doc(schema.doc, ''),
        `export type ${tsName} = (typeof ${constName})[number];`,
        '',
      );
    } else if (schema.type === 'record') {
      definition.code = this.record(schema, tsName, ns);
    } else {
      definition.code = `/** Fixed ${schema.size} bytes. */\nexport type ${tsName} = Buffer;\n`;
    }
    return tsName;
  }

  private record(schema: AvroRecordSchema, tsName: string, namespace: string | undefined): string {
    const out = [doc(schema.doc, ''), `export interface ${tsName} {`];
    for (const field of schema.fields) {
      out.push(doc(field.doc, '  '), `  ${field.name}: ${this.type(field.type, namespace, formatOf(field, this.file))};`);
    }
    out.push('}', '');
    return lines(...out);
  }

  private type(schema: AvroSchema, namespace: string | undefined, format: ValueFormat | undefined): string {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive) return schema === 'string' && format ? FORMAT_ALIASES[format] : primitive;
      const ref = this.definitions.get(fullName(schema, namespace)) ?? this.definitions.get(schema);
      if (!ref) throw new Error(`${this.file}: unknown type ${schema}`);
      return ref.tsName;
    }
    if (Array.isArray(schema)) {
      // Only the optional-field shape ["null", T]: wider unions would decode to wrapped objects.
      if (schema.length !== 2 || schema[0] !== 'null') {
        throw new Error(`${this.file}: only ["null", T] unions are supported, got ${JSON.stringify(schema)}`);
      }
      return `${this.type(schema[1]!, namespace, format)} | null`;
    }
    switch (schema.type) {
      case 'record':
      case 'enum':
      case 'fixed':
        return this.named(schema, namespace);
      case 'array': {
        const items = this.type(schema.items, namespace, format);
        return items.includes('|') ? `Array<${items}>` : `${items}[]`;
      }
      case 'map':
        return `Record<string, ${this.type(schema.values, namespace, format)}>`;
      default: {
        const logical = schema.logicalType ? LOGICAL_TYPES[schema.logicalType] : undefined;
        return logical ?? this.type(schema.type, namespace, format);
      }
    }
  }
}

function formatOf(field: AvroField, file: string): ValueFormat | undefined {
  const format = field['oracul.format'];
  if (format !== undefined && !(VALUE_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`${file}: field ${field.name} has unknown oracul.format ${JSON.stringify(format)}`);
  }
  return format;
}

function doc(text: string | undefined, indent: string): string | undefined {
  return text ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */` : undefined;
}

/** Joins lines, leaving out missing doc comments. */
function lines(...parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined).join('\n');
}
