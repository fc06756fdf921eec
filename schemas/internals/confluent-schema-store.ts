import avro from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { AvroRecordSchema } from '../avro-schema.ts';
import {
  DeserializeError,
  SchemaIncompatibleError,
  SchemaRegistryRejectedError,
  SchemaRegistryUnavailableError,
} from '../errors.ts';
import type { SchemaStore } from './schema-store.ts';

export interface ConfluentSchemaStoreParameters {
  /** Confluent-compatible base URL (Apicurio: .../apis/ccompat/v7). */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * @kafkajs/confluent-schema-registry behind our SchemaStore port. The library
 * caches ids and schemas, retries transient HTTP failures itself, and sets the
 * subject's compatibility to BACKWARD on first registration (the same rule our
 * compatibility test enforces).
 */
export function createConfluentSchemaStore(params: ConfluentSchemaStoreParameters): SchemaStore {
  const registry = new SchemaRegistry({
    host: params.url.replace(/\/+$/, ''),
    clientId: 'oracul',
    ...(params.username ? { auth: { username: params.username, password: params.password ?? '' } } : {}),
  });
  return {
    async register(subject: string, schema: AvroRecordSchema): Promise<number> {
      try {
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        );
        return id;
      } catch (error) {
        throw registryError(error, `registering ${subject}`, { subject });
      }
    },
    async typeById(id: number): Promise<avro.Type> {
      let schema: unknown;
      try {
        schema = await registry.getSchema(id);
      } catch (error) {
        if (statusOf(error) === 404) {
          throw new DeserializeError(`unknown schema id ${id}`, { cause: error, details: { schema_id: id } });
        }
        throw registryError(error, `fetching schema id ${id}`, { schema_id: id });
      }
      // The library parses Avro schemas with the same avsc; any other schema type is not ours to read.
      if (!(schema instanceof avro.Type)) {
        throw new DeserializeError(`schema id ${id} is not an Avro schema`, { details: { schema_id: id } });
      }
      return schema;
    },
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

// The HTTP layer reports connection failures as status 400 with the socket error
// in the message, so those are told apart from real 400 answers here, once.
const NETWORK_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|timeout/i;

function registryError(error: unknown, action: string, details: Record<string, unknown>): Error {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const context = { ...details, status, reason: message };
  if (status === 409)
    return new SchemaIncompatibleError(`${action}: incompatible with the registered versions`, {
      cause: error,
      details: context,
    });
  if (status === undefined && (error as Error | null)?.name === 'ConfluentSchemaRegistryCompatibilityError') {
    return new SchemaRegistryRejectedError(`${action}: ${message}`, { cause: error, details: context });
  }
  const transient =
    status === undefined ||
    status >= 500 ||
    status === 408 ||
    status === 429 ||
    (status === 400 && NETWORK_FAILURE.test(message));
  return transient
    ? new SchemaRegistryUnavailableError(`${action}: registry unavailable: ${message}`, { cause: error, details: context })
    : new SchemaRegistryRejectedError(`${action}: ${message}`, { cause: error, details: context });
}
