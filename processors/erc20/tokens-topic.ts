import type { Kafka } from 'kafkajs';
import pRetry from 'p-retry';
import type { TokenMetadata as TokenMetadataRecord } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';
import type { RpcTokenMetadata } from './fetch-token-metadata.ts';

/** A curated token's record: version 1 and no fetch time, so metadata read over RPC (version = fetch time) wins. */
export function seedTokenRecord(token: {
  readonly chainId: number;
  readonly address: string;
  readonly symbol: string | null;
  readonly name: string | null;
  readonly decimals: number | null;
}): TokenMetadataRecord {
  return {
    chain_id: token.chainId,
    address: token.address as TokenMetadataRecord['address'],
    symbol: token.symbol,
    name: token.name,
    decimals: token.decimals,
    source: 'seed',
    symbol_encoding: null,
    fetched_at: 0,
    version: 1,
  };
}

/** The record of metadata read over RPC; `version` = fetch time, so it wins over the seed's 1. */
export function rpcTokenRecord(meta: RpcTokenMetadata, fetchedAtMs: number): TokenMetadataRecord {
  return {
    chain_id: meta.chain_id,
    address: meta.address as TokenMetadataRecord['address'],
    symbol: meta.symbol,
    name: meta.name,
    decimals: meta.decimals,
    source: 'rpc',
    symbol_encoding: meta.symbol_encoding,
    fetched_at: fetchedAtMs,
    version: fetchedAtMs,
  };
}

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
