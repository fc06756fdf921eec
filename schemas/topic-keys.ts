import { Partitioners, type ICustomPartitioner } from 'kafkajs';
/**
 * Record keys, one builder per key shape, so producers agree byte for byte on
 * what lands in which partition (Kafka hashes the key bytes). Keys are plain
 * UTF-8 strings, not Avro: they only route and order.
 */
export const topicKeys = {
  /**
   * eth.blocks.raw, eth.transactions.raw, eth.logs.raw, erc20.rejects: a block's
   * records, its retraction and its re-ingestion share a partition and stay in
   * order; consecutive blocks spread across partitions.
   */
  block: (chainId: number | bigint, blockNumber: number | bigint): string => `${chainId}:${blockNumber}`,
  /**
   * market.prices.raw, erc20.transfers, erc20.transfers.late, token.metrics.daily: per-token order;
   * erc20.transfer-batches.by-token: the key of the batch's first row.
   */
  token: (chainId: number | bigint, tokenAddress: string): string => `${chainId}:${tokenAddress.toLowerCase()}`,
  /** address.flows.daily: per-address order. */
  address: (chainId: number | bigint, address: string): string => `${chainId}:${address.toLowerCase()}`,
  /** erc20.tokens (compacted): the latest metadata per contract survives compaction. */
  tokenMetadata: (chainId: number | bigint, address: string): string => `${chainId}:${address.toLowerCase()}`,
  /** anomalies (compacted): every version of one anomaly in order; the latest survives compaction. */
  anomaly: (anomalyId: string): string => anomalyId,
  /** dq.checks: the runs of one check on one subject in order. */
  dqCheck: (checkName: string, chainId: number | bigint, subject: string): string => `${checkName}:${chainId}:${subject}`,
} as const;

const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which kafkajs' default partitioner ports with 64-bit `Long`
 * arithmetic) in 32-bit integer arithmetic: the hash only ever keeps the low 32 bits, so `Math.imul` gives the
 * same result about 10x faster. A unit test compares it with kafkajs' own on random keys.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    h = Math.imul(h, M) ^ Math.imul(k, M);
  }
  switch (length & 3) {
    case 3:
      h ^= (data[whole + 2] as number) << 16;
    // falls through
    case 2:
      h ^= (data[whole + 1] as number) << 8;
    // falls through
    case 1:
      h ^= data[whole] as number;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition the producer (kafkajs' default partitioner: Java-compatible murmur2 of the key's UTF-8 bytes,
 * positive, modulo the partition count) writes a keyed record to, for a topic of `partitions` partitions. Stream
 * stages never set explicit partitions, so a batch record of an internal hop keyed like its rows lands where each
 * row's own key would (ADR 0018).
 */
export function partitionOfKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/**
 * kafkajs' default partitioner with {@link partitionOfKey} for keyed records (the same partitions, without its
 * 64-bit `Long` murmur2); explicit partitions and keyless records go through kafkajs' own.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key === null || message.key === undefined) return fallback(args);
    const bytes = typeof message.key === 'string' ? Buffer.from(message.key, 'utf8') : message.key;
    return (murmur2(bytes) & 0x7fffffff) % partitionMetadata.length;
  };
};
