// Prints the built GraphQL schema as SDL (types and fields sorted, so the snapshot does not depend on the order in
// which gateway/schema/*.ts register them). `npm run gateway:schema` rewrites the committed gateway/schema.graphql;
// gateway/schema-snapshot.test.ts fails when the built schema and that file differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// graphql/index.js, not 'graphql': the CommonJS copy Pothos builds with (vitest would load the ESM copy, whose
// schema functions refuse types from the other copy).
import { lexicographicSortSchema, printSchema } from 'graphql/index.js';
import { format } from 'prettier';
import { buildSchema } from './schema/index.ts';

export const SCHEMA_SNAPSHOT_PATH = fileURLToPath(new URL('./schema.graphql', import.meta.url));

/** The schema's SDL, formatted as `prettier --check .` expects the committed file to be. */
export async function printGatewaySchema(): Promise<string> {
  return format(printSchema(lexicographicSortSchema(buildSchema())), { parser: 'graphql' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_SNAPSHOT_PATH, await printGatewaySchema());
  console.warn(`wrote ${SCHEMA_SNAPSHOT_PATH}`);
}
