import {
  topicKeys,
  type BlockRecord,
  type FrameEncoder,
  type LogBatch,
  type Serdes,
  type TransactionBatch,
} from '../../../schemas/index.ts';
import type { BlockRecords } from './to-avro.ts';

/** The synchronous encoders of the three raw topics, under their registered schema ids. */
export interface RawTopicEncoders {
  blocks: FrameEncoder<BlockRecord>;
  transactions: FrameEncoder<TransactionBatch>;
  logs: FrameEncoder<LogBatch>;
}

/** One block's records on eth.blocks.raw / eth.transactions.raw / eth.logs.raw, Avro-framed, with their Kafka key. */
export interface EncodedBlockRecords {
  key: string;
  block: Buffer;
  transactions: Buffer[];
  logs: Buffer[];
}

/** Registers the raw topics' schemas (once) and returns their encoders. */
export async function rawTopicEncoders(serdes: Serdes): Promise<RawTopicEncoders> {
  const [blocks, transactions, logs] = await Promise.all([
    serdes.frameEncoder('eth.blocks.raw'),
    serdes.frameEncoder('eth.transactions.raw'),
    serdes.frameEncoder('eth.logs.raw'),
  ]);
  return { blocks, transactions, logs };
}

export function encodeBlockRecords(records: BlockRecords, encoders: RawTopicEncoders): EncodedBlockRecords {
  return {
    key: topicKeys.block(records.block.chain_id, records.block.block_number),
    block: encoders.blocks.encode(records.block),
    transactions: records.transactions.map((t) => encoders.transactions.encode(t)),
    logs: records.logs.map((l) => encoders.logs.encode(l)),
  };
}

/** Sum of the encoded values' sizes (what a transaction carries). */
export function encodedBytes(items: readonly EncodedBlockRecords[]): number {
  let bytes = 0;
  for (const item of items) {
    bytes += item.block.length;
    for (const t of item.transactions) bytes += t.length;
    for (const l of item.logs) bytes += l.length;
  }
  return bytes;
}
