/**
 * Pure: receipts or eth_getLogs JSON → LogRecords (and receipt fields) of one block, with the checks that
 * catch an endpoint answering for another fork or dropping logs silently.
 */
import { ChainDataMismatchError } from './mismatch-error.ts';
import {
  address,
  asArray,
  asObject,
  data,
  hash,
  hashValue,
  isEmptyBloom,
  optionalAddress,
  optionalQuantity,
  optionalSmallQuantity,
  quantity,
  smallQuantity,
} from './hex.ts';
import type { BlockRecord, Hex, LogRecord, TransactionReceiptFields, TransactionRecord } from './records.ts';

/**
 * Logs of one block from eth_getLogs entries (already grouped by block number).
 * @throws ChainDataMismatchError (retryable) when a log belongs to another block hash,
 *   a log was removed by a reorg, log indexes have gaps, or the bloom says logs exist but none came
 */
export function normalizeLogs(
  entries: readonly unknown[],
  block: BlockRecord,
  transactions: readonly TransactionRecord[],
): LogRecord[] {
  const logs = entries.map((entry, i) => normalizeLog(entry, block, `block ${block.number} log ${i}`));
  logs.sort((a, b) => a.logIndex - b.logIndex);
  checkLogs(logs, block, transactions);
  return logs;
}

export interface NormalizedReceipts {
  /** The block's logs in logIndex order. */
  logs: LogRecord[];
  /** Receipt fields per transaction, in transaction order. */
  receipts: TransactionReceiptFields[];
}

/**
 * Logs and receipt fields of one block from its receipts (eth_getBlockReceipts, or
 * eth_getTransactionReceipt per transaction, in transaction order).
 * @throws ChainDataMismatchError when the receipts do not match the block's transactions one to one
 */
export function normalizeReceipts(
  receipts: readonly unknown[],
  block: BlockRecord,
  transactions: readonly TransactionRecord[],
): NormalizedReceipts {
  if (receipts.length !== transactions.length) {
    throw new ChainDataMismatchError(block, `${receipts.length} receipts for ${transactions.length} transactions`);
  }
  const logs: LogRecord[] = [];
  const fields: TransactionReceiptFields[] = [];
  receipts.forEach((json, i) => {
    if (json === null) throw new ChainDataMismatchError(block, `receipt of transaction ${i} not found`);
    const what = `block ${block.number} receipt ${i}`;
    const r = asObject(json, what);
    const tx = transactions[i]!;
    if (hash(r, 'transactionHash', what) !== tx.hash)
      throw new ChainDataMismatchError(block, `receipt ${i} is for another transaction`);
    if (hash(r, 'blockHash', what) !== block.hash)
      throw new ChainDataMismatchError(block, `receipt ${i} is from block ${String(r.blockHash)}`);
    for (const [k, entry] of asArray(r.logs, what, 'logs').entries()) logs.push(normalizeLog(entry, block, `${what} log ${k}`));
    fields.push({
      status: optionalSmallQuantity(r, 'status', what),
      gasUsed: quantity(r, 'gasUsed', what),
      cumulativeGasUsed: quantity(r, 'cumulativeGasUsed', what),
      effectiveGasPrice: optionalQuantity(r, 'effectiveGasPrice', what),
      contractAddress: optionalAddress(r, 'contractAddress', what),
    });
  });
  checkLogs(logs, block, transactions);
  return { logs, receipts: fields };
}

function normalizeLog(json: unknown, block: BlockRecord, what: string): LogRecord {
  return normalizeLogObject(asObject(json, what), block, what);
}

/**
 * One log of `block`, from its JSON object (a receipt's or an eth_getLogs entry), checked to be of this block:
 * not removed, the block's hash and number. `rawTopics`: the topics when the caller has read them already.
 */
export function normalizeLogObject(
  l: Readonly<Record<string, unknown>>,
  block: BlockRecord,
  what: string,
  rawTopics?: readonly unknown[],
): LogRecord {
  if (l.removed === true) throw new ChainDataMismatchError(block, `${what} is marked removed (reorg in progress)`);
  // Fast path: the common case is the block's own hash, byte for byte.
  const blockHash = l.blockHash === block.hash ? block.hash : hash(l, 'blockHash', what);
  if (blockHash !== block.hash) throw new ChainDataMismatchError(block, `${what} is from block hash ${blockHash}`);
  if (smallQuantity(l, 'blockNumber', what) !== block.number)
    throw new ChainDataMismatchError(block, `${what} has another block number`);
  const raw = rawTopics ?? asArray(l.topics, what, 'topics');
  const topics: Hex[] = new Array<Hex>(raw.length);
  for (let i = 0; i < raw.length; i += 1) topics[i] = hashValue(raw[i], what, `topics[${i}]`);
  return {
    chainId: block.chainId,
    blockNumber: block.number,
    blockHash,
    blockTimestampMs: block.timestampMs,
    transactionHash: hash(l, 'transactionHash', what),
    transactionIndex: smallQuantity(l, 'transactionIndex', what),
    logIndex: smallQuantity(l, 'logIndex', what),
    address: address(l, 'address', what),
    topics,
    data: data(l, 'data', what),
  };
}

/** Log indexes are 0..n-1 in block order, each names a transaction of the block, and the bloom agrees with emptiness. */
function checkLogs(logs: readonly LogRecord[], block: BlockRecord, transactions: readonly TransactionRecord[]): void {
  for (let i = 0; i < logs.length; i += 1) {
    const log = logs[i]!;
    if (log.logIndex !== i)
      throw new ChainDataMismatchError(block, `log indexes are not contiguous at ${i} (got ${log.logIndex})`);
    const tx = transactions[log.transactionIndex];
    if (tx === undefined || tx.hash !== log.transactionHash) {
      throw new ChainDataMismatchError(
        block,
        `log ${log.logIndex} names transaction ${log.transactionIndex} ${log.transactionHash} not in the block`,
      );
    }
    if (i > 0 && log.transactionIndex < logs[i - 1]!.transactionIndex)
      throw new ChainDataMismatchError(block, `log ${i} is out of transaction order`);
  }
  // An endpoint that answers [] for a block whose bloom has bits set dropped the logs.
  if (logs.length === 0 && !isEmptyBloom(block.logsBloom))
    throw new ChainDataMismatchError(block, 'logsBloom is not empty but no logs were returned');
  if (logs.length > 0 && isEmptyBloom(block.logsBloom))
    throw new ChainDataMismatchError(block, 'logs returned for a block whose logsBloom is empty');
}
