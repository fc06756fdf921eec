import type { LogBatch, TokenMetadata as TokenMetadataRecord, Transfer, TransferReject } from '../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../core/processor.ts';
import { numberCodec, plainObject, plainToNumber, plainToString, type Plain, type StateCodec } from '../core/state.ts';
import { StateTxn } from '../core/stateTxn.ts';
import { addressPartitionKey } from '../aggregates/repartition.ts';
import { decodeTransferLog } from './decodeTransfer.ts';
import type { EvmLog } from './log.ts';
import { TOKEN_METADATA_STORE, tokenKey, tokenMetadataCodec, type TokenMetadata } from './tokenMetadata.ts';
import { toReject, toTransfer, type Erc20Reject, type Erc20Transfer } from './transfer.ts';
import { ZERO_ADDRESS } from './transferEvent.ts';

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
export interface RecentLog {
  readonly tx_hash: string;
  readonly tx_index: number;
  readonly log_index: number;
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

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

function transferRecord(t: Erc20Transfer, version: number): Transfer {
  return {
    kind: t.removed ? 'retraction' : 'transfer',
    chain_id: t.chain_id,
    block_number: t.block_number,
    block_hash: t.block_hash as Transfer['block_hash'],
    block_timestamp: t.timestamp * 1000,
    tx_hash: t.tx_hash as Transfer['tx_hash'],
    tx_index: t.tx_index,
    log_index: t.log_index,
    checkpoint: t.checkpoint,
    token_address: t.token_address as Transfer['token_address'],
    from_address: t.from_address as Transfer['from_address'],
    to_address: t.to_address as Transfer['to_address'],
    amount_raw: t.amount_raw.toString(),
    amount_decimal: t.amount_decimal,
    decimals: t.decimals,
    symbol: t.symbol,
    is_mint: t.is_mint,
    is_burn: t.is_burn,
    form: t.encoding === 'indexed' ? 'standard' : 'legacy',
    version,
  };
}

function rejectRecord(r: Erc20Reject, log: EvmLog, version: number): TransferReject {
  return {
    kind: r.removed ? 'retraction' : 'rejection',
    chain_id: r.chain_id,
    block_number: r.block_number,
    block_hash: r.block_hash as TransferReject['block_hash'],
    block_timestamp: r.timestamp * 1000,
    tx_hash: r.tx_hash as TransferReject['tx_hash'],
    tx_index: log.tx_index,
    log_index: r.log_index,
    checkpoint: r.checkpoint,
    token_address: r.token_address as TransferReject['token_address'],
    reason: r.reason,
    topics: log.topics.map((t) => t.toLowerCase()) as TransferReject['topics'],
    data: log.data.toLowerCase() as TransferReject['data'],
    version,
  };
}

export interface CreateErc20DecoderProcessorParameters {
  readonly recentDepth?: number;
}

export function createErc20DecoderProcessor(
  params: CreateErc20DecoderProcessorParameters = {},
): Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const depth = params.recentDepth ?? DEFAULT_RECENT_DEPTH;

  const decodeInto = (txn: StateTxn<Erc20DecoderStores, Erc20DecoderOutput>, log: EvmLog, version: number): boolean => {
    const decoded = decodeTransferLog(log.topics, log.data);
    if (decoded.kind === 'not_transfer') return false;
    const key = tokenKey(log.chain_id, log.address);
    if (decoded.kind === 'transfer') {
      const transfer = toTransfer(log, decoded, txn.get(TOKEN_METADATA_STORE, key));
      const record = transferRecord(transfer, version);
      txn.emit(ERC20_TOPICS.transfers, key, record);
      const participants = new Set([transfer.from_address, transfer.to_address]);
      participants.delete(ZERO_ADDRESS);
      for (const address of participants) {
        txn.emit(
          ERC20_TOPICS.byAddress,
          addressPartitionKey({ chain_id: log.chain_id, address, token_address: log.address }),
          record,
        );
      }
      return true;
    }
    txn.put('reject_counts', decoded.reason, (txn.get('reject_counts', decoded.reason) ?? 0) + (log.removed ? -1 : 1));
    txn.emit(ERC20_TOPICS.rejects, key, rejectRecord(toReject(log, decoded.reason), log, version));
    return true;
  };

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
        const t = input.token;
        txn.put(TOKEN_METADATA_STORE, tokenKey(t.chain_id, t.address), {
          chain_id: t.chain_id,
          address: t.address.toLowerCase(),
          symbol: t.symbol,
          name: t.name,
          decimals: t.decimals,
          source: t.source,
        });
        return txn.result();
      }
      const batch = input.batch;
      const blockSeconds = Math.floor(batch.block_timestamp / 1000);
      const base = {
        chain_id: batch.chain_id,
        block_number: batch.block_number,
        block_hash: batch.block_hash,
        block_timestamp: blockSeconds,
      };
      if (batch.kind === 'block') {
        // The source publishes at least once (it re-publishes the blocks after its last checkpoint after a crash), so
        // the same block part can arrive twice: a part this stage already decoded emits nothing again.
        const recentKey = `${blockPrefix(batch.block_number)}|${batch.block_hash}|${batch.part}`;
        if (txn.get('recent', recentKey) !== undefined) return txn.result();
        const kept: RecentLog[] = [];
        for (const l of batch.logs) {
          const log: EvmLog = {
            ...base,
            tx_hash: l.tx_hash,
            tx_index: l.tx_index,
            log_index: l.log_index,
            address: l.address,
            topics: l.topics,
            data: l.data,
            removed: false,
          };
          if (decodeInto(txn, log, batch.version))
            kept.push({
              tx_hash: l.tx_hash,
              tx_index: l.tx_index,
              log_index: l.log_index,
              address: l.address,
              topics: l.topics,
              data: l.data,
            });
        }
        if (kept.length > 0) txn.put('recent', recentKey, kept);
        if (batch.block_number > depth) txn.deleteRange('recent', '', blockPrefix(batch.block_number - depth));
      } else if (batch.kind === 'reorg') {
        const prefix = `${blockPrefix(batch.block_number)}|${batch.block_hash}|`;
        const entries = [...txn.range('recent', { gte: prefix, lt: `${prefix}~` })];
        for (const [key, logs] of entries) {
          for (const l of logs) decodeInto(txn, { ...base, ...l, removed: true }, batch.version);
          txn.delete('recent', key);
        }
      } else {
        // finalize: blocks up to block_number can no longer be reorged.
        txn.deleteRange('recent', '', blockPrefix(batch.block_number + 1));
      }
      return txn.result();
    },
  };
}
