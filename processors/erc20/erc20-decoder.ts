import type { LogBatch, TokenMetadata as TokenMetadataRecord, Transfer, TransferReject } from '../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../core/processor.ts';
import { numberCodec, plainObject, plainToNumber, plainToString, type Plain, type StateCodec } from '../core/state.ts';
import { StateTxn } from '../core/stateTxn.ts';
import { decodeTransferLog } from './decode-transfer.ts';
import type { EvmLog } from './log.ts';
import { TOKEN_METADATA_STORE, tokenKey, tokenMetadataCodec, type TokenMetadata } from './token-metadata.ts';
import {
  addressPartitionKey,
  toReject,
  toTransfer,
  tokenPartitionKey,
  type Erc20Reject,
  type Erc20Transfer,
} from './transfer.ts';
import { ZERO_ADDRESS } from './transfer-event.ts';

/**
 * The ERC-20 decoding stage: `eth.logs.raw` (one record per block or block part) → `erc20.transfers` (key
 * `<chain>:<token>`), its by-address repartition `erc20.transfers.by-address` (key `<chain>:<address>:<token>`,
 * once per distinct non-zero participant) and `erc20.rejects`.
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

export type Erc20DecoderOutput = Transfer | TransferReject;

export const ERC20_TOPICS = {
  transfers: 'erc20.transfers',
  byAddress: 'erc20.transfers.by-address',
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
}

type DecoderTxn = StateTxn<Erc20DecoderStores, Erc20DecoderOutput>;

/** A log's block fields, from its `eth.logs.raw` record. */
type BlockFields = Pick<EvmLog, 'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp'>;

/**
 * Decodes one log and emits what it yields: the transfer by token and once per distinct non-zero participant by
 * address, or the reject (counted per reason). `retraction` emits the same records as retractions. False for a log
 * that is not a Transfer event.
 */
function decodeInto(txn: DecoderTxn, log: EvmLog, version: number, retraction: boolean): boolean {
  const decoded = decodeTransferLog(log.topics, log.data);
  if (decoded.kind === 'not_transfer') return false;
  const key = tokenKey(log.chain_id, log.address);
  if (decoded.kind === 'transfer') {
    const transfer = toTransfer(log, decoded, txn.get(TOKEN_METADATA_STORE, key), retraction ? 'retraction' : 'transfer');
    const record = transferRecord(transfer, version);
    txn.emit(ERC20_TOPICS.transfers, tokenPartitionKey(transfer), record);
    const participants = new Set([transfer.from_address, transfer.to_address]);
    participants.delete(ZERO_ADDRESS);
    for (const address of participants)
      txn.emit(
        ERC20_TOPICS.byAddress,
        addressPartitionKey({ chain_id: log.chain_id, address, token_address: log.address }),
        record,
      );
    return true;
  }
  txn.put('reject_counts', decoded.reason, (txn.get('reject_counts', decoded.reason) ?? 0) + (retraction ? -1 : 1));
  txn.emit(
    ERC20_TOPICS.rejects,
    key,
    rejectRecord(toReject(log, decoded.reason, retraction ? 'retraction' : 'rejection'), version),
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
function decodeBlock(txn: DecoderTxn, batch: LogBatch, block: BlockFields, depth: number): void {
  const recentKey = `${blockPrefix(batch.block_number)}|${batch.block_hash}|${batch.part}`;
  if (txn.get('recent', recentKey) !== undefined) return;
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
    if (decodeInto(txn, { ...block, ...recent }, batch.version, false)) kept.push(recent);
  }
  if (kept.length > 0) txn.put('recent', recentKey, kept);
  if (batch.block_number > depth) txn.deleteRange('recent', '', blockPrefix(batch.block_number - depth));
}

/** An orphaned block: re-emits its remembered logs' records as retractions carrying the reorg record's version. */
function retractBlock(txn: DecoderTxn, batch: LogBatch, block: BlockFields): void {
  const prefix = `${blockPrefix(batch.block_number)}|${batch.block_hash}|`;
  const entries = [...txn.range('recent', { gte: prefix, lt: `${prefix}~` })];
  for (const [key, logs] of entries) {
    for (const l of logs) decodeInto(txn, { ...block, ...l }, batch.version, true);
    txn.delete('recent', key);
  }
}

export function createErc20DecoderProcessor(
  params: CreateErc20DecoderProcessorParameters = {},
): Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const depth = params.recentDepth ?? DEFAULT_RECENT_DEPTH;
  return {
    name: 'erc20-decoder',
    stores: {
      tokens: { codec: tokenMetadataCodec, doc: 'token metadata by <chainId>:<address> (global table erc20.tokens)' },
      reject_counts: { codec: numberCodec('reject_counts'), doc: 'canonical rejected Transfer-topic logs per reason' },
      recent: { codec: recentCodec, doc: 'Transfer-topic logs of recent blocks, to retract them on a reorg' },
    },
    outputTopics: [ERC20_TOPICS.transfers, ERC20_TOPICS.byAddress, ERC20_TOPICS.rejects],
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
      if (batch.kind === 'block') decodeBlock(txn, batch, block, depth);
      else if (batch.kind === 'reorg') retractBlock(txn, batch, block);
      // finalize: blocks up to block_number can no longer be reorged.
      else txn.deleteRange('recent', '', blockPrefix(batch.block_number + 1));
      return txn.result();
    },
  };
}
