// Public surface of schemas/: explicit re-exports only.
export type * from './generated/types.ts';
export {
  ANOMALY_ENTITY_TYPE,
  ANOMALY_SEVERITY,
  ANOMALY_STATUS,
  CHAIN_EVENT_KIND,
  CHECK_STATUS,
  REJECT_KIND,
  SCHEMA_NAMES,
  TOKEN_METADATA_SOURCE,
  TRANSFER_FORM,
  TRANSFER_KIND,
} from './generated/types.ts';
export {
  TOPICS,
  isTopicName,
  schemaNameOf,
  subjectOf,
  deadLetterTopicOf,
  type TopicName,
  type TopicValue,
  type ConsumedTopicName,
  type SchemaName,
} from './topics.ts';
export { topicKeys } from './topic-keys.ts';
export type { Serde, Serdes, RegisteredSchema, FrameEncoder } from './serde.ts';
export { createFrameEncoder } from './internals/avro-serde.ts';
export { createSchemaRegistrySerdes, type CreateSchemaRegistrySerdesParameters } from './create-schema-registry-serdes.ts';
export { createInMemorySerdes } from './create-in-memory-serdes.ts';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_LENGTH, type Checkpoint, type CheckpointInput } from './checkpoint.ts';
export { readAvroSchema, listSchemaNames, SCHEMAS_DIR, type AvroRecordSchema } from './avro-schema.ts';
export { checkBackwardCompatibility, readFrozenVersions, type CompatibilityResult } from './compatibility.ts';
export {
  SchemaMismatchError,
  DeserializeError,
  SchemaIncompatibleError,
  SchemaRegistryRejectedError,
  SchemaRegistryUnavailableError,
} from './errors.ts';
