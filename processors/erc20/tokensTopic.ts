import type { Kafka } from 'kafkajs';
import pRetry from 'p-retry';
import type { TokenMetadata as TokenMetadataRecord } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';

/**
 * Sends token metadata records to the compacted `erc20.tokens` topic (key `<chain_id>:<address>`), read by the
 * decoder's global table and the `tokens` sink. Idempotent producer, acks from all replicas.
 */
export async function sendTokenRecords(params: {
  readonly kafka: Kafka;
  readonly serdes: Serdes;
  readonly records: readonly TokenMetadataRecord[];
}): Promise<void> {
  if (params.records.length === 0) return;
  const serde = params.serdes.forTopic('erc20.tokens');
  const messages = await Promise.all(
    params.records.map(async (r) => ({ key: `${r.chain_id}:${r.address}`, value: await serde.serialize(r) })),
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
}
