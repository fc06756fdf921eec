-- The erc20_rejects.reason comment listed reasons the decoder never wrote (erc721_transfer, wrong_topic_count,
-- wrong_data_length, invalid_address). It now lists the ones it writes: REJECT_REASONS in
-- processors/erc20/reject-reason.ts (dwh/migrations.test.ts keeps the two equal). COMMENT COLUMN is idempotent.
ALTER TABLE {{database}}.erc20_rejects COMMENT COLUMN IF EXISTS reason
    'erc721_four_topics | bad_topic_count | bad_data_length | non_zero_padding_in_address_topic | non_zero_padding_in_address_word | malformed_hex';
