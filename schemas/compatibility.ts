import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { isRecordSchema, SCHEMAS_DIR, type AvroRecordSchema } from './avro-schema.ts';

export type CompatibilityResult = { compatible: true } | { compatible: false; reason: string };

/**
 * BACKWARD compatibility: can a consumer using `reader` decode data written with
 * `writer`? Decided by Avro schema resolution itself (avsc createResolver): new
 * fields need defaults, enum symbols cannot disappear, types may only promote.
 */
export function checkBackwardCompatibility(reader: AvroRecordSchema, writer: AvroRecordSchema): CompatibilityResult {
  try {
    avro.Type.forSchema(reader as avro.Schema).createResolver(avro.Type.forSchema(writer as avro.Schema));
    return { compatible: true };
  } catch (error) {
    return { compatible: false, reason: (error as Error).message };
  }
}

export interface FrozenVersion {
  version: number;
  file: string;
  schema: AvroRecordSchema;
}

/** Released versions of a schema, `schemas/compat/<name>/v<N>.avsc`, oldest first. */
export function readFrozenVersions(name: string, dir: string = join(SCHEMAS_DIR, 'compat')): FrozenVersion[] {
  const folder = join(dir, name);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((file) => ({ file, match: /^v(\d+)\.avsc$/.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => {
      const parsed: unknown = JSON.parse(readFileSync(join(folder, file), 'utf8'));
      if (!isRecordSchema(parsed)) throw new TypeError(`${join(folder, file)}: not an Avro record schema`);
      return { version: Number(match[1]), file: join(folder, file), schema: parsed };
    })
    .sort((a, b) => a.version - b.version);
}
