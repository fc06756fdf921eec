/**
 * Why a log whose topic0 is the Transfer signature is not an ERC-20 transfer. Every reason is counted (state
 * store `reject_counts`, the `erc20_rejects` table); none is dropped silently.
 *
 * Anonymous-event collisions (an anonymous event whose first indexed argument happens to equal the Transfer
 * hash) surface through these shapes: a topic that is not a left-padded address, a topic count or a data length
 * no Transfer form has. A collision with exactly the Transfer shape is indistinguishable from a Transfer by the
 * log alone; that is inherent in the ABI.
 */
export const REJECT_REASONS = [
  'erc721_four_topics',
  'bad_topic_count',
  'bad_data_length',
  'non_zero_padding_in_address_topic',
  'non_zero_padding_in_address_word',
  'malformed_hex',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export const REJECT_REASON_DOCS: { readonly [R in RejectReason]: string } = {
  erc721_four_topics: 'ERC-721 Transfer: from, to and tokenId all indexed (4 topics)',
  bad_topic_count: 'topic count of no Transfer form (2, or more than 4)',
  bad_data_length: 'data length does not match the topic count (32 bytes for 3 topics, 96 for 1)',
  non_zero_padding_in_address_topic: 'an indexed from/to topic has non-zero upper 12 bytes: not an address',
  non_zero_padding_in_address_word: 'a non-indexed from/to data word has non-zero upper 12 bytes: not an address',
  malformed_hex: 'a topic or the data is not well-formed hex of whole bytes',
};
