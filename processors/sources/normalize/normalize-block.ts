/**
 * Pure: `eth_getBlockByNumber(n, true)` JSON → BlockRecord + TransactionRecords.
 * Tolerates every client's extra fields (parity's `author`/`sealFields`, geth's
 * `blockTimestamp` on transactions) and every fork's optional ones.
 */
import { InvalidRpcDataError } from './errors.ts';
import {
  address,
  asArray,
  asObject,
  data,
  hash,
  optionalAddress,
  optionalData,
  optionalHash,
  optionalQuantity,
  optionalSmallQuantity,
  quantity,
  smallQuantity,
  type JsonObject,
} from './hex.ts';
import type { BlockRecord, TransactionRecord } from './records.ts';

export interface NormalizedBlock {
  /** `logCount` is 0 here; the fetcher sets it once the logs are known. */
  block: BlockRecord;
  transactions: TransactionRecord[];
}

/**
 * @param json the `result` of eth_getBlockByNumber with full transactions (not null)
 * @param chainId EIP-155 chain id the endpoint was verified to serve
 * @throws InvalidRpcDataError when a field is missing or malformed, or transactions are hashes only
 */
export function normalizeBlock(json: unknown, chainId: number): NormalizedBlock {
  const b = asObject(json, 'block');
  const number = smallQuantity(b, 'number', 'block');
  const what = `block ${number}`;
  const blockHash = hash(b, 'hash', what);
  const timestampMs = smallQuantity(b, 'timestamp', what) * 1000;
  const txs = asArray(b.transactions, what, 'transactions');
  const withdrawals =
    b.withdrawals === undefined || b.withdrawals === null ? null : asArray(b.withdrawals, what, 'withdrawals').length;

  const block: BlockRecord = {
    chainId,
    number,
    hash: blockHash,
    parentHash: hash(b, 'parentHash', what),
    timestampMs,
    miner: address(b, 'miner', what),
    gasLimit: quantity(b, 'gasLimit', what),
    gasUsed: quantity(b, 'gasUsed', what),
    baseFeePerGas: optionalQuantity(b, 'baseFeePerGas', what),
    difficulty: quantity(b, 'difficulty', what),
    totalDifficulty: optionalQuantity(b, 'totalDifficulty', what),
    size: optionalSmallQuantity(b, 'size', what),
    nonce: optionalData(b, 'nonce', what),
    extraData: data(b, 'extraData', what),
    logsBloom: data(b, 'logsBloom', what),
    stateRoot: hash(b, 'stateRoot', what),
    transactionsRoot: hash(b, 'transactionsRoot', what),
    receiptsRoot: hash(b, 'receiptsRoot', what),
    sha3Uncles: hash(b, 'sha3Uncles', what),
    mixHash: optionalHash(b, 'mixHash', what),
    withdrawalsRoot: optionalHash(b, 'withdrawalsRoot', what),
    withdrawalCount: withdrawals,
    blobGasUsed: optionalQuantity(b, 'blobGasUsed', what),
    excessBlobGas: optionalQuantity(b, 'excessBlobGas', what),
    parentBeaconBlockRoot: optionalHash(b, 'parentBeaconBlockRoot', what),
    requestsHash: optionalHash(b, 'requestsHash', what),
    transactionCount: txs.length,
    logCount: 0,
  };

  const transactions = txs.map((tx, i) => normalizeTransaction(tx, block, i));
  return { block, transactions };
}

function normalizeTransaction(json: unknown, block: BlockRecord, position: number): TransactionRecord {
  if (typeof json === 'string')
    throw new InvalidRpcDataError(`block ${block.number}`, 'transactions (hashes only; full objects expected)', json);
  const t: JsonObject = asObject(json, `block ${block.number} transaction ${position}`);
  const what = `block ${block.number} transaction ${position}`;
  const transactionIndex = smallQuantity(t, 'transactionIndex', what);
  // The block's own fields are the reference: a transaction claiming another block or position is a broken answer.
  if (transactionIndex !== position) throw new InvalidRpcDataError(what, 'transactionIndex', t.transactionIndex);
  if (t.blockHash !== undefined && t.blockHash !== null && hash(t, 'blockHash', what) !== block.hash) {
    throw new InvalidRpcDataError(what, 'blockHash', t.blockHash);
  }
  return {
    chainId: block.chainId,
    blockNumber: block.number,
    blockHash: block.hash,
    blockTimestampMs: block.timestampMs,
    transactionIndex,
    hash: hash(t, 'hash', what),
    // Pre-Berlin endpoints omit `type`: those are all legacy transactions.
    type: optionalSmallQuantity(t, 'type', what) ?? 0,
    from: address(t, 'from', what),
    to: optionalAddress(t, 'to', what),
    value: quantity(t, 'value', what),
    nonce: quantity(t, 'nonce', what),
    gas: quantity(t, 'gas', what),
    gasPrice: optionalQuantity(t, 'gasPrice', what),
    maxFeePerGas: optionalQuantity(t, 'maxFeePerGas', what),
    maxPriorityFeePerGas: optionalQuantity(t, 'maxPriorityFeePerGas', what),
    maxFeePerBlobGas: optionalQuantity(t, 'maxFeePerBlobGas', what),
    input: data(t, 'input', what),
    receipt: null,
  };
}
