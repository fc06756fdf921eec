import { decodeEventLog, type Hex } from 'viem';
import { NOT_TRANSFER, rejected, type TransferDecodeResult } from './decode-transfer.ts';
import { TRANSFER_EVENT, TRANSFER_EVENT_UNINDEXED, TRANSFER_TOPIC } from './transfer-event.ts';

const HEX_BYTES_RE = /^0x(?:[0-9a-fA-F]{2})*$/;
const ZERO_PAD = '000000000000000000000000';

/**
 * The same contract as {@link decodeTransferLog}, built on viem's generic `decodeEventLog`: the reference the
 * fast path is tested against, and the baseline of the benchmark.
 *
 * viem alone is too lenient for this domain: it accepts trailing data bytes (33 bytes decode fine), does not check
 * that an indexed address topic is zero-padded, and returns checksummed addresses. So the shape checks stay
 * ours; viem does the ABI decoding.
 */
export function decodeTransferWithViem(topics: readonly string[], data: string): TransferDecodeResult {
  const topic0 = topics[0];
  if (topic0 === undefined || topic0.toLowerCase() !== TRANSFER_TOPIC) return NOT_TRANSFER;
  if (topics.length === 4) return rejected('erc721_four_topics');
  if (topics.length !== 3 && topics.length !== 1) return rejected('bad_topic_count');
  if (!HEX_BYTES_RE.test(data) || !topics.every((t) => /^0x[0-9a-fA-F]{64}$/.test(t))) return rejected('malformed_hex');
  const indexed = topics.length === 3;
  if ((data.length - 2) / 2 !== (indexed ? 32 : 96)) return rejected('bad_data_length');
  const addressWords = indexed ? [topics[1] as string, topics[2] as string] : [data.slice(0, 66), '0x' + data.slice(66, 130)];
  if (!addressWords.every((w) => w.slice(2, 26) === ZERO_PAD)) {
    return rejected(indexed ? 'non_zero_padding_in_address_topic' : 'non_zero_padding_in_address_word');
  }
  const { args } = decodeEventLog({
    abi: [indexed ? TRANSFER_EVENT : TRANSFER_EVENT_UNINDEXED],
    topics: topics.map((t) => t.toLowerCase()) as [Hex, ...Hex[]],
    data: data as Hex,
    strict: true,
  });
  return {
    kind: 'transfer',
    from: args.from.toLowerCase(),
    to: args.to.toLowerCase(),
    amount: args.value,
    form: indexed ? 'standard' : 'legacy',
  };
}
