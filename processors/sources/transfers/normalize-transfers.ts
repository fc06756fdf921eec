/**
 * Pure: the JSON of a transfers-only backfill (headers from eth_getBlockByNumber(n, false), Transfer logs from
 * eth_getLogs with topic0 = Transfer) → BlockRecord + LogRecords, with the checks that catch a provider answering
 * for another fork or mixing nodes: the log's block hash is the header's, its transaction hash is the header's
 * transaction at that index, log indexes are strictly increasing, and the header's bloom admits Transfer logs.
 */
import { hexToBytes, keccak256 } from 'viem';
import { InvalidRpcDataError } from '../normalize/errors.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { asArray, asObject, hash, hashValue, isEmptyBloom, smallQuantity } from '../normalize/hex.ts';
import { normalizeLogObject } from '../normalize/normalize-logs.ts';
import { normalizeBlock } from '../normalize/normalize-block.ts';
import type { BlockRecord, Hex, LogRecord } from '../normalize/records.ts';

/** keccak256('Transfer(address,address,uint256)'): ERC-20 (and ERC-721) Transfer. */
export const TRANSFER_TOPIC0: Hex = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/** A header with the hashes of its transactions (what eth_getBlockByNumber(n, false) returns). */
export interface TransfersHeader {
  /** `transactionCount` is the header's (true) count; `logCount` is not known in this mode (0 here, null in Kafka). */
  block: BlockRecord;
  txHashes: readonly Hex[];
}

/** One block of a transfers-only backfill: its header and its Transfer logs in logIndex order. */
export interface TransferBlock {
  block: BlockRecord;
  logs: LogRecord[];
}

/**
 * @param json the `result` of eth_getBlockByNumber(n, false), not null
 * @throws InvalidRpcDataError on a malformed header, ChainDataMismatchError when it is not block `expected`
 */
export function normalizeHeader(json: unknown, chainId: number, expected: number): TransfersHeader {
  const b = asObject(json, `block ${expected}`);
  const raw = asArray(b.transactions, `block ${expected}`, 'transactions');
  const txHashes = new Array<Hex>(raw.length);
  for (let i = 0; i < raw.length; i += 1) {
    const t = raw[i];
    // Some endpoints ignore the `false` and send full objects: their hash is what counts.
    txHashes[i] =
      typeof t === 'string'
        ? hashValue(t, `block ${expected}`, `transactions[${i}]`)
        : hash(asObject(t, `block ${expected} transaction ${i}`), 'hash', `block ${expected} transaction ${i}`);
  }
  // The full-block normaliser reads every header field; without transactions it reads only the header.
  const { block } = normalizeBlock({ ...b, transactions: [] }, chainId);
  if (block.number !== expected) throw new ChainDataMismatchError(block, `asked for block ${expected}`);
  block.transactionCount = txHashes.length;
  return { block, txHashes };
}

/** Block number of an eth_getLogs entry (to group a range's answer by block). */
export function logBlockNumber(entry: unknown, what: string): number {
  return smallQuantity(asObject(entry, what), 'blockNumber', what);
}

/**
 * The Transfer logs of one block from eth_getLogs entries (already grouped by block number) or from its
 * receipts' logs (any topic: filtered here).
 * @param filter true when `entries` may hold other events (receipts), false for an eth_getLogs answer
 * @throws ChainDataMismatchError (retryable: refetch) when a log names another block hash, a transaction that is
 *   not the header's at that index, a repeated or out-of-order index, or the header's bloom rules Transfer out;
 *   InvalidRpcDataError when the endpoint ignored the topic filter or sent malformed JSON
 */
export function normalizeTransferLogs(header: TransfersHeader, entries: readonly unknown[], filter = false): LogRecord[] {
  const { block } = header;
  const logs: LogRecord[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    const what = `block ${block.number} log ${i}`;
    const l = asObject(entries[i], what);
    const topics = asArray(l.topics, what, 'topics');
    const topic0 = topics.length > 0 ? hashValue(topics[0], what, 'topics[0]') : undefined;
    if (topic0 !== TRANSFER_TOPIC0) {
      if (filter) continue;
      throw new InvalidRpcDataError(what, 'topics[0] (the endpoint ignored the Transfer topic filter)', topics[0]);
    }
    logs.push(normalizeLog(l, topics, header, what));
  }
  logs.sort((a, b) => a.logIndex - b.logIndex);
  for (let i = 1; i < logs.length; i += 1) {
    const prev = logs[i - 1]!;
    const log = logs[i]!;
    if (log.logIndex === prev.logIndex) throw new ChainDataMismatchError(block, `log index ${log.logIndex} appears twice`);
    if (log.transactionIndex < prev.transactionIndex)
      throw new ChainDataMismatchError(block, `log ${log.logIndex} is out of transaction order`);
  }
  if (logs.length > 0 && !bloomMayHaveTransfers(block.logsBloom)) {
    throw new ChainDataMismatchError(
      block,
      isEmptyBloom(block.logsBloom)
        ? 'Transfer logs returned for a block whose logsBloom is empty'
        : 'Transfer logs returned for a block whose logsBloom does not contain the Transfer topic',
    );
  }
  return logs;
}

/** A Transfer log of the header's block, whose transaction is the header's at that index. */
function normalizeLog(
  l: Readonly<Record<string, unknown>>,
  rawTopics: readonly unknown[],
  header: TransfersHeader,
  what: string,
): LogRecord {
  const log = normalizeLogObject(l, header.block, what, rawTopics);
  const { transactionIndex, transactionHash } = log;
  if (header.txHashes[transactionIndex] !== transactionHash) {
    throw new ChainDataMismatchError(
      header.block,
      `${what} names transaction ${transactionIndex} ${transactionHash}, not the header's ${header.txHashes[transactionIndex] ?? '(none)'}`,
    );
  }
  return log;
}

/** The three (byte offset, bit) pairs the Transfer topic sets in a 2048-bit logs bloom (yellow paper M3:2048). */
const TRANSFER_BLOOM_BITS: readonly (readonly [number, number])[] = (() => {
  const h = hexToBytes(keccak256(TRANSFER_TOPIC0));
  return [0, 2, 4].map((i) => [255 - ((((h[i]! << 8) | h[i + 1]!) & 0x7ff) >> 3), 1 << (h[i + 1]! & 7)] as const);
})();

/** False when the bloom proves the block has no Transfer log (then a provider returning some is wrong). */
export function bloomMayHaveTransfers(bloom: Hex): boolean {
  if (bloom.length !== 2 + 512) return true; // not a 256-byte bloom: nothing to conclude
  for (const [byte, bit] of TRANSFER_BLOOM_BITS) {
    const value = Number.parseInt(bloom.slice(2 + byte * 2, 4 + byte * 2), 16);
    if ((value & bit) === 0) return false;
  }
  return true;
}
