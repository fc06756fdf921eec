import {
  encodeCheckpoint,
  type BlockRecord as AvroBlockRecord,
  type Log as AvroLog,
  type LogBatch,
  type Transaction as AvroTransaction,
  type TransactionBatch,
} from '../../../schemas/index.ts';
import type { BlockBundle } from '../normalize/records.ts';
import type { RecentBlock } from '../checkpoint/recent-window.ts';

/**
 * BlockBundle → the Avro records of eth.blocks.raw / eth.transactions.raw / eth.logs.raw.
 * One record per block on each topic; a block whose transactions or logs would exceed
 * `maxPartBytes` (estimated) is split into parts (part/parts), so no Kafka record passes
 * the broker's 1 MiB message limit.
 */
export interface BlockRecords {
  block: AvroBlockRecord;
  transactions: TransactionBatch[];
  logs: LogBatch[];
}

export const DEFAULT_MAX_PART_BYTES = 512 * 1024;

const hexBytes = (hex: string): number => (hex.length - 2) / 2;

function splitBySize<T>(items: readonly T[], size: (item: T) => number, maxBytes: number): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (current.length > 0 && bytes + s > maxBytes) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += s;
  }
  parts.push(current);
  return parts;
}

export function toBlockRecords(
  bundle: BlockBundle,
  version: number,
  observedAt: number,
  maxPartBytes = DEFAULT_MAX_PART_BYTES,
): BlockRecords {
  const b = bundle.block;
  const envelope = {
    chain_id: b.chainId,
    block_number: b.number,
    block_hash: b.hash,
    block_timestamp: b.timestampMs,
    checkpoint: encodeCheckpoint({
      timestampMs: b.timestampMs,
      chainId: b.chainId,
      blockNumber: b.number,
      txIndex: 0,
      logIndex: 0,
    }),
    version,
    observed_at: observedAt,
  };
  const block: AvroBlockRecord = {
    kind: 'block',
    ...envelope,
    header: {
      parent_hash: b.parentHash,
      miner: b.miner,
      gas_limit: Number(b.gasLimit),
      gas_used: Number(b.gasUsed),
      base_fee_per_gas: b.baseFeePerGas === null ? null : b.baseFeePerGas.toString(),
      // A few endpoints omit `size`; the schema requires a value: 0 means "not reported".
      size_bytes: b.size ?? 0,
      transaction_count: b.transactionCount,
      log_count: bundle.logs.length,
      blob_gas_used: b.blobGasUsed === null ? null : Number(b.blobGasUsed),
      excess_blob_gas: b.excessBlobGas === null ? null : Number(b.excessBlobGas),
    },
  };
  const txs: AvroTransaction[] = bundle.transactions.map((t) => ({
    tx_hash: t.hash,
    tx_index: t.transactionIndex,
    from_address: t.from,
    to_address: t.to,
    value: t.value.toString(),
    nonce: Number(t.nonce),
    gas: Number(t.gas),
    gas_price: t.gasPrice === null ? null : t.gasPrice.toString(),
    max_fee_per_gas: t.maxFeePerGas === null ? null : t.maxFeePerGas.toString(),
    max_priority_fee_per_gas: t.maxPriorityFeePerGas === null ? null : t.maxPriorityFeePerGas.toString(),
    tx_type: t.type,
    input: t.input,
    status: t.receipt?.status ?? null,
    gas_used: t.receipt ? Number(t.receipt.gasUsed) : null,
    effective_gas_price: t.receipt?.effectiveGasPrice == null ? null : t.receipt.effectiveGasPrice.toString(),
    contract_address: t.receipt?.contractAddress ?? null,
  }));
  const logs: AvroLog[] = bundle.logs.map((l) => ({
    tx_hash: l.transactionHash,
    tx_index: l.transactionIndex,
    log_index: l.logIndex,
    address: l.address,
    topics: l.topics,
    data: l.data,
  }));
  const txParts = splitBySize(txs, (t) => 400 + hexBytes(t.input), maxPartBytes);
  const logParts = splitBySize(logs, (l) => 200 + 66 * l.topics.length + hexBytes(l.data), maxPartBytes);
  return {
    block,
    transactions: txParts.map((transactions, part) => ({
      kind: 'block',
      ...envelope,
      part,
      parts: txParts.length,
      transactions,
    })),
    logs: logParts.map((logs, part) => ({ kind: 'block', ...envelope, part, parts: logParts.length, logs })),
  };
}

/** The three retraction records of an orphaned block (kind=reorg, empty payload, the orphan's timestamp). */
export function toRetractionRecords(chainId: number, orphan: RecentBlock, version: number, observedAt: number): BlockRecords {
  const envelope = {
    kind: 'reorg' as const,
    chain_id: chainId,
    block_number: orphan.number,
    block_hash: orphan.hash,
    block_timestamp: orphan.timestampMs,
    checkpoint: encodeCheckpoint({
      timestampMs: orphan.timestampMs,
      chainId,
      blockNumber: orphan.number,
      txIndex: 0,
      logIndex: 0,
    }),
    version,
    observed_at: observedAt,
  };
  return {
    block: { ...envelope, header: null },
    transactions: [{ ...envelope, part: 0, parts: 1, transactions: [] }],
    logs: [{ ...envelope, part: 0, parts: 1, logs: [] }],
  };
}
