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
  /** market.prices.raw, erc20.transfers, erc20.transfers.late, token.metrics.daily: per-token order. */
  token: (chainId: number | bigint, tokenAddress: string): string => `${chainId}:${tokenAddress.toLowerCase()}`,
  /** erc20.transfers.by-address, address.flows.daily: per-address order. */
  address: (chainId: number | bigint, address: string): string => `${chainId}:${address.toLowerCase()}`,
  /** erc20.tokens (compacted): the latest metadata per contract survives compaction. */
  tokenMetadata: (chainId: number | bigint, address: string): string => `${chainId}:${address.toLowerCase()}`,
  /** anomalies (compacted): every version of one anomaly in order; the latest survives compaction. */
  anomaly: (anomalyId: string): string => anomalyId,
  /** dq.checks: the runs of one check on one subject in order. */
  dqCheck: (checkName: string, chainId: number | bigint, subject: string): string => `${checkName}:${chainId}:${subject}`,
} as const;
