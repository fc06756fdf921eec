import { createMemorySchemaStore } from './internals/memory-schema-store.ts';
import { createSerdes } from './internals/create-serdes.ts';
import type { Serdes } from './serde.ts';

/**
 * Serdes with an in-process schema store: the same wire format, ids and errors
 * as the registry-backed ones, without a registry. For unit tests and in-memory
 * topology drivers.
 */
export function createInMemorySerdes(params: { schemaDir?: string } = {}): Serdes {
  return createSerdes(createMemorySchemaStore(), params.schemaDir);
}
