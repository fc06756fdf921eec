/**
 * Writes schemas/generated/types.ts from schemas/*.avsc.
 * Usage: npx tsx scripts/codegen-schema-types.ts [--check]
 * --check exits 1 when the committed file is stale instead of writing it.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../config/index.ts';
import { GENERATED_TYPES_PATH, renderSchemaTypes } from '../schemas/render-schema-types.ts';

const target = join(REPO_ROOT, GENERATED_TYPES_PATH);
const rendered = renderSchemaTypes();
const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;

if (process.argv.includes('--check')) {
  if (current !== rendered) {
    console.error(`${GENERATED_TYPES_PATH} is out of date: run npx tsx scripts/codegen-schema-types.ts`);
    process.exit(1);
  }
  console.log(`${GENERATED_TYPES_PATH} is up to date`);
} else if (current === rendered) {
  console.log(`${GENERATED_TYPES_PATH} unchanged`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, rendered);
  console.log(`wrote ${GENERATED_TYPES_PATH}`);
}
