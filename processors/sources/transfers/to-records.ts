import type { BlockRecord as AvroBlockRecord } from '../../../schemas/index.ts';
import { toBlockRecords, type BlockRecords } from '../publish/to-avro.ts';
import type { TransferBlock } from './normalize-transfers.ts';

/**
 * The Kafka records of a transfers-only block: the same eth.logs.raw LogBatch records (envelope, version,
 * checkpoint, parts) that `toBlockRecords` gives a full block, holding only its Transfer logs, and its
 * eth.blocks.raw header, with two differences that keep the raw layer honest:
 * - `log_count` is null: the block's logs were not all fetched, so their number is unknown. This null on a
 *   kind=block record is the durable transfers-only marker (schemas/eth.blocks.raw.avsc, raw_blocks.transfers_only);
 * - nothing goes to eth.transactions.raw: an empty TransactionBatch would claim the block has no transactions.
 * `transaction_count` stays the header's true count.
 */
export function toTransferBlockRecords(item: TransferBlock, version: number, observedAt: number): BlockRecords {
  const records = toBlockRecords({ block: item.block, transactions: [], logs: item.logs }, version, observedAt);
  return { block: markTransfersOnly(records.block), transactions: [], logs: records.logs };
}

function markTransfersOnly(block: AvroBlockRecord): AvroBlockRecord {
  if (block.header === null) return block;
  return { ...block, header: { ...block.header, log_count: null } };
}

/** Whether a committed eth.blocks.raw record is a transfers-only observation (see toTransferBlockRecords). */
export function isTransfersOnlyRecord(record: AvroBlockRecord): boolean {
  return record.kind === 'block' && record.header !== null && record.header.log_count === null;
}
