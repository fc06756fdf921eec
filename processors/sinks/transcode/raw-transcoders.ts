import { BinaryWriter } from '../row-binary/binary-writer.ts';
import type { RecordTranscoder } from '../sink-types.ts';
import { AvroCursor, DECLINE } from './avro-cursor.ts';
import {
  ADDRESS20,
  HASH32,
  HEX_DATA,
  hexColumn,
  hexSpan,
  nullableHexColumn,
  nullableSmallUIntColumn,
  nullableUInt256TextColumn,
  nullableUInt64Column,
  uint256TextColumn,
  uint64Column,
  writeHex,
} from './column-writers.ts';

/**
 * The raw sinks' records read straight from their Avro bytes into RowBinary of RAW_*_COLUMNS (ADR 0015): the rows
 * raw-rows.ts would map and row-encoder.ts would encode, byte for byte (raw-transcoders.test.ts compares them),
 * without a decoded record, row objects or JS strings. Only `kind = block` records are transcoded; retractions,
 * finality markers and every record the general path would refuse or dead-letter are declined and take that path.
 * Field order is the one of schemas/eth.{blocks,transactions,logs}.raw.avsc.
 */

/** 9999-12-31 23:59:59.999: the last epoch ms raw-rows.ts's chDateTime64 writes as text DateTime64 reads back. */
const MAX_DATETIME64_MS = 253_402_300_799_999;
const MAX_LOG_TOPICS = 4;

/** The columns every row of a record shares: envelope (head) and versioning (tail), encoded once per record. */
interface Shared {
  head: Buffer;
  tail: Buffer;
}

function epochMs(c: AvroCursor): number {
  const ms = c.long();
  if (ms < 0 || ms > MAX_DATETIME64_MS) throw DECLINE;
  return ms;
}

/**
 * The envelope fields (kind … observed_at) into `scratch`: chain_id, block_number, block_hash, block_timestamp
 * (head) and version, is_orphaned = 0, observed_at (tail).
 */
function readShared(c: AvroCursor, scratch: BinaryWriter): Shared {
  if (c.long() !== 0) throw DECLINE; // kind: only `block` (reorg and finalize take the general path)
  scratch.reset();
  scratch.u64(c.unsigned()); // chain_id
  scratch.u64(c.unsigned()); // block_number
  hexColumn(c, scratch, HASH32); // block_hash
  scratch.u64(epochMs(c)); // block_timestamp
  c.span(); // checkpoint: not a column
  const version = c.unsigned();
  const observedAt = epochMs(c);
  const head = scratch.slice();
  scratch.u64(version);
  scratch.u8(0); // is_orphaned
  scratch.u64(observedAt);
  return { head, tail: scratch.slice() };
}

/** eth.blocks.raw → raw_blocks: one row per block record. */
function blockRecord(c: AvroCursor, w: BinaryWriter, scratch: BinaryWriter): number {
  const { head, tail } = readShared(c, scratch);
  if (!c.present()) throw DECLINE; // kind=block without a header: the general path's mapping error
  w.raw(head);
  hexColumn(c, w, HASH32); // parent_hash
  hexColumn(c, w, ADDRESS20); // miner
  uint64Column(c, w); // gas_limit
  uint64Column(c, w); // gas_used
  nullableUInt256TextColumn(c, w); // base_fee_per_gas
  uint64Column(c, w); // size_bytes
  w.u32(c.uint(0xffff_ffff)); // transaction_count
  nullableSmallUIntColumn(c, w, 32); // log_count
  nullableUInt64Column(c, w); // blob_gas_used
  nullableUInt64Column(c, w); // excess_blob_gas
  w.raw(tail);
  c.done();
  return 1;
}

/** One transaction of eth.transactions.raw → one raw_transactions row (tx_index before tx_hash in the table). */
function transactionRow(c: AvroCursor, w: BinaryWriter, shared: Shared): void {
  const hashAt = hexSpan(c, HASH32);
  const txIndex = c.uint(0xffff_ffff);
  w.raw(shared.head);
  w.u32(txIndex);
  writeHex(w, c, hashAt, HASH32);
  hexColumn(c, w, ADDRESS20); // from_address
  nullableHexColumn(c, w, ADDRESS20); // to_address
  uint256TextColumn(c, w); // value
  uint64Column(c, w); // nonce
  uint64Column(c, w); // gas
  nullableUInt256TextColumn(c, w); // gas_price
  nullableUInt256TextColumn(c, w); // max_fee_per_gas
  nullableUInt256TextColumn(c, w); // max_priority_fee_per_gas
  w.u8(c.uint(0xff)); // tx_type
  hexColumn(c, w, HEX_DATA); // input
  nullableSmallUIntColumn(c, w, 8); // status
  nullableUInt64Column(c, w); // gas_used
  nullableUInt256TextColumn(c, w); // effective_gas_price
  nullableHexColumn(c, w, ADDRESS20); // contract_address
  w.raw(shared.tail);
}

/** Topic starts of the current log (at most 4). */
const topicStarts = [0, 0, 0, 0];

/** One log of eth.logs.raw → one raw_logs row. */
function logRow(c: AvroCursor, w: BinaryWriter, shared: Shared): void {
  const hashAt = hexSpan(c, HASH32);
  const txIndex = c.uint(0xffff_ffff);
  const logIndex = c.uint(0xffff_ffff);
  w.raw(shared.head);
  w.u32(txIndex);
  writeHex(w, c, hashAt, HASH32);
  w.u32(logIndex);
  hexColumn(c, w, ADDRESS20); // address
  // topics: the count goes first in RowBinary, so the (possibly several) Avro blocks are read before writing.
  let topics = 0;
  for (let n = c.block(); n !== 0; n = c.block()) {
    if (topics + n > MAX_LOG_TOPICS) throw DECLINE;
    for (let i = 0; i < n; i += 1) topicStarts[topics++] = hexSpan(c, HASH32);
  }
  w.varUInt(topics);
  for (let i = 0; i < topics; i += 1) writeHex(w, c, topicStarts[i]!, HASH32);
  hexColumn(c, w, HEX_DATA); // data
  w.raw(shared.tail);
}

/** A record whose rows are the items of its array (transactions, logs), after `part` and `parts`. */
function itemsRecord(row: (c: AvroCursor, w: BinaryWriter, shared: Shared) => void) {
  return (c: AvroCursor, w: BinaryWriter, scratch: BinaryWriter): number => {
    const shared = readShared(c, scratch);
    c.long(); // part
    c.long(); // parts
    let rows = 0;
    for (let n = c.block(); n !== 0; n = c.block()) {
      for (let i = 0; i < n; i += 1) row(c, w, shared);
      rows += n;
    }
    c.done();
    return rows;
  };
}

type RecordReader = (c: AvroCursor, w: BinaryWriter, scratch: BinaryWriter) => number;

function transcoder(read: RecordReader): RecordTranscoder {
  const cursor = new AvroCursor();
  const scratch = new BinaryWriter(512);
  return {
    transcode(body, w) {
      cursor.reset(body);
      try {
        return read(cursor, w, scratch);
      } catch (error) {
        if (error !== DECLINE) throw error;
        w.rewind();
        return undefined;
      }
    },
  };
}

/** eth.blocks.raw → RAW_BLOCKS_COLUMNS. */
export const createBlocksTranscoder = (): RecordTranscoder => transcoder(blockRecord);
/** eth.transactions.raw → RAW_TRANSACTIONS_COLUMNS. */
export const createTransactionsTranscoder = (): RecordTranscoder => transcoder(itemsRecord(transactionRow));
/** eth.logs.raw → RAW_LOGS_COLUMNS. */
export const createLogsTranscoder = (): RecordTranscoder => transcoder(itemsRecord(logRow));
