import type { RejectKind, TransferForm, TransferKind } from '../../schemas/generated/types.ts';
import { CHECKPOINT_WIDTHS, encodeCheckpoint } from '../../schemas/checkpoint.ts';
import { formatAmount, isValidDecimals } from './amount.ts';
import type { DecodedTransfer } from './decode-transfer.ts';
import type { EvmLog } from './log.ts';
import type { RejectReason } from './reject-reason.ts';
import type { TokenMetadata } from './token-metadata.ts';
import { ZERO_ADDRESS } from './transfer-event.ts';

/** Where a Transfer-topic log sits, as the transfer and reject records carry it (same names and units as Avro). */
export interface TransferLogPosition {
  readonly chain_id: number;
  readonly block_number: number;
  readonly block_hash: string;
  /** UTC epoch milliseconds (event time). */
  readonly block_timestamp: number;
  readonly tx_hash: string;
  readonly tx_index: number;
  readonly log_index: number;
  /** (block_timestamp, chain, block, tx, log), see schemas/checkpoint.ts (the contract shared with Avro and ClickHouse). */
  readonly checkpoint: string;
  /** The emitting contract. */
  readonly token_address: string;
}

/**
 * One ERC-20 transfer, as the processors handle it. Same field names, values and units as the `erc20.transfers` Avro
 * record (schemas/erc20.transfers.avsc) and the `erc20_transfers` table: `kind` (transfer | retraction), `form`
 * (standard | legacy), `block_timestamp` in UTC epoch milliseconds. Only the representation differs where the
 * processors compute: `amount_raw` is a bigint (the record's decimal string), hex fields are plain strings, and the
 * record's `version` is added when it is published (erc20-decoder).
 */
export interface Erc20Transfer extends TransferLogPosition {
  /** `retraction`: the log's block was reorged out; undo this transfer's effect. */
  readonly kind: TransferKind;
  readonly from_address: string;
  readonly to_address: string;
  /** Exact uint256. */
  readonly amount_raw: bigint;
  /** amount_raw / 10^decimals, exact; null when decimals are unknown. */
  readonly amount_decimal: string | null;
  readonly decimals: number | null;
  readonly symbol: string | null;
  /** from is the zero address. */
  readonly is_mint: boolean;
  /** to is the zero address. */
  readonly is_burn: boolean;
  readonly form: TransferForm;
}

/**
 * One rejected Transfer-topic log: the `erc20.rejects` Avro record and `erc20_rejects` table (same names and units),
 * without the `version` added when it is published.
 */
export interface Erc20Reject extends TransferLogPosition {
  /** `retraction`: the log's block was reorged out. */
  readonly kind: RejectKind;
  readonly reason: RejectReason;
  /** The log's topics and data, lowercase, as received. */
  readonly topics: readonly string[];
  readonly data: string;
}

/** Key of `erc20.transfers` (partitions `token_metrics_daily` by chain and token): `<chainId>:<token>`. */
export function tokenPartitionKey(t: { readonly chain_id: number; readonly token_address: string }): string {
  return `${t.chain_id}:${t.token_address}`;
}

/**
 * Key of `erc20.transfers.by-address` (one copy per participant, partitions `address_flows_daily`):
 * `<chainId>:<address>:<token>`, the aggregation key minus the day.
 */
export function addressPartitionKey(t: {
  readonly chain_id: number;
  readonly address: string;
  readonly token_address: string;
}): string {
  return `${t.chain_id}:${t.address}:${t.token_address}`;
}

const W = CHECKPOINT_WIDTHS;

/** `n` as exactly `width` decimal digits, or undefined when it is not a non-negative safe integer that fits. */
function fixedDigits(n: number, width: number): string | undefined {
  if (n >= 0 && n < SMALL_DIGITS && Number.isInteger(n)) {
    const table = (smallDigits[width] ??= []);
    return (table[n] ??= padDigits(n, width));
  }
  return padDigits(n, width);
}

function padDigits(n: number, width: number): string | undefined {
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  const digits = String(n);
  return digits.length > width ? undefined : digits.padStart(width, '0');
}

/** Below this, fixedDigits answers from a table: tx and log indices are small, and every log's checkpoint has two. */
const SMALL_DIGITS = 1024;
/** Per width, fixedDigits(n) of n < SMALL_DIGITS, filled as they are asked for. */
const smallDigits: (string | undefined)[][] = [];

/** The fields of a log position its checkpoint is made of. */
export type CheckpointFields = Pick<EvmLog, 'block_timestamp' | 'chain_id' | 'block_number' | 'tx_index' | 'log_index'>;

/** The fields of a block its checkpoints start with. */
export type BlockCheckpointFields = Pick<EvmLog, 'block_timestamp' | 'chain_id' | 'block_number'>;

/**
 * The first three parts of every checkpoint of a block (timestamp, chain, block), computed once per block; undefined
 * when one does not fit on the fast path (then checkpointAt leaves it to encodeCheckpoint and its errors).
 */
export function blockCheckpointPrefix(block: BlockCheckpointFields): string | undefined {
  const ts = fixedDigits(block.block_timestamp, W.timestampMs);
  const chain = fixedDigits(block.chain_id, W.chainId);
  const number = fixedDigits(block.block_number, W.blockNumber);
  return ts !== undefined && chain !== undefined && number !== undefined ? ts + chain + number : undefined;
}

/**
 * checkpointOf({ ...block, tx_index, log_index }) given `prefix` = blockCheckpointPrefix(block): the decoder's per-log
 * call, the block's parts computed once and no position object built.
 */
export function checkpointAt(
  prefix: string | undefined,
  block: BlockCheckpointFields,
  txIndex: number,
  logIndex: number,
): string {
  if (prefix !== undefined) {
    const tx = fixedDigits(txIndex, W.txIndex);
    const index = fixedDigits(logIndex, W.logIndex);
    if (tx !== undefined && index !== undefined) return prefix + tx + index;
  }
  return encodeCheckpoint({
    timestampMs: block.block_timestamp,
    chainId: block.chain_id,
    blockNumber: block.block_number,
    txIndex,
    logIndex,
  });
}

/** encodeCheckpoint on plain numbers without BigInt conversions; anything unusual goes through it (and its errors). */
export function checkpointOf(log: CheckpointFields): string {
  return checkpointAt(blockCheckpointPrefix(log), log, log.tx_index, log.log_index);
}

function positionOf(log: EvmLog): TransferLogPosition {
  return {
    chain_id: log.chain_id,
    block_number: log.block_number,
    block_hash: log.block_hash,
    block_timestamp: log.block_timestamp,
    tx_hash: log.tx_hash,
    tx_index: log.tx_index,
    log_index: log.log_index,
    checkpoint: checkpointOf(log),
    token_address: log.address,
  };
}

/** Builds the transfer from a decoded log and (possibly unknown) token metadata; `retraction` when its block was orphaned. */
export function toTransfer(
  log: EvmLog,
  decoded: DecodedTransfer,
  metadata: TokenMetadata | undefined,
  kind: TransferKind = 'transfer',
): Erc20Transfer {
  const decimals = metadata !== undefined && isValidDecimals(metadata.decimals) ? metadata.decimals : null;
  return {
    kind,
    ...positionOf(log),
    from_address: decoded.from,
    to_address: decoded.to,
    amount_raw: decoded.amount,
    amount_decimal: formatAmount(decoded.amount, decimals),
    decimals,
    symbol: metadata?.symbol ?? null,
    is_mint: decoded.from === ZERO_ADDRESS,
    is_burn: decoded.to === ZERO_ADDRESS,
    form: decoded.form,
  };
}

/** The reject of a Transfer-topic log that is not an ERC-20 transfer; `retraction` when its block was orphaned. */
export function toReject(log: EvmLog, reason: RejectReason, kind: RejectKind = 'rejection'): Erc20Reject {
  return {
    kind,
    ...positionOf(log),
    reason,
    topics: log.topics.map((t) => t.toLowerCase()),
    data: log.data.toLowerCase(),
  };
}
