import { describe, expect, it } from 'vitest';
import { listSchemaNames, readAvroSchema, type AvroField, type AvroRecordSchema } from './avro-schema.ts';
import { checkBackwardCompatibility, readFrozenVersions } from './compatibility.ts';

const names = listSchemaNames();

describe('BACKWARD compatibility of every schema with its released versions', () => {
  it.each(names)('%s has at least v1 frozen in schemas/compat/', (name) => {
    expect(readFrozenVersions(name).map((v) => v.version)[0]).toBe(1);
  });

  it.each(names)('%s reads data written with every frozen version', (name) => {
    const current = readAvroSchema(name);
    for (const frozen of readFrozenVersions(name)) {
      expect(checkBackwardCompatibility(current, frozen.schema), frozen.file).toEqual({ compatible: true });
    }
  });
});

describe('checkBackwardCompatibility', () => {
  const v1 = readAvroSchema('erc20.transfers');
  const withFields = (fields: AvroField[]): AvroRecordSchema => ({ ...v1, fields });

  it('accepts a new optional field with a default', () => {
    const v2 = withFields([...v1.fields, { name: 'note', type: ['null', 'string'], default: null, doc: 'n' }]);
    expect(checkBackwardCompatibility(v2, v1)).toEqual({ compatible: true });
  });

  it('catches a new field without a default', () => {
    const v2 = withFields([...v1.fields, { name: 'note', type: 'string', doc: 'n' }]);
    expect(checkBackwardCompatibility(v2, v1)).toMatchObject({ compatible: false, reason: expect.stringMatching(/note/) });
  });

  it('catches an enum symbol removed', () => {
    const v2 = withFields(
      v1.fields.map((f) =>
        f.name === 'kind' ? { ...f, type: { type: 'enum', name: 'TransferKind', symbols: ['transfer'] } } : f,
      ),
    );
    expect(checkBackwardCompatibility(v2, v1).compatible).toBe(false);
  });

  it('catches a narrowed type (long to int) and a string turned into a number', () => {
    const narrowed = withFields(v1.fields.map((f) => (f.name === 'block_number' ? { ...f, type: 'int' } : f)));
    const retyped = withFields(v1.fields.map((f) => (f.name === 'amount_raw' ? { ...f, type: 'double' } : f)));
    expect(checkBackwardCompatibility(narrowed, v1).compatible).toBe(false);
    expect(checkBackwardCompatibility(retyped, v1).compatible).toBe(false);
  });

  it('catches an optional field made required', () => {
    const v2 = withFields(v1.fields.map((f) => (f.name === 'symbol' ? { ...f, type: 'string', default: undefined } : f)));
    expect(checkBackwardCompatibility(v2, v1).compatible).toBe(false);
  });

  it('catches a renamed record without an alias', () => {
    expect(checkBackwardCompatibility({ ...v1, name: 'Erc20Transfer' }, v1).compatible).toBe(false);
    expect(checkBackwardCompatibility({ ...v1, name: 'Erc20Transfer', aliases: ['io.oracul.erc20.Transfer'] }, v1)).toEqual({
      compatible: true,
    });
  });

  it('allows removing a field (readers ignore it)', () => {
    expect(checkBackwardCompatibility(withFields(v1.fields.filter((f) => f.name !== 'symbol')), v1)).toEqual({
      compatible: true,
    });
  });
});
