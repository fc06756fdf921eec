import type { TransferForm } from '../../schemas/generated/types.ts';
import type { RejectReason } from './reject-reason.ts';
import { TRANSFER_TOPIC } from './transfer-event.ts';

export interface DecodedTransfer {
  readonly kind: 'transfer';
  /** Lowercase 0x-prefixed addresses. */
  readonly from: string;
  readonly to: string;
  /** Exact uint256. */
  readonly amount: bigint;
  /** How the event was encoded (the `form` of the transfer record): `standard` indexed from/to, or the `legacy` all-in-data form. */
  readonly form: TransferForm;
}

export interface RejectedTransfer {
  readonly kind: 'rejected';
  readonly reason: RejectReason;
}

export interface NotTransfer {
  readonly kind: 'not_transfer';
}

export type TransferDecodeResult = DecodedTransfer | RejectedTransfer | NotTransfer;

export const NOT_TRANSFER: NotTransfer = Object.freeze({ kind: 'not_transfer' });
const REJECTED = new Map<RejectReason, RejectedTransfer>();
/** Shared frozen reject results: the hot path allocates nothing for a reject. */
export function rejected(reason: RejectReason): RejectedTransfer {
  let result = REJECTED.get(reason);
  if (result === undefined) {
    result = Object.freeze({ kind: 'rejected', reason });
    REJECTED.set(reason, result);
  }
  return result;
}

const ADDRESS_TOPIC_RE = /^0x0{24}[0-9a-fA-F]{40}$/;
const WORD_RE = /^0x[0-9a-fA-F]{64}$/;
const LEGACY_DATA_RE = /^0x[0-9a-fA-F]{192}$/;
const HEX_BYTES_RE = /^0x(?:[0-9a-fA-F]{2})*$/;
const ZERO_PAD = '000000000000000000000000';

/**
 * Decodes an ERC-20 `Transfer(address,address,uint256)` log, strictly. The specialised fast path: string
 * slicing and one BigInt per log, no ABI machinery, no address checksumming (see decode-transfer-with-viem.ts for
 * the generic path it is checked against).
 *
 * - topic0 ≠ Transfer → `not_transfer` (not a reject: most logs are other events);
 * - 3 topics + exactly 32 bytes of data, both address topics zero-padded → transfer (form `standard`);
 * - 1 topic + exactly 96 bytes of data, both address words zero-padded → transfer (form `legacy`);
 * - anything else with the Transfer topic0 → a reject with its reason.
 *
 * @example decodeTransferLog(log.topics, log.data) // { kind: 'transfer', from, to, amount: 100000n, form: 'standard' }
 */
export function decodeTransferLog(topics: readonly string[], data: string): TransferDecodeResult {
  const topic0 = topics[0];
  if (topic0 === undefined) return NOT_TRANSFER;
  if (topic0 !== TRANSFER_TOPIC && (topic0.length !== 66 || topic0.toLowerCase() !== TRANSFER_TOPIC)) return NOT_TRANSFER;

  switch (topics.length) {
    case 3: {
      const fromTopic = topics[1] as string;
      const toTopic = topics[2] as string;
      if (!WORD_RE.test(data)) return rejected(HEX_BYTES_RE.test(data) ? 'bad_data_length' : 'malformed_hex');
      if (!ADDRESS_TOPIC_RE.test(fromTopic))
        return rejected(WORD_RE.test(fromTopic) ? 'non_zero_padding_in_address_topic' : 'malformed_hex');
      if (!ADDRESS_TOPIC_RE.test(toTopic))
        return rejected(WORD_RE.test(toTopic) ? 'non_zero_padding_in_address_topic' : 'malformed_hex');
      return {
        kind: 'transfer',
        from: '0x' + fromTopic.slice(26).toLowerCase(),
        to: '0x' + toTopic.slice(26).toLowerCase(),
        amount: BigInt(data),
        form: 'standard',
      };
    }
    case 4:
      return rejected('erc721_four_topics');
    case 1: {
      if (!LEGACY_DATA_RE.test(data)) return rejected(HEX_BYTES_RE.test(data) ? 'bad_data_length' : 'malformed_hex');
      if (data.slice(2, 26) !== ZERO_PAD || data.slice(66, 90) !== ZERO_PAD) return rejected('non_zero_padding_in_address_word');
      return {
        kind: 'transfer',
        from: '0x' + data.slice(26, 66).toLowerCase(),
        to: '0x' + data.slice(90, 130).toLowerCase(),
        amount: BigInt('0x' + data.slice(130)),
        form: 'legacy',
      };
    }
    default:
      return rejected('bad_topic_count');
  }
}
