import type { Kafka } from 'kafkajs';
import { readTokenSeed, TOKEN_SEED_FILE } from '../../dwh/seed-tokens.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { seedTokenRecord, sendTokenRecords } from './tokens-topic.ts';

/**
 * Publishes the curated token seed (dwh/seeds/erc20_token_metadata.csv) to the compacted `erc20.tokens` topic,
 * where the decoder's global table and the `tokens` sink read it. Idempotent: same keys and version 1, so
 * compaction keeps one record per token and RPC-resolved rows (higher versions) still win in the table.
 */
export async function publishSeedTokens(params: { kafka: Kafka; serdes: Serdes; file?: string }): Promise<number> {
  const records = readTokenSeed(params.file ?? TOKEN_SEED_FILE).map(seedTokenRecord);
  await sendTokenRecords({ kafka: params.kafka, serdes: params.serdes, records });
  return records.length;
}
