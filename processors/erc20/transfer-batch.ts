import { NonRetryableError } from '../../core/errors.ts';
import type { Transfer, TransferBatch, TransferBatchLegs, TransferKind } from '../../schemas/generated/types.ts';
import { formatAmount } from './amount.ts';
import type { EvmLog } from './log.ts';
import { partitionOfParts } from './key-partition.ts';
import { checkpointOf } from './transfer.ts';
import { ZERO_ADDRESS } from './transfer-event.ts';

/**
 * The internal hops between the decoder and the daily aggregates (ADR 0018): per decoded block (part), one
 * `TransferBatch` per partition of `erc20.transfer-batches.by-token` / `.by-address`, its rows in the decoder's
 * order, each row exactly one `erc20.transfers` record (fields shared by the block are stored once, fields the
 * decoder derives are derived again by the same functions). A batch is keyed by its first row's per-entity key, so
 * the default partitioner puts it in the partition each of its rows' own keys hashes to.
 */

/** Partition counts of the two internal hop topics (config/kafka.yml); the decoder groups rows by them. */
export interface HopPartitions {
  readonly byToken: number;
  readonly byAddress: number;
}

/** The partition counts config/kafka.yml declares (a unit test keeps them equal). */
export const DEFAULT_HOP_PARTITIONS: HopPartitions = { byToken: 6, byAddress: 6 };

/** The fields every row of a batch shares: the block, and the kind and version of the observation. */
export type BatchBlock = Pick<EvmLog, 'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp'> & {
  readonly kind: TransferKind;
  readonly version: number;
};

/** A batch record and the key it is produced under. */
export interface KeyedBatch {
  readonly key: string;
  readonly value: TransferBatch;
}

/** A batch whose columns disagree in length: it cannot stand for any list of transfers (dead-lettered whole). */
export class MalformedTransferBatchError extends NonRetryableError {
  override readonly name = 'MalformedTransferBatchError';
  constructor(column: string, length: number, rows: number, block: { chain_id: number; block_number: number }) {
    super('ORACUL_TRANSFER_BATCH_MALFORMED', `transfer batch column ${column} has ${length} values for ${rows} rows`, {
      details: { column, length, rows, chain_id: block.chain_id, block_number: block.block_number },
    });
  }
}

/** A partition's batch being filled: its first row's key, its rows (transfer records) and, by address, their legs. */
interface PendingBatch {
  readonly key: string;
  readonly rows: Transfer[];
  readonly legs: TransferBatchLegs[];
}

/**
 * The batch record of a partition's rows, its columns built once the rows are known: exactly sized arrays (a block
 * part has a few rows per partition, and arrays grown row by row would carry 17-slot stores per column).
 */
function batchOf(block: BatchBlock, checkpoint: string, pending: PendingBatch): TransferBatch {
  const rows = pending.rows;
  return {
    kind: block.kind,
    chain_id: block.chain_id,
    block_number: block.block_number,
    block_hash: block.block_hash as TransferBatch['block_hash'],
    block_timestamp: block.block_timestamp,
    checkpoint,
    version: block.version,
    tx_hash: rows.map((t) => t.tx_hash),
    tx_index: rows.map((t) => t.tx_index),
    log_index: rows.map((t) => t.log_index),
    token_address: rows.map((t) => t.token_address),
    from_address: rows.map((t) => t.from_address),
    to_address: rows.map((t) => t.to_address),
    amount_raw: rows.map((t) => t.amount_raw),
    decimals: rows.map((t) => t.decimals),
    symbol: rows.map((t) => t.symbol),
    form: rows.map((t) => t.form),
    legs: pending.legs,
  };
}

/**
 * Batches by partition, in the order their first row came; a batch's key is its first row's key. The caller hashes
 * a row's key parts once (partitionOfParts) and builds the key string only to open a batch.
 */
class PartitionedBatches {
  private readonly byPartition: (PendingBatch | undefined)[] = [];
  private readonly inOrder: PendingBatch[] = [];

  at(partition: number): PendingBatch | undefined {
    return this.byPartition[partition];
  }

  open(partition: number, key: string): PendingBatch {
    const batch: PendingBatch = { key, rows: [], legs: [] };
    this.byPartition[partition] = batch;
    this.inOrder.push(batch);
    return batch;
  }

  get size(): number {
    return this.inOrder.length;
  }

  list(block: BatchBlock, checkpoint: string): KeyedBatch[] {
    return this.inOrder.map((b) => ({ key: b.key, value: batchOf(block, checkpoint, b) }));
  }
}

/**
 * How the hops route a token's rows: the `erc20.transfers` key `<chain>:<token>` (tokenPartitionKey) and its
 * by-token partition, and the tail `:<token>` of its by-address keys. Worked out once per token and block.
 */
export interface HopToken {
  readonly key: string;
  readonly partition: number;
  readonly keyTail: string;
}

/** The HopToken of `key` = tokenPartitionKey({ chain_id, token_address }). */
export function hopTokenOf(key: string, tokenAddress: string, partitions: HopPartitions): HopToken {
  return { key, partition: partitionOfParts(key, '', '', partitions.byToken), keyTail: `:${tokenAddress}` };
}

/**
 * One block part's rows on both hops, added transfer record by transfer record in the decoder's order:
 * - `erc20.transfer-batches.by-token`: each transfer once, in the partition of `<chain>:<token>`;
 * - `.by-address`: each transfer in the partition of each non-zero participant's `<chain>:<address>:<token>`
 *   (addressPartitionKey), with the legs that partition takes: the sender's `out` leg, the receiver's `in` leg, or
 *   `both` (out then in, as the per-participant records came before) when they share a partition.
 */
export class HopBatches {
  private readonly byToken = new PartitionedBatches();
  private readonly byAddress = new PartitionedBatches();
  /** `<chain>:`, the head of every by-address key. */
  private readonly chainHead: string;
  private batchCheckpoint: string | undefined;

  constructor(
    private readonly block: BatchBlock,
    private readonly partitions: HopPartitions,
  ) {
    this.chainHead = `${block.chain_id}:`;
  }

  /** Adds a transfer record of token `token` (its `erc20.transfers` record, in decoder order). */
  add(t: Transfer, token: HopToken): void {
    (this.byToken.at(token.partition) ?? this.byToken.open(token.partition, token.key)).rows.push(t);
    const n = this.partitions.byAddress;
    const out = t.from_address === ZERO_ADDRESS ? -1 : partitionOfParts(this.chainHead, t.from_address, token.keyTail, n);
    const into = t.to_address === ZERO_ADDRESS ? -1 : partitionOfParts(this.chainHead, t.to_address, token.keyTail, n);
    if (out >= 0 && out === into) this.addLeg(t, out, t.from_address, token, 'both');
    else {
      if (out >= 0) this.addLeg(t, out, t.from_address, token, 'out');
      if (into >= 0) this.addLeg(t, into, t.to_address, token, 'in');
    }
  }

  tokenBatches(): KeyedBatch[] {
    return this.listed(this.byToken);
  }

  addressBatches(): KeyedBatch[] {
    return this.listed(this.byAddress);
  }

  /** The batch records of one hop; each carries the block's (tx 0, log 0) checkpoint, computed once. */
  private listed(batches: PartitionedBatches): KeyedBatch[] {
    if (batches.size === 0) return [];
    this.batchCheckpoint ??= checkpointOf({ ...this.block, tx_index: 0, log_index: 0 });
    return batches.list(this.block, this.batchCheckpoint);
  }

  private addLeg(t: Transfer, partition: number, address: string, token: HopToken, legs: TransferBatchLegs): void {
    const batch = this.byAddress.at(partition) ?? this.byAddress.open(partition, this.chainHead + address + token.keyTail);
    batch.rows.push(t);
    batch.legs.push(legs);
  }
}

const ROW_COLUMNS = [
  'tx_index',
  'log_index',
  'token_address',
  'from_address',
  'to_address',
  'amount_raw',
  'decimals',
  'symbol',
  'form',
] as const satisfies readonly (keyof TransferBatch)[];

/** The number of rows of a batch, after checking that every row column has one value per row. */
export function rowCountOf(batch: TransferBatch): number {
  const rows = batch.tx_hash.length;
  for (const column of ROW_COLUMNS)
    if (batch[column].length !== rows) throw new MalformedTransferBatchError(column, batch[column].length, rows, batch);
  return rows;
}

/** Row `i` as the `erc20.transfers` record the decoder published for it, field for field. */
function transferOfRow(batch: TransferBatch, i: number): Transfer {
  const from = batch.from_address[i]!;
  const to = batch.to_address[i]!;
  const decimals = batch.decimals[i]!;
  const position = { ...batch, tx_index: batch.tx_index[i]!, log_index: batch.log_index[i]! };
  return {
    kind: batch.kind,
    chain_id: batch.chain_id,
    block_number: batch.block_number,
    block_hash: batch.block_hash,
    block_timestamp: batch.block_timestamp,
    tx_hash: batch.tx_hash[i]!,
    tx_index: position.tx_index,
    log_index: position.log_index,
    checkpoint: checkpointOf(position),
    token_address: batch.token_address[i]!,
    from_address: from,
    to_address: to,
    amount_raw: batch.amount_raw[i]!,
    amount_decimal: formatAmount(BigInt(batch.amount_raw[i]!), decimals) as Transfer['amount_decimal'],
    decimals,
    symbol: batch.symbol[i]!,
    is_mint: from === ZERO_ADDRESS,
    is_burn: to === ZERO_ADDRESS,
    form: batch.form[i]!,
    version: batch.version,
  };
}

/** Every row of a batch as its `erc20.transfers` record, in order. */
export function transfersOfBatch(batch: TransferBatch): Transfer[] {
  const rows = rowCountOf(batch);
  const transfers: Transfer[] = new Array<Transfer>(rows);
  for (let i = 0; i < rows; i++) transfers[i] = transferOfRow(batch, i);
  return transfers;
}

/** The legs column of a by-address batch, checked to have one value per row. */
export function legsOfBatch(batch: TransferBatch): readonly TransferBatchLegs[] {
  const rows = rowCountOf(batch);
  if (batch.legs.length !== rows) throw new MalformedTransferBatchError('legs', batch.legs.length, rows, batch);
  return batch.legs;
}
