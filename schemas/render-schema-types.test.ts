import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { GENERATED_TYPES_PATH, renderSchemaTypes } from './render-schema-types.ts';

function schemaDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-schemas-'));
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, `${name}.avsc`), JSON.stringify(schema));
  return dir;
}

const record = (name: string, fields: unknown[]) => ({ type: 'record', name, namespace: 'io.oracul.test', doc: 'd', fields });

describe('renderSchemaTypes', () => {
  it('matches the committed schemas/generated/types.ts (run npx tsx scripts/codegen-schema-types.ts)', () => {
    expect(readFileSync(join(REPO_ROOT, GENERATED_TYPES_PATH), 'utf8')).toBe(renderSchemaTypes());
  });

  it('maps formats, logical types, optional fields and enums', () => {
    const out = renderSchemaTypes({
      dir: schemaDir({
        t: record('T', [
          { name: 'amount', type: 'string', 'oracul.format': 'uint256', doc: 'a' },
          { name: 'who', type: ['null', 'string'], default: null, 'oracul.format': 'address', doc: 'b' },
          { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'c' },
          { name: 'day', type: { type: 'int', logicalType: 'date' }, doc: 'd' },
          { name: 'topics', type: { type: 'array', items: 'string' }, 'oracul.format': 'hash', doc: 'e' },
          { name: 'kind', type: { type: 'enum', name: 'Kind', doc: 'k', symbols: ['a', 'b'] }, doc: 'f' },
          { name: 'raw', type: ['null', 'bytes'], default: null, doc: 'g' },
        ]),
      }),
    });
    expect(out).toContain('  amount: Uint256;');
    expect(out).toContain('  who: Address | null;');
    expect(out).toContain('  at: TimestampMillis;');
    expect(out).toContain('  day: EpochDay;');
    expect(out).toContain('  topics: Hash[];');
    expect(out).toContain("export const KIND = ['a', 'b'] as const;");
    expect(out).toContain('  raw: Buffer | null;');
    expect(out).toContain("  't': T;");
  });

  it('refuses unions other than ["null", T]', () => {
    const dir = schemaDir({ t: record('T', [{ name: 'x', type: ['string', 'long'], doc: 'x' }]) });
    expect(() => renderSchemaTypes({ dir })).toThrow(/only \["null", T\] unions/);
  });

  it('refuses a named type defined differently in two files', () => {
    const kind = (symbols: string[]) => ({ name: 'k', type: { type: 'enum', name: 'Kind', symbols }, doc: 'k' });
    const dir = schemaDir({ a: record('A', [kind(['x'])]), b: record('B', [kind(['x', 'y'])]) });
    expect(() => renderSchemaTypes({ dir })).toThrow(/io\.oracul\.test\.Kind is defined differently in a\.avsc and b\.avsc/);
  });

  it('refuses an unknown oracul.format', () => {
    const dir = schemaDir({ t: record('T', [{ name: 'x', type: 'string', 'oracul.format': 'uint512', doc: 'x' }]) });
    expect(() => renderSchemaTypes({ dir })).toThrow(/unknown oracul.format/);
  });
});
