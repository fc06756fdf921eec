import type {
  LogBatch,
  TokenMetadata as TokenMetadataRecord,
  Transfer,
  TransferBatch,
  TransferKind,
  TransferReject,
} from '../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../engine/processor.ts';
import { numberCodec, plainObject, plainToNumber, plainToString, type Plain, type StateCodec } from '../engine/state.ts';
import { StateTxn } from '../engine/stateTxn.ts';
import { decodeTransferLog } from './decode-transfer.ts';
import type { EvmLog } from './log.ts';
import { TOKEN_METADATA_STORE, tokenKey, tokenMetadataCodec, type TokenMetadata } from './token-metadata.ts';
import { toReject, toTransfer, tokenPartitionKey, type Erc20Reject, type Erc20Transfer } from './transfer.ts';
import { addressBatchesOf, DEFAULT_HOP_PARTITIONS, tokenBatchesOf, type HopPartitions } from './transfer-batch.ts';

/**
 * The ERC-20 decoding stage: `eth.logs.raw` (one record per block or block part) → `erc20.transfers` (one record
 * per transfer, key `<chain>:<token>`, for the sink and users), the internal hops to the aggregates
 * `erc20.transfer-batches.by-token` and `.by-address` (one batch record per block part and partition, ADR 0018)
 * and `erc20.rejects`.
 *
 * Reorgs: the source publishes a `reorg` record (no logs) for an orphaned block. To retract what was derived
 * from it, the stage remembers the Transfer-topic logs of recent blocks (`recent`, pruned by `finalize` records
 * and by a block-depth limit) and re-emits them as retractions carrying the reorg record's higher version.
 * Token metadata arrives through the `erc20.tokens` global table (seed rows and RPC-resolved rows).
 */

export type Erc20DecoderStores = {
  tokens: TokenMetadata;
  reject_counts: number;
  /** `<block_number 16 digits>|<block_hash>|<part>` → the block part's Transfer-topic logs. */
  recent: readonly RecentLog[];
};

/** The fields of a log needed to decode it again. */
export type RecentLog = Pick<EvmLog, 'tx_hash' | 'tx_index' | 'log_index' | 'address' | 'topics' | 'data'>;

export type Erc20DecoderInput =
  { readonly kind: 'logs'; readonly batch: LogBatch } | { readonly kind: 'token'; readonly token: TokenMetadataRecord };

export type Erc20DecoderOutput = Transfer | TransferReject | TransferBatch;

export const ERC20_TOPICS = {
  transfers: 'erc20.transfers',
  batchesByToken: 'erc20.transfer-batches.by-token',
  batchesByAddress: 'erc20.transfer-batches.by-address',
  rejects: 'erc20.rejects',
} as const;

/** How many blocks behind the newest one a block's logs are kept for retraction when no finalize record comes. */
const DEFAULT_RECENT_DEPTH = 256;

const recentCodec: StateCodec<readonly RecentLog[]> = {
  encode: (logs) => logs.map((l) => ({ ...l, topics: [...l.topics] })) as Plain,
  decode: (plain, key) => {
    if (!Array.isArray(plain)) throw new TypeError(`recent ${key}: expected an array`);
    return (plain as readonly Plain[]).map((p) => {
      const o = plainObject(p, 'recent', key);
      return {
        tx_hash: plainToString(o.tx_hash, 'recent', key),
        tx_index: plainToNumber(o.tx_index, 'recent', key),
        log_index: plainToNumber(o.log_index, 'recent', key),
        address: plainToString(o.address, 'recent', key),
        topics: (o.topics as readonly Plain[]).map((t) => plainToString(t, 'recent', key)),
        data: plainToString(o.data, 'recent', key),
      };
    });
  },
};

const blockPrefix = (blockNumber: number): string => String(blockNumber).padStart(16, '0');

/** The published record: the domain transfer with the amount as a decimal string and the observation's version. */
function transferRecord(t: Erc20Transfer, version: number): Transfer {
  return { ...t, amount_raw: t.amount_raw.toString(), version } as Transfer;
}

function rejectRecord(r: Erc20Reject, version: number): TransferReject {
  return { ...r, version } as TransferReject;
}

export interface CreateErc20DecoderProcessorParameters {
  readonly recentDepth?: number;
  /** Partition counts of the internal hop topics (config/kafka.yml); default DEFAULT_HOP_PARTITIONS. */
  readonly hopPartitions?: HopPartitions;
}

type DecoderTxn = StateTxn<Erc20DecoderStores, Erc20DecoderOutput>;

/** A log's block fields, from its `eth.logs.raw` record. */
type BlockFields = Pick<EvmLog, 'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp'>;

/**
 * Decodes one log and emits what it yields: the transfer on `erc20.transfers` (and into `decoded`, for the block's
 * batches), or the reject (counted per reason). `retraction` emits the same records as retractions. False for a log
 * that is not a Transfer event.
 */
function decodeInto(txn: DecoderTxn, log: EvmLog, version: number, retraction: boolean, decoded: Erc20Transfer[]): boolean {
  const result = decodeTransferLog(log.topics, log.data);
  if (result.kind === 'not_transfer') return false;
  const key = tokenKey(log.chain_id, log.address);
  if (result.kind === 'transfer') {
    const transfer = toTransfer(log, result, txn.get(TOKEN_METADATA_STORE, key), retraction ? 'retraction' : 'transfer');
    txn.emit(ERC20_TOPICS.transfers, tokenPartitionKey(transfer), transferRecord(transfer, version));
    decoded.push(transfer);
    return true;
  }
  txn.put('reject_counts', result.reason, (txn.get('reject_counts', result.reason) ?? 0) + (retraction ? -1 : 1));
  txn.emit(
    ERC20_TOPICS.rejects,
    key,
    rejectRecord(toReject(log, result.reason, retraction ? 'retraction' : 'rejection'), version),
  );
  return true;
}

/** A token row of the `erc20.tokens` global table → the `tokens` store. */
function putToken(txn: DecoderTxn, t: TokenMetadataRecord): void {
  txn.put(TOKEN_METADATA_STORE, tokenKey(t.chain_id, t.address), {
    chain_id: t.chain_id,
    address: t.address.toLowerCase(),
    symbol: t.symbol,
    name: t.name,
    decimals: t.decimals,
    source: t.source,
  });
}

/**
 * A block part: decodes its logs once and remembers its Transfer-topic logs for a later reorg. The source publishes
 * at least once (it re-publishes the blocks after its last checkpoint after a crash), so the same block part can
 * arrive twice: a part this stage already decoded emits nothing again.
 */
function decodeBlock(txn: DecoderTxn, batch: LogBatch, block: BlockFields, depth: number): Erc20Transfer[] {
  const decoded: Erc20Transfer[] = [];
  const recentKey = `${blockPrefix(batch.block_number)}|${batch.block_hash}|${batch.part}`;
  if (txn.get('recent', recentKey) !== undefined) return decoded;
  const kept: RecentLog[] = [];
  for (const l of batch.logs) {
    const recent: RecentLog = {
      tx_hash: l.tx_hash,
      tx_index: l.tx_index,
      log_index: l.log_index,
      address: l.address,
      topics: l.topics,
      data: l.data,
    };
    if (decodeInto(txn, { ...block, ...recent }, batch.version, false, decoded)) kept.push(recent);
  }
  if (kept.length > 0) txn.put('recent', recentKey, kept);
  if (batch.block_number > depth) txn.deleteRange('recent', '', blockPrefix(batch.block_number - depth));
  return decoded;
}

/** An orphaned block: re-emits its remembered logs' records as retractions carrying the reorg record's version. */
function retractBlock(txn: DecoderTxn, batch: LogBatch, block: BlockFields): Erc20Transfer[] {
  const decoded: Erc20Transfer[] = [];
  const prefix = `${blockPrefix(batch.block_number)}|${batch.block_hash}|`;
  const entries = [...txn.range('recent', { gte: prefix, lt: `${prefix}~` })];
  for (const [key, logs] of entries) {
    for (const l of logs) decodeInto(txn, { ...block, ...l }, batch.version, true, decoded);
    txn.delete('recent', key);
  }
  return decoded;
}

/**
 * The block part's transfers (or retractions) on the internal hops: one batch record per partition of each
 * repartition topic, rows in log order, keyed so that it lands where each row's own key would (ADR 0018).
 */
function emitBatches(
  txn: DecoderTxn,
  transfers: readonly Erc20Transfer[],
  block: BlockFields & { readonly kind: TransferKind; readonly version: number },
  partitions: HopPartitions,
): void {
  if (transfers.length === 0) return;
  for (const b of tokenBatchesOf(transfers, block, partitions.byToken)) txn.emit(ERC20_TOPICS.batchesByToken, b.key, b.value);
  for (const b of addressBatchesOf(transfers, block, partitions.byAddress))
    txn.emit(ERC20_TOPICS.batchesByAddress, b.key, b.value);
}

export function createErc20DecoderProcessor(
  params: CreateErc20DecoderProcessorParameters = {},
): Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const depth = params.recentDepth ?? DEFAULT_RECENT_DEPTH;
  const partitions = params.hopPartitions ?? DEFAULT_HOP_PARTITIONS;
  return {
    name: 'erc20-decoder',
    stores: {
      tokens: { codec: tokenMetadataCodec, doc: 'token metadata by <chainId>:<address> (global table erc20.tokens)' },
      reject_counts: { codec: numberCodec('reject_counts'), doc: 'canonical rejected Transfer-topic logs per reason' },
      recent: { codec: recentCodec, doc: 'Transfer-topic logs of recent blocks, to retract them on a reorg' },
    },
    outputTopics: [ERC20_TOPICS.transfers, ERC20_TOPICS.batchesByToken, ERC20_TOPICS.batchesByAddress, ERC20_TOPICS.rejects],
    process(state, record): ProcessResult<Erc20DecoderStores, Erc20DecoderOutput> {
      const txn = new StateTxn<Erc20DecoderStores, Erc20DecoderOutput>(state);
      const input = record.value;
      if (input.kind === 'token') {
        putToken(txn, input.token);
        return txn.result();
      }
      const batch = input.batch;
      const block: BlockFields = {
        chain_id: batch.chain_id,
        block_number: batch.block_number,
        block_hash: batch.block_hash,
        block_timestamp: batch.block_timestamp,
      };
      const version = batch.version;
      if (batch.kind === 'block')
        emitBatches(txn, decodeBlock(txn, batch, block, depth), { ...block, kind: 'transfer', version }, partitions);
      else if (batch.kind === 'reorg')
        emitBatches(txn, retractBlock(txn, batch, block), { ...block, kind: 'retraction', version }, partitions);
      // finalize: blocks up to block_number can no longer be reorged.
      else txn.deleteRange('recent', '', blockPrefix(batch.block_number + 1));
      return txn.result();
    },
  };
}
