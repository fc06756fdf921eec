import type { Processor, ProcessResult } from '../core/processor.ts';
import { numberCodec } from '../core/state.ts';
import { StateTxn } from '../core/stateTxn.ts';
import { decodeTransferLog } from './decodeTransfer.ts';
import type { EvmLog } from './log.ts';
import { TOKEN_METADATA_STORE, tokenKey, tokenMetadataCodec, type TokenMetadata } from './tokenMetadata.ts';
import { toReject, toTransfer, type Erc20Reject, type Erc20Transfer } from './transfer.ts';

export type TransferProcessorStores = {
  /** Token metadata, keyed `<chainId>:<address>`; filled by the runtime from the seed and the resolver. */
  tokens: TokenMetadata;
  /** Canonical rejects per reason: +1 per rejected log, −1 when that log is retracted. */
  reject_counts: number;
};

export type TransferProcessorOutput = Erc20Transfer | Erc20Reject;

export function isReject(output: TransferProcessorOutput): output is Erc20Reject {
  return 'reason' in output;
}

export interface CreateTransferProcessorParameters {
  readonly name?: string;
  /** Default `erc20.transfers`. */
  readonly transfersTopic?: string;
  /** Default `erc20.rejects`. */
  readonly rejectsTopic?: string;
}

const NO_CHANGES: readonly never[] = [];

/**
 * Raw logs → ERC-20 transfers and rejects. Reads token metadata; unknown tokens get null decimals and symbol
 * (amount_decimal null, USD null downstream). Transfers are keyed by token (`<chainId>:<token>`); a removed log
 * yields the same transfer with `removed: true`, which downstream aggregates retract.
 */
export function createTransferProcessor(
  params: CreateTransferProcessorParameters = {},
): Processor<TransferProcessorStores, EvmLog, TransferProcessorOutput> {
  const transfersTopic = params.transfersTopic ?? 'erc20.transfers';
  const rejectsTopic = params.rejectsTopic ?? 'erc20.rejects';
  return {
    name: params.name ?? 'erc20-transfers',
    stores: {
      tokens: { codec: tokenMetadataCodec, doc: 'token metadata by <chainId>:<address> (read-only here)' },
      reject_counts: { codec: numberCodec('reject_counts'), doc: 'canonical rejected Transfer-topic logs per reason' },
    },
    outputTopics: [transfersTopic, rejectsTopic],
    process(state, record): ProcessResult<TransferProcessorStores, TransferProcessorOutput> {
      const log = record.value;
      const decoded = decodeTransferLog(log.topics, log.data);
      if (decoded.kind === 'not_transfer') return { stateChanges: NO_CHANGES, outputs: NO_CHANGES };
      const key = tokenKey(log.chain_id, log.address);
      if (decoded.kind === 'transfer') {
        const transfer = toTransfer(log, decoded, state[TOKEN_METADATA_STORE].get(key));
        return { stateChanges: NO_CHANGES, outputs: [{ topic: transfersTopic, key, value: transfer }] };
      }
      const txn = new StateTxn<TransferProcessorStores, TransferProcessorOutput>(state);
      txn.put('reject_counts', decoded.reason, (txn.get('reject_counts', decoded.reason) ?? 0) + (log.removed ? -1 : 1));
      txn.emit(rejectsTopic, key, toReject(log, decoded.reason));
      return txn.result();
    },
  };
}
