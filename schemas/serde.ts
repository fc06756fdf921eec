import type { AvroRecordSchema } from './avro-schema.ts';
import type { TopicName, TopicValue } from './topics.ts';

/**
 * Turns one topic's values into bytes and back. Producers and consumers see only
 * this; Avro and the registry stay behind it, so either can be swapped.
 *
 * - serialize throws SchemaMismatchError when the value does not fit the schema,
 *   SchemaRegistry{Unavailable,Rejected}Error / SchemaIncompatibleError when registering fails.
 * - deserialize throws DeserializeError for undecodable bytes and SchemaMismatchError
 *   when the writer's schema cannot be read with ours; both are NonRetryable (DLQ material).
 */
export interface Serde<T> {
  /** Topic whose values this serde reads and writes. */
  readonly topic: string;
  /** Registry subject of the value schema, `<topic>-value`. */
  readonly subject: string;
  /** The Avro schema values are written with and read into (the parsed .avsc). */
  readonly schema: AvroRecordSchema;
  serialize(value: T): Promise<Buffer>;
  deserialize(buffer: Buffer): Promise<T>;
  /**
   * The Avro body of a framed value when its writer schema is `schema` itself (so it reads without schema
   * resolution), else `undefined`. Throws like `deserialize` for a bad frame or an unreachable registry. For readers
   * that walk the bytes themselves (the raw sinks' RowBinary transcoders); optional for other implementations.
   */
  bodyInOwnSchema?(buffer: Buffer): Promise<Buffer | undefined>;
}

export interface RegisteredSchema {
  topic: TopicName;
  subject: string;
  id: number;
}

/**
 * A synchronous serializer of one topic's values under a registered schema id, for hot loops that
 * encode thousands of values (no promise per value). Same bytes and errors as `Serde.serialize`.
 */
export interface FrameEncoder<T> {
  readonly topic: string;
  readonly schemaId: number;
  encode(value: T): Buffer;
}

/** Serdes for every declared topic, sharing one registry connection and cache. */
export interface Serdes {
  /** The serde of a topic's values, typed from the generated schema types. */
  forTopic<N extends TopicName>(topic: N): Serde<TopicValue<N>>;
  /** Registers the topic's value schema (once) and returns its synchronous encoder. */
  frameEncoder<N extends TopicName>(topic: N): Promise<FrameEncoder<TopicValue<N>>>;
  /** Registers every topic's value schema (idempotent: an unchanged schema keeps its id). */
  registerAll(): Promise<RegisteredSchema[]>;
}
