import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printGatewaySchema, SCHEMA_SNAPSHOT_PATH } from './print-schema.ts';

describe('gateway/schema.graphql', () => {
  it('is the schema the gateway builds (run `npm run gateway:schema` after a deliberate schema change)', async () => {
    const committed = readFileSync(SCHEMA_SNAPSHOT_PATH, 'utf8');
    const built = await printGatewaySchema();
    expect(
      built,
      'The built GraphQL schema differs from the committed gateway/schema.graphql. If the change is deliberate (and ' +
        'compatible for clients), rewrite the snapshot with `npm run gateway:schema` and commit it with the change.',
    ).toBe(committed);
  });
});
