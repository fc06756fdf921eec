import type avro from 'avsc';
import type { AvroRecordSchema } from '../avro-schema.ts';

/** Where schema ids come from: the Confluent-compatible registry, or memory in tests. */
export interface SchemaStore {
  /** Registers the schema under the subject (idempotent) and returns its global id. */
  register(subject: string, schema: AvroRecordSchema): Promise<number>;
  /** The writer type of a schema id; throws DeserializeError for an unknown id. */
  typeById(id: number): Promise<avro.Type>;
}
