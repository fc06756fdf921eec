import type { OraculConfig } from '../config/schema.ts';
import { createConfluentSchemaStore } from './internals/confluent-schema-store.ts';
import { createSerdes } from './internals/create-serdes.ts';
import type { Serdes } from './serde.ts';

export interface CreateSchemaRegistrySerdesParameters {
  /** Only the registry keys: the URL and its basic-auth user and password (sent when a user is set). */
  config: { kafka: Pick<OraculConfig['kafka'], 'schemaRegistryUrl' | 'schemaRegistryUsername' | 'schemaRegistryPassword'> };
  /** Folder of the .avsc files; default schemas/. */
  schemaDir?: string;
}

/**
 * Serdes backed by the Confluent-compatible schema registry of `kafka.schemaRegistryUrl`:
 * each topic's value schema is registered under `<topic>-value` (BACKWARD) on first
 * write, and values travel in the Confluent wire format (magic byte + schema id + Avro).
 * @example
 * const serdes = createSchemaRegistrySerdes({ config });
 * const bytes = await serdes.forTopic('erc20.transfers').serialize(transfer);
 */
export function createSchemaRegistrySerdes(params: CreateSchemaRegistrySerdesParameters): Serdes {
  const { kafka } = params.config;
  const store = createConfluentSchemaStore({
    url: kafka.schemaRegistryUrl,
    username: kafka.schemaRegistryUsername,
    password: kafka.schemaRegistryPassword,
  });
  return createSerdes(store, params.schemaDir);
}
