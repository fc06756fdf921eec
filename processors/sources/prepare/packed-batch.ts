import type { Hex } from '../normalize/records.ts';
import type { PreparedBatch } from './prepare-range.ts';

/**
 * A PreparedBatch as a worker thread posts it: every encoded value in one transferable
 * ArrayBuffer (moved, not copied, and never a slice of Node's shared Buffer pool), plus
 * the numbers needed to cut it back into values.
 */
export interface PackedBatch {
  from: number;
  to: number;
  /** Per block: number, timestampMs, logs, transactions, transaction records, log records. */
  numbers: number[];
  /** Per block: hash, parentHash, Kafka key. */
  strings: string[];
  /** Byte length of every value, in order: block, its transaction records, its log records; next block. */
  lengths: number[];
  bytes: ArrayBuffer;
}

const NUMBERS_PER_BLOCK = 6;
const STRINGS_PER_BLOCK = 3;

export function packBatch(batch: PreparedBatch): PackedBatch {
  const numbers: number[] = [];
  const strings: string[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (const { ref, logs, transactions, encoded } of batch.blocks) {
    numbers.push(ref.number, ref.timestampMs, logs, transactions, encoded.transactions.length, encoded.logs.length);
    strings.push(ref.hash, ref.parentHash, encoded.key);
    for (const value of [encoded.block, ...encoded.transactions, ...encoded.logs]) {
      lengths.push(value.length);
      total += value.length;
    }
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const { encoded } of batch.blocks) {
    for (const value of [encoded.block, ...encoded.transactions, ...encoded.logs]) at += value.copy(bytes, at);
  }
  return { from: batch.from, to: batch.to, numbers, strings, lengths, bytes: bytes.buffer as ArrayBuffer };
}

export function unpackBatch(packed: PackedBatch): PreparedBatch {
  const all = Buffer.from(packed.bytes);
  let at = 0;
  let next = 0;
  const take = (): Buffer => {
    const length = packed.lengths[next++]!;
    const value = all.subarray(at, at + length);
    at += length;
    return value;
  };
  const blocks: PreparedBatch['blocks'] = [];
  for (let i = 0; i * NUMBERS_PER_BLOCK < packed.numbers.length; i += 1) {
    const [number, timestampMs, logs, transactions, txRecords, logRecords] = packed.numbers.slice(
      i * NUMBERS_PER_BLOCK,
      (i + 1) * NUMBERS_PER_BLOCK,
    ) as [number, number, number, number, number, number];
    const [hash, parentHash, key] = packed.strings.slice(i * STRINGS_PER_BLOCK, (i + 1) * STRINGS_PER_BLOCK) as [
      Hex,
      Hex,
      string,
    ];
    const block = take();
    const txs = Array.from({ length: txRecords }, take);
    const logRecordsOut = Array.from({ length: logRecords }, take);
    blocks.push({
      ref: { number, hash, parentHash, timestampMs },
      logs,
      transactions,
      encoded: { key, block, transactions: txs, logs: logRecordsOut },
    });
  }
  return { from: packed.from, to: packed.to, blocks };
}
