import type {
  LogBatch,
  Transfer,
  TransferBatch,
  TransferBatchLegs,
  TransferKind,
  TransferReject,
} from '../../../schemas/generated/types.ts';
import { partitionOfKey } from '../../../schemas/topic-keys.ts';
import type { Processor, ProcessResult } from '../../engine/processor.ts';
import { StateTxn } from '../../engine/stateTxn.ts';
import { decodeTransferLog } from '../decode-transfer.ts';
import {
  createErc20DecoderProcessor,
  ERC20_TOPICS,
  type CreateErc20DecoderProcessorParameters,
  type Erc20DecoderInput,
  type Erc20DecoderOutput,
  type Erc20DecoderStores,
  type RecentLog,
} from '../erc20-decoder.ts';
import type { EvmLog } from '../log.ts';
import { TokenTable, tokenKey } from '../token-metadata.ts';
import {
  addressPartitionKey,
  checkpointOf,
  toReject,
  toTransfer,
  tokenPartitionKey,
  type Erc20Reject,
  type Erc20Transfer,
} from '../transfer.ts';
import { DEFAULT_HOP_PARTITIONS, type BatchBlock, type HopPartitions, type KeyedBatch } from '../transfer-batch.ts';
import { ZERO_ADDRESS } from '../transfer-event.ts';

/**
 * The erc20-decoder stage written the straightforward way (one merged log object, one domain transfer and one
 * record per log, the batches rebuilt from the domain transfers with every key built and hashed where it is
 * needed): the decoder as it was before its hot path was tuned, kept as the reference the tuned processor must
 * equal record for record, key for key and state change for state change (erc20-decoder-reference.test.ts).
 * Test-only.
 */

type DecoderTxn = StateTxn<Erc20DecoderStores, Erc20DecoderOutput>;
type BlockFields = Pick<EvmLog, 'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp'>;

const blockPrefix = (blockNumber: number): string => String(blockNumber).padStart(16, '0');

function transferRecord(t: Erc20Transfer, version: number): Transfer {
  return { ...t, amount_raw: t.amount_raw.toString(), version } as Transfer;
}

function rejectRecord(r: Erc20Reject, version: number): TransferReject {
  return { ...r, version } as TransferReject;
}

function decodeInto(
  txn: DecoderTxn,
  tokens: TokenTable,
  log: EvmLog,
  version: number,
  retraction: boolean,
  decoded: Erc20Transfer[],
): boolean {
  const result = decodeTransferLog(log.topics, log.data);
  if (result.kind === 'not_transfer') return false;
  const key = tokenKey(log.chain_id, log.address);
  if (result.kind === 'transfer') {
    const transfer = toTransfer(log, result, tokens.get(key), retraction ? 'retraction' : 'transfer');
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

function decodeBlock(txn: DecoderTxn, tokens: TokenTable, batch: LogBatch, block: BlockFields, depth: number): Erc20Transfer[] {
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
    if (decodeInto(txn, tokens, { ...block, ...recent }, batch.version, false, decoded)) kept.push(recent);
  }
  if (kept.length > 0) txn.put('recent', recentKey, kept);
  if (batch.block_number > depth) txn.deleteRange('recent', '', blockPrefix(batch.block_number - depth));
  return decoded;
}

function retractBlock(txn: DecoderTxn, tokens: TokenTable, batch: LogBatch, block: BlockFields): Erc20Transfer[] {
  const decoded: Erc20Transfer[] = [];
  const prefix = `${blockPrefix(batch.block_number)}|${batch.block_hash}|`;
  const entries = [...txn.range('recent', { gte: prefix, lt: `${prefix}~` })];
  for (const [key, logs] of entries) {
    for (const l of logs) decodeInto(txn, tokens, { ...block, ...l }, batch.version, true, decoded);
    txn.delete('recent', key);
  }
  return decoded;
}

function emptyBatch(block: BatchBlock): TransferBatch {
  return {
    kind: block.kind,
    chain_id: block.chain_id,
    block_number: block.block_number,
    block_hash: block.block_hash as TransferBatch['block_hash'],
    block_timestamp: block.block_timestamp,
    checkpoint: checkpointOf({ ...block, tx_index: 0, log_index: 0 }),
    version: block.version,
    tx_hash: [],
    tx_index: [],
    log_index: [],
    token_address: [],
    from_address: [],
    to_address: [],
    amount_raw: [],
    decimals: [],
    symbol: [],
    form: [],
    legs: [],
  };
}

function pushRow(batch: TransferBatch, t: Erc20Transfer): void {
  batch.tx_hash.push(t.tx_hash as TransferBatch['tx_hash'][number]);
  batch.tx_index.push(t.tx_index);
  batch.log_index.push(t.log_index);
  batch.token_address.push(t.token_address as TransferBatch['token_address'][number]);
  batch.from_address.push(t.from_address as TransferBatch['from_address'][number]);
  batch.to_address.push(t.to_address as TransferBatch['to_address'][number]);
  batch.amount_raw.push(t.amount_raw.toString() as TransferBatch['amount_raw'][number]);
  batch.decimals.push(t.decimals);
  batch.symbol.push(t.symbol);
  batch.form.push(t.form);
}

class PartitionedBatches {
  private readonly batches = new Map<number, KeyedBatch>();
  constructor(
    private readonly block: BatchBlock,
    private readonly partitions: number,
  ) {}

  batchFor(key: string): TransferBatch {
    const partition = partitionOfKey(key, this.partitions);
    let batch = this.batches.get(partition);
    if (batch === undefined) {
      batch = { key, value: emptyBatch(this.block) };
      this.batches.set(partition, batch);
    }
    return batch.value;
  }

  list(): KeyedBatch[] {
    return [...this.batches.values()];
  }
}

function tokenBatchesOf(transfers: readonly Erc20Transfer[], block: BatchBlock, partitions: number): KeyedBatch[] {
  const batches = new PartitionedBatches(block, partitions);
  for (const t of transfers) pushRow(batches.batchFor(tokenPartitionKey(t)), t);
  return batches.list();
}

const legKey = (t: Erc20Transfer, address: string): string =>
  addressPartitionKey({ chain_id: t.chain_id, address, token_address: t.token_address });

function addressBatchesOf(transfers: readonly Erc20Transfer[], block: BatchBlock, partitions: number): KeyedBatch[] {
  const batches = new PartitionedBatches(block, partitions);
  const add = (t: Erc20Transfer, key: string, legs: TransferBatchLegs): void => {
    const batch = batches.batchFor(key);
    pushRow(batch, t);
    batch.legs.push(legs);
  };
  for (const t of transfers) {
    const outKey = t.from_address === ZERO_ADDRESS ? undefined : legKey(t, t.from_address);
    const inKey = t.to_address === ZERO_ADDRESS ? undefined : legKey(t, t.to_address);
    if (outKey !== undefined && inKey !== undefined && partitionOfKey(outKey, partitions) === partitionOfKey(inKey, partitions))
      add(t, outKey, 'both');
    else {
      if (outKey !== undefined) add(t, outKey, 'out');
      if (inKey !== undefined) add(t, inKey, 'in');
    }
  }
  return batches.list();
}

function emitBatches(txn: DecoderTxn, transfers: readonly Erc20Transfer[], block: BatchBlock, partitions: HopPartitions): void {
  if (transfers.length === 0) return;
  for (const b of tokenBatchesOf(transfers, block, partitions.byToken)) txn.emit(ERC20_TOPICS.batchesByToken, b.key, b.value);
  for (const b of addressBatchesOf(transfers, block, partitions.byAddress))
    txn.emit(ERC20_TOPICS.batchesByAddress, b.key, b.value);
}

/** The reference decoder: the same name, stores and topics as the tuned one, the straightforward `process`. */
export function createReferenceErc20DecoderProcessor(
  params: CreateErc20DecoderProcessorParameters = {},
): Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const depth = params.recentDepth ?? 256;
  const partitions = params.hopPartitions ?? DEFAULT_HOP_PARTITIONS;
  const tuned = createErc20DecoderProcessor(params);
  const tokens = new TokenTable();
  return {
    name: tuned.name,
    stores: tuned.stores,
    outputTopics: tuned.outputTopics,
    process(state, record): ProcessResult<Erc20DecoderStores, Erc20DecoderOutput> {
      const txn: DecoderTxn = new StateTxn(state);
      const input = record.value;
      if (input.kind === 'token') {
        tokens.add(input.token);
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
      const kind: TransferKind = batch.kind === 'reorg' ? 'retraction' : 'transfer';
      if (batch.kind === 'block')
        emitBatches(txn, decodeBlock(txn, tokens, batch, block, depth), { ...block, kind, version }, partitions);
      else if (batch.kind === 'reorg')
        emitBatches(txn, retractBlock(txn, tokens, batch, block), { ...block, kind, version }, partitions);
      else txn.deleteRange('recent', '', blockPrefix(batch.block_number + 1));
      return txn.result();
    },
  };
}
