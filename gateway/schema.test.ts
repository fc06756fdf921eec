import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLEnumType, GraphQLField, GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/load.ts';
import { buildSchema } from './schema/index.ts';

const BUILT_IN = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

// Duck typing, not graphql's isObjectType(): the test runner may load a second copy of graphql (ESM) next to
// the one Pothos built the schema with, and graphql's predicates refuse types from another copy.
type WithFields = GraphQLNamedType & { getFields(): Record<string, GraphQLField<unknown, unknown>> };
const isObjectType = (t: GraphQLNamedType): t is WithFields => 'getFields' in t && 'getInterfaces' in t;
const isEnumType = (t: GraphQLNamedType): t is GraphQLEnumType => 'getValues' in t;
const isScalarType = (t: GraphQLNamedType): boolean => 'serialize' in t && !('getValues' in t);

describe('gateway schema', () => {
  const schema = buildSchema();
  const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__') && !BUILT_IN.has(t.name));
  const doc = readFileSync(join(REPO_ROOT, 'docs/gateway.md'), 'utf8');

  it('has the contract names', () => {
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual([
      'tokens',
      'tokenMetricsDaily',
      'addressFlowsDaily',
      'topTokens',
      'anomalies',
      'dataQuality',
      'health',
    ]);
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['anomalyDetected', 'tokenMetricsUpdated']);
    expect(schema.getMutationType()).toBeUndefined();
    expect(
      types
        .filter(isScalarType)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['Address', 'BigInt', 'Date', 'DateTime', 'Decimal']);
    expect((schema.getType('TopTokensBy') as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([
      'VOLUME_USD',
      'TRANSFER_COUNT',
      'UNIQUE_ADDRESSES',
    ]);
  });

  it('every type, field, argument and enum value carries a description, and docs/gateway.md lists every field', () => {
    const missing: string[] = [];
    for (const type of types) {
      if (!type.description) missing.push(type.name);
      if (!doc.includes(type.name)) missing.push(`docs: ${type.name}`);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          if (!doc.includes(`\`${field.name}\``)) missing.push(`docs: ${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type))
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
    expect(missing).toEqual([]);
  });
});
