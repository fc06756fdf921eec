import avro from 'avsc';
import type { AvroRecordSchema } from '../avro-schema.ts';
import { DeserializeError, SchemaMismatchError } from '../errors.ts';
import type { FrameEncoder, Serde } from '../serde.ts';
import type { SchemaStore } from './schema-store.ts';
import { decodeFrame, encodeFrame } from './wire-format.ts';

export interface CreateAvroSerdeParameters {
  topic: string;
  subject: string;
  schema: AvroRecordSchema;
  store: SchemaStore;
}

/** How many invalid paths a mismatch error lists; enough to debug, bounded for logs and DLQ headers. */
const MAX_INVALID_PATHS = 10;

/**
 * A Serde over a SchemaStore. The schema is registered lazily on the first
 * serialize; reads resolve any registered writer version into our schema
 * (Avro schema resolution), with one cached resolver per writer id.
 */
export function createAvroSerde<T>(
  params: CreateAvroSerdeParameters,
): Serde<T> & { register(): Promise<number>; frameEncoder(): Promise<FrameEncoder<T>> } {
  const { topic, subject, schema, store } = params;
  const type = avro.Type.forSchema(schema as avro.Schema);
  const readers = new Map<number, Promise<avro.Resolver | undefined>>();
  let registration: Promise<number> | undefined;

  const register = (): Promise<number> => {
    // A failed registration is forgotten so the next call retries it.
    registration ??= store.register(subject, schema).catch((error: unknown) => {
      registration = undefined;
      throw error;
    });
    return registration;
  };

  const readerFor = (schemaId: number): Promise<avro.Resolver | undefined> => {
    let reader = readers.get(schemaId);
    if (!reader) {
      reader = store.typeById(schemaId).then((writer) => {
        if (writer.equals(type)) return undefined;
        try {
          return type.createResolver(writer);
        } catch (cause) {
          throw new SchemaMismatchError(`${topic}: schema id ${schemaId} cannot be read as ${type.name ?? subject}`, {
            cause,
            details: { topic, subject, schema_id: schemaId, reason: (cause as Error).message },
          });
        }
      });
      // Only successes are cached: a registry outage must not poison the id.
      reader.catch(() => readers.delete(schemaId));
      readers.set(schemaId, reader);
    }
    return reader;
  };

  return {
    topic,
    subject,
    schema,
    register,
    async serialize(value: T): Promise<Buffer> {
      return encodeValue(type, topic, subject, await register(), value);
    },
    async frameEncoder(): Promise<FrameEncoder<T>> {
      const schemaId = await register();
      return { topic, schemaId, encode: (value: T) => encodeValue(type, topic, subject, schemaId, value) };
    },
    async bodyInOwnSchema(buffer: Buffer): Promise<Buffer | undefined> {
      const { schemaId, body } = decodeFrame(buffer, topic);
      return (await readerFor(schemaId)) === undefined ? body : undefined;
    },
    async deserialize(buffer: Buffer): Promise<T> {
      const { schemaId, body } = decodeFrame(buffer, topic);
      const resolver = await readerFor(schemaId);
      try {
        return type.fromBuffer(body, resolver) as T;
      } catch (cause) {
        throw new DeserializeError(`${topic}: cannot decode schema id ${schemaId} body: ${(cause as Error).message}`, {
          cause,
          details: { topic, subject, schema_id: schemaId, length: buffer.length },
        });
      }
    },
  };
}

/**
 * The encoder of a schema already registered under `schemaId`, built where no registry client is at hand
 * (a worker thread that was given the id by its parent).
 */
export function createFrameEncoder<T>(params: {
  topic: string;
  subject: string;
  schema: AvroRecordSchema;
  schemaId: number;
}): FrameEncoder<T> {
  const type = avro.Type.forSchema(params.schema as avro.Schema);
  const { topic, subject, schemaId } = params;
  return { topic, schemaId, encode: (value: T) => encodeValue(type, topic, subject, schemaId, value) };
}

function encodeValue(type: avro.Type, topic: string, subject: string, schemaId: number, value: unknown): Buffer {
  let body: Buffer;
  try {
    body = type.toBuffer(value);
  } catch (cause) {
    throw new SchemaMismatchError(`${topic}: value does not match ${type.name ?? subject}`, {
      cause,
      details: { topic, subject, invalid_paths: invalidPaths(type, value) },
    });
  }
  return encodeFrame(schemaId, body);
}

function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[]) => {
      if (paths.length < MAX_INVALID_PATHS) paths.push(path.join('.') || '(root)');
    },
  });
  return paths;
}
