import type {
  LogBatch,
  TokenMetadata as TokenMetadataRecord,
  Transfer,
  TransferBatch,
  TransferReject,
} from '../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../engine/processor.ts';
import { numberCodec, plainObject, plainToNumber, plainToString, type Plain, type StateCodec } from '../engine/state.ts';
import { StateTxn } from '../engine/stateTxn.ts';
import { formatDigits, isValidDecimals } from './amount.ts';
import { decodeTransferLog, type DecodedTransfer } from './decode-transfer.ts';
import type { EvmLog } from './log.ts';
import { TokenTable, tokenKey } from './token-metadata.ts';
import { blockCheckpointPrefix, checkpointAt, toReject, type Erc20Reject } from './transfer.ts';
import { DEFAULT_HOP_PARTITIONS, HopBatches, hopTokenOf, type HopPartitions, type HopToken } from './transfer-batch.ts';
import { ZERO_ADDRESS } from './transfer-event.ts';

/**
 * The ERC-20 decoding stage: `eth.logs.raw` (one record per block or block part) → `erc20.transfers` (one record
 * per transfer, key `<chain>:<token>`, for the sink and users), the internal hops to the aggregates
 * `erc20.transfer-batches.by-token` and `.by-address` (one batch record per block part and partition, ADR 0018)
 * and `erc20.rejects`.
 *
 * Reorgs: the source publishes a `reorg` record (no logs) for an orphaned block. To retract what was derived
 * from it, the stage remembers the Transfer-topic logs of recent blocks (`recent`, pruned by `finalize` records
 * and by a block-depth limit) and re-emits them as retractions carrying the reorg record's higher version.
 * Token metadata comes from the stage's global table of `erc20.tokens` (seed rows and RPC-resolved rows, ADR 0024).
 */

export type Erc20DecoderStores = {
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

/**
 * `recent` keys start with the 16-digit block number; their first 14 digits group them by 100 blocks. With that
 * segment hint the in-memory store (recompute, benchmarks, tests; LMDB ignores it) prunes a block every block by
 * re-sorting the oldest 100-block segment at most, instead of the whole retained window.
 */
const RECENT_SEGMENT_PREFIX = 14;

function rejectRecord(r: Erc20Reject, version: number): TransferReject {
  return { ...r, version } as TransferReject;
}

export interface CreateErc20DecoderProcessorParameters {
  readonly recentDepth?: number;
  /** Partition counts of the internal hop topics (config/kafka.yml); default DEFAULT_HOP_PARTITIONS. */
  readonly hopPartitions?: HopPartitions;
  /** The token metadata the decoder reads (the stage's global table); default: a table of its own. */
  readonly tokens?: TokenTable;
}

type DecoderTxn = StateTxn<Erc20DecoderStores, Erc20DecoderOutput>;

/** A log's block fields, from its `eth.logs.raw` record. */
type BlockFields = Pick<EvmLog, 'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp'>;

/** What the records of a token's logs take from the token table and from its keys. */
interface TokenInfo {
  readonly hop: HopToken;
  /** Valid decimals, or null (unknown or garbage: no amount_decimal). */
  readonly decimals: number | null;
  readonly symbol: string | null;
}

/**
 * One `process` call on a block part (or its retraction): the block's fields, the kind and version every record of
 * the call carries, the checkpoint head shared by its logs, the token lookups, and the hop batches being filled.
 * Work that is the same for every log of the block is done here once instead of per log.
 */
class BlockCall {
  readonly block: BlockFields;
  readonly retraction: boolean;
  readonly version: number;
  readonly batches: HopBatches;
  private readonly checkpointPrefix: string | undefined;
  /** Token address → what its records need, looked up once per call. */
  private readonly tokens = new Map<string, TokenInfo>();

  constructor(
    readonly txn: DecoderTxn,
    batch: LogBatch,
    private readonly partitions: HopPartitions,
    private readonly table: TokenTable,
  ) {
    this.block = {
      chain_id: batch.chain_id,
      block_number: batch.block_number,
      block_hash: batch.block_hash,
      block_timestamp: batch.block_timestamp,
    };
    this.retraction = batch.kind === 'reorg';
    this.version = batch.version;
    this.checkpointPrefix = blockCheckpointPrefix(this.block);
    this.batches = new HopBatches(
      { ...this.block, kind: this.retraction ? 'retraction' : 'transfer', version: this.version },
      partitions,
    );
  }

  checkpoint(log: RecentLog): string {
    return checkpointAt(this.checkpointPrefix, this.block, log.tx_index, log.log_index);
  }

  token(address: string): TokenInfo {
    let info = this.tokens.get(address);
    if (info === undefined) {
      const key = tokenKey(this.block.chain_id, address);
      const metadata = this.table.get(key);
      info = {
        hop: hopTokenOf(key, address, this.partitions),
        decimals: metadata !== undefined && isValidDecimals(metadata.decimals) ? metadata.decimals : null,
        symbol: metadata?.symbol ?? null,
      };
      this.tokens.set(address, info);
    }
    return info;
  }
}

/**
 * The `erc20.transfers` record of a decoded log, built in one go: the fields (and their order) of
 * `{ ...toTransfer(log, decoded, metadata, kind), amount_raw: amount.toString(), version }`, the amount rendered
 * to decimal once for both amount fields.
 */
function transferRecordOf(call: BlockCall, log: RecentLog, decoded: DecodedTransfer, token: TokenInfo): Transfer {
  const amount = decoded.amount.toString();
  const block = call.block;
  return {
    kind: call.retraction ? 'retraction' : 'transfer',
    chain_id: block.chain_id,
    block_number: block.block_number,
    block_hash: block.block_hash,
    block_timestamp: block.block_timestamp,
    tx_hash: log.tx_hash,
    tx_index: log.tx_index,
    log_index: log.log_index,
    checkpoint: call.checkpoint(log),
    token_address: log.address,
    from_address: decoded.from,
    to_address: decoded.to,
    amount_raw: amount,
    amount_decimal: token.decimals === null ? null : formatDigits(amount, token.decimals),
    decimals: token.decimals,
    symbol: token.symbol,
    is_mint: decoded.from === ZERO_ADDRESS,
    is_burn: decoded.to === ZERO_ADDRESS,
    form: decoded.form,
    version: call.version,
  } as Transfer;
}

/**
 * Decodes one log and emits what it yields: the transfer on `erc20.transfers` (and as rows of the call's hop
 * batches), or the reject (counted per reason); in a retraction call, the same records as retractions. False for a
 * log that is not a Transfer event.
 */
function decodeLog(call: BlockCall, log: RecentLog): boolean {
  const result = decodeTransferLog(log.topics, log.data);
  if (result.kind === 'not_transfer') return false;
  const token = call.token(log.address);
  if (result.kind === 'transfer') {
    const record = transferRecordOf(call, log, result, token);
    call.txn.emit(ERC20_TOPICS.transfers, token.hop.key, record);
    call.batches.add(record, token.hop);
    return true;
  }
  // Rejects are rare: the straightforward way.
  const { txn, retraction } = call;
  txn.put('reject_counts', result.reason, (txn.get('reject_counts', result.reason) ?? 0) + (retraction ? -1 : 1));
  const reject = toReject({ ...call.block, ...log }, result.reason, retraction ? 'retraction' : 'rejection');
  txn.emit(ERC20_TOPICS.rejects, token.hop.key, rejectRecord(reject, call.version));
  return true;
}

/**
 * A block part: decodes its logs once and remembers its Transfer-topic logs for a later reorg. The source publishes
 * at least once (it re-publishes the blocks after its last checkpoint after a crash), so the same block part can
 * arrive twice: a part this stage already decoded emits nothing again.
 */
function decodeBlock(call: BlockCall, batch: LogBatch, depth: number): void {
  const { txn } = call;
  const recentKey = `${blockPrefix(batch.block_number)}|${batch.block_hash}|${batch.part}`;
  if (txn.get('recent', recentKey) !== undefined) return;
  const kept: RecentLog[] = [];
  for (const l of batch.logs) {
    if (decodeLog(call, l))
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
}

/** An orphaned block: re-emits its remembered logs' records as retractions carrying the reorg record's version. */
function retractBlock(call: BlockCall, batch: LogBatch): void {
  const { txn } = call;
  const prefix = `${blockPrefix(batch.block_number)}|${batch.block_hash}|`;
  const entries = [...txn.range('recent', { gte: prefix, lt: `${prefix}~` })];
  for (const [key, logs] of entries) {
    for (const l of logs) decodeLog(call, l);
    txn.delete('recent', key);
  }
}

/**
 * The block part's transfers (or retractions) on the internal hops: one batch record per partition of each
 * repartition topic, rows in log order, keyed so that it lands where each row's own key would (ADR 0018).
 */
function emitBatches(call: BlockCall): void {
  for (const b of call.batches.tokenBatches()) call.txn.emit(ERC20_TOPICS.batchesByToken, b.key, b.value);
  for (const b of call.batches.addressBatches()) call.txn.emit(ERC20_TOPICS.batchesByAddress, b.key, b.value);
}

export function createErc20DecoderProcessor(
  params: CreateErc20DecoderProcessorParameters = {},
): Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const depth = params.recentDepth ?? DEFAULT_RECENT_DEPTH;
  const partitions = params.hopPartitions ?? DEFAULT_HOP_PARTITIONS;
  const tokens = params.tokens ?? new TokenTable();
  return {
    name: 'erc20-decoder',
    stores: {
      reject_counts: { codec: numberCodec('reject_counts'), doc: 'canonical rejected Transfer-topic logs per reason' },
      recent: {
        codec: recentCodec,
        segmentPrefixLength: RECENT_SEGMENT_PREFIX,
        doc: 'Transfer-topic logs of recent blocks, to retract them on a reorg',
      },
    },
    outputTopics: [ERC20_TOPICS.transfers, ERC20_TOPICS.batchesByToken, ERC20_TOPICS.batchesByAddress, ERC20_TOPICS.rejects],
    process(state, record): ProcessResult<Erc20DecoderStores, Erc20DecoderOutput> {
      const txn = new StateTxn<Erc20DecoderStores, Erc20DecoderOutput>(state);
      const input = record.value;
      if (input.kind === 'token') {
        tokens.add(input.token);
        return txn.result();
      }
      const batch = input.batch;
      if (batch.kind === 'finalize') {
        // Blocks up to block_number can no longer be reorged.
        txn.deleteRange('recent', '', blockPrefix(batch.block_number + 1));
        return txn.result();
      }
      const call = new BlockCall(txn, batch, partitions, tokens);
      if (batch.kind === 'block') decodeBlock(call, batch, depth);
      else retractBlock(call, batch);
      emitBatches(call);
      return txn.result();
    },
  };
}
