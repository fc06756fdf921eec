/**
 * A raw EVM log as the erc20-decoder reads it from an `eth.logs.raw` record: the log plus the block fields a processor
 * needs, in the record's names and units. Hex strings are lowercase; quantities are numbers (safe integers). Whether
 * the log is retracted (its block left the canonical chain) is the record's `kind`, not a field of the log.
 */
export interface EvmLog {
  readonly chain_id: number;
  readonly block_number: number;
  readonly block_hash: string;
  /** Block timestamp, UTC epoch milliseconds. */
  readonly block_timestamp: number;
  readonly tx_hash: string;
  readonly tx_index: number;
  readonly log_index: number;
  /** The emitting contract. */
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}
