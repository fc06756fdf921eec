import { CHECKPOINT_WIDTHS, encodeCheckpoint } from '../../schemas/checkpoint.ts';
import { formatAmount, isValidDecimals } from './amount.ts';
import type { DecodedTransfer, TransferEncoding } from './decodeTransfer.ts';
import type { EvmLog } from './log.ts';
import type { RejectReason } from './rejectReason.ts';
import type { TokenMetadata } from './tokenMetadata.ts';
import { ZERO_ADDRESS } from './transferEvent.ts';

/**
 * One ERC-20 transfer: the `erc20.transfers` topic and `erc20_transfers` table (columns of issue 4, plus the
 * fields downstream processors need: tx_index and checkpoint for ordering, decimals for USD, flags).
 */
export interface Erc20Transfer {
  readonly chain_id: number;
  readonly block_number: number;
  readonly block_hash: string;
  readonly tx_hash: string;
  readonly tx_index: number;
  readonly log_index: number;
  readonly token_address: string;
  readonly from_address: string;
  readonly to_address: string;
  /** Exact uint256. */
  readonly amount_raw: bigint;
  /** amount_raw / 10^decimals, exact; null when decimals are unknown. */
  readonly amount_decimal: string | null;
  readonly decimals: number | null;
  readonly symbol: string | null;
  /** Block timestamp, unix seconds (event time). */
  readonly timestamp: number;
  /** from is the zero address. */
  readonly is_mint: boolean;
  /** to is the zero address. */
  readonly is_burn: boolean;
  readonly encoding: TransferEncoding;
  /** True for a retraction: the log's block was reorged out; undo this transfer's effect. */
  readonly removed: boolean;
  /** (timestamp, chain, block, tx, log), see schemas/checkpoint.ts (the contract shared with Avro and ClickHouse). */
  readonly checkpoint: string;
}

/** One rejected Transfer-topic log: the `erc20.rejects` topic and `erc20_rejects` table. */
export interface Erc20Reject {
  readonly chain_id: number;
  readonly block_number: number;
  readonly block_hash: string;
  readonly tx_hash: string;
  readonly log_index: number;
  /** The emitting contract. */
  readonly token_address: string;
  readonly reason: RejectReason;
  readonly topic_count: number;
  /** Data length in bytes, or -1 when the data is not even hex. */
  readonly data_bytes: number;
  readonly timestamp: number;
  readonly removed: boolean;
  readonly checkpoint: string;
}

const W = CHECKPOINT_WIDTHS;

/** `n` as exactly `width` decimal digits, or undefined when it is not a non-negative safe integer that fits. */
function fixedDigits(n: number, width: number): string | undefined {
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  const digits = String(n);
  return digits.length > width ? undefined : digits.padStart(width, '0');
}

/** encodeCheckpoint on plain numbers without BigInt conversions; anything unusual goes through it (and its errors). */
function checkpointOf(log: EvmLog): string {
  const ts = fixedDigits(log.block_timestamp * 1000, W.timestampMs);
  const chain = fixedDigits(log.chain_id, W.chainId);
  const block = fixedDigits(log.block_number, W.blockNumber);
  const tx = fixedDigits(log.tx_index, W.txIndex);
  const index = fixedDigits(log.log_index, W.logIndex);
  if (ts !== undefined && chain !== undefined && block !== undefined && tx !== undefined && index !== undefined)
    return ts + chain + block + tx + index;
  return encodeCheckpoint({
    timestampMs: log.block_timestamp * 1000,
    chainId: log.chain_id,
    blockNumber: log.block_number,
    txIndex: log.tx_index,
    logIndex: log.log_index,
  });
}

/** Builds the transfer record from a decoded log and (possibly unknown) token metadata. */
export function toTransfer(log: EvmLog, decoded: DecodedTransfer, metadata: TokenMetadata | undefined): Erc20Transfer {
  const decimals = metadata !== undefined && isValidDecimals(metadata.decimals) ? metadata.decimals : null;
  return {
    chain_id: log.chain_id,
    block_number: log.block_number,
    block_hash: log.block_hash,
    tx_hash: log.tx_hash,
    tx_index: log.tx_index,
    log_index: log.log_index,
    token_address: log.address,
    from_address: decoded.from,
    to_address: decoded.to,
    amount_raw: decoded.amount,
    amount_decimal: formatAmount(decoded.amount, decimals),
    decimals,
    symbol: metadata?.symbol ?? null,
    timestamp: log.block_timestamp,
    is_mint: decoded.from === ZERO_ADDRESS,
    is_burn: decoded.to === ZERO_ADDRESS,
    encoding: decoded.encoding,
    removed: log.removed,
    checkpoint: checkpointOf(log),
  };
}

export function toReject(log: EvmLog, reason: RejectReason): Erc20Reject {
  const hexOk = /^0x(?:[0-9a-fA-F]{2})*$/.test(log.data);
  return {
    chain_id: log.chain_id,
    block_number: log.block_number,
    block_hash: log.block_hash,
    tx_hash: log.tx_hash,
    log_index: log.log_index,
    token_address: log.address,
    reason,
    topic_count: log.topics.length,
    data_bytes: hexOk ? (log.data.length - 2) / 2 : -1,
    timestamp: log.block_timestamp,
    removed: log.removed,
    checkpoint: checkpointOf(log),
  };
}
