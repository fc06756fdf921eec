import { Partitioners, type PartitionMetadata } from 'kafkajs';

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

type KeyPartitioner = ReturnType<(typeof Partitioners)['DefaultPartitioner']>;
let defaultPartitioner: KeyPartitioner | undefined;
const partitionMetadata = new Map<number, PartitionMetadata[]>();

/**
 * The partition the producer (kafkajs' default partitioner: Java-compatible murmur2, positive, modulo the partition
 * count) writes a keyed record to, for a topic of `partitions` partitions. Stream stages never set explicit
 * partitions, so a batch record of an internal hop keyed like its rows lands where each row's own key would
 * (ADR 0018).
 */
export function partitionOfKey(key: string, partitions: number): number {
  defaultPartitioner ??= Partitioners.DefaultPartitioner();
  let metadata = partitionMetadata.get(partitions);
  if (metadata === undefined) {
    metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    partitionMetadata.set(partitions, metadata);
  }
  return defaultPartitioner({ topic: '', partitionMetadata: metadata, message: { key, value: null } });
}
