import { describe, expect, it } from 'vitest';
import { listSchemaNames, readAvroSchema, type AvroField, type AvroSchema } from './avro-schema.ts';

/** Every record field of a schema, depth first, with its path. */
function fieldsOf(schema: AvroSchema, path: string, out: { path: string; field: AvroField }[] = []): typeof out {
  if (typeof schema === 'string') return out;
  if (Array.isArray(schema)) {
    for (const branch of schema) fieldsOf(branch, path, out);
    return out;
  }
  if (schema.type === 'record') {
    for (const field of schema.fields) {
      out.push({ path: `${path}.${field.name}`, field });
      fieldsOf(field.type, `${path}.${field.name}`, out);
    }
  } else if (schema.type === 'array') fieldsOf(schema.items, path, out);
  else if (schema.type === 'map') fieldsOf(schema.values, path, out);
  return out;
}

function namedTypesOf(schema: AvroSchema, out: { name: string; namespace?: string; doc?: string }[] = []): typeof out {
  if (typeof schema === 'string') return out;
  if (Array.isArray(schema)) {
    for (const branch of schema) namedTypesOf(branch, out);
    return out;
  }
  if (schema.type === 'record' || schema.type === 'enum') out.push(schema);
  if (schema.type === 'record') for (const f of schema.fields) namedTypesOf(f.type, out);
  if (schema.type === 'array') namedTypesOf(schema.items, out);
  if (schema.type === 'map') namedTypesOf(schema.values, out);
  return out;
}

/** The non-null string-ish base of a field type: unwraps ["null", T] and arrays. */
function baseOf(type: AvroSchema): AvroSchema {
  if (Array.isArray(type)) return baseOf(type.find((t) => t !== 'null')!);
  if (typeof type === 'object' && type.type === 'array') return baseOf(type.items);
  return type;
}

const names = listSchemaNames();

describe.each(names)('%s.avsc follows the schema conventions', (name) => {
  const schema = readAvroSchema(name);
  const fields = fieldsOf(schema, schema.name);

  it('lives in the io.oracul namespace', () => {
    expect(schema.namespace).toMatch(/^io\.oracul\.[a-z0-9]+$/);
  });

  it('documents every record, enum and field', () => {
    for (const t of namedTypesOf(schema)) expect(t.doc, t.name).toBeTruthy();
    for (const { path, field } of fields) expect(field.doc, path).toBeTruthy();
  });

  it('names fields in snake_case (they are the ClickHouse column names)', () => {
    for (const { path, field } of fields) expect(field.name, path).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('makes optional fields ["null", T] with default null, so adding one stays BACKWARD-compatible', () => {
    for (const { path, field } of fields) {
      if (!Array.isArray(field.type)) continue;
      expect(field.type, path).toHaveLength(2);
      expect(field.type[0], path).toBe('null');
      expect(field.default, path).toBeNull();
    }
  });

  it('never carries amounts, hashes or addresses as numbers', () => {
    for (const { path, field } of fields) {
      const base = baseOf(field.type);
      const format = field['oracul.format'];
      // Bare `value` is an amount only on transactions (wei); elsewhere a statistic or header bytes.
      const amountLike = /_raw$|_usd$|^price_(open|high|low|close|usd)$|^amount_decimal$|_per_gas$|gas_price$/.test(field.name);
      if (amountLike || path === 'TransactionBatch.transactions.value') {
        expect(base, path).toBe('string');
        expect(['uint256', 'int256', 'decimal'], path).toContain(format);
      }
      if (/(^|_)address$|^miner$/.test(field.name) || field.name === 'entity_id') expect(format, path).toBe('address');
      if (/_hash$|^topics$/.test(field.name)) expect(format, path).toBe('hash');
    }
  });

  it('types timestamps as timestamp-millis and days as date', () => {
    for (const { path, field } of fields) {
      const base = baseOf(field.type);
      if (/_at$|_timestamp$|^window_(start|end)$|^watermark$/.test(field.name)) {
        expect(base, path).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
      }
      if (field.name === 'date' || field.name === 'day') expect(base, path).toEqual({ type: 'int', logicalType: 'date' });
    }
  });

  it('carries the checkpoint where records come from one block position', () => {
    const top = new Set(schema.fields.map((f) => f.name));
    if (top.has('block_number') && top.has('block_hash')) expect(top.has('checkpoint')).toBe(true);
  });
});
