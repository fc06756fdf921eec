import type { Kafka } from 'kafkajs';
import pRetry from 'p-retry';
import { readTokenSeed, TOKEN_SEED_FILE } from '../../dwh/seed-tokens.ts';
import type { TokenMetadata } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';

/**
 * Publishes the curated token seed (dwh/seeds/erc20_token_metadata.csv) to the compacted `erc20.tokens` topic,
 * where the decoder's global table and the `tokens` sink read it. Idempotent: same keys and version 1, so
 * compaction keeps one record per token and RPC-resolved rows (higher versions) still win in the table.
 */
export async function publishSeedTokens(params: { kafka: Kafka; serdes: Serdes; file?: string }): Promise<number> {
  const rows = readTokenSeed(params.file ?? TOKEN_SEED_FILE);
  const serde = params.serdes.forTopic('erc20.tokens');
  const messages = await Promise.all(
    rows.map(async (row) => {
      const value: TokenMetadata = {
        chain_id: row.chainId,
        address: row.address,
        symbol: row.symbol,
        name: row.name,
        decimals: row.decimals,
        source: 'seed',
        symbol_encoding: null,
        fetched_at: 0,
        version: 1,
      };
      return { key: `${row.chainId}:${row.address}`, value: await serde.serialize(value) };
    }),
  );
  const producer = params.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // Right after `topics ensure` created the topic its leader may not be known yet ("not the leader"): retry.
    await pRetry(() => producer.send({ topic: 'erc20.tokens', messages, acks: -1 }), {
      retries: 10,
      minTimeout: 200,
      maxTimeout: 3_000,
    });
  } finally {
    await producer.disconnect();
  }
  return messages.length;
}
