import avro from 'avsc';
import { stableStringify, type AvroRecordSchema } from '../avro-schema.ts';
import { DeserializeError } from '../errors.ts';
import type { SchemaStore } from './schema-store.ts';

/**
 * An in-process registry: same ids-per-distinct-schema behaviour as a real one,
 * no compatibility rules. For tests and in-memory topology drivers.
 */
export function createMemorySchemaStore(): SchemaStore & { subjects(): Map<string, number[]> } {
  const idsBySchema = new Map<string, number>();
  const types = new Map<number, avro.Type>();
  const subjects = new Map<string, number[]>();
  return {
    async register(subject, schema: AvroRecordSchema) {
      const canonical = stableStringify(schema);
      let id = idsBySchema.get(canonical);
      if (id === undefined) {
        id = idsBySchema.size + 1;
        idsBySchema.set(canonical, id);
        types.set(id, avro.Type.forSchema(schema as avro.Schema));
      }
      const versions = subjects.get(subject) ?? [];
      if (!versions.includes(id)) subjects.set(subject, [...versions, id]);
      return id;
    },
    async typeById(id) {
      const type = types.get(id);
      if (!type) throw new DeserializeError(`unknown schema id ${id}`, { details: { schema_id: id } });
      return type;
    },
    subjects: () => subjects,
  };
}
