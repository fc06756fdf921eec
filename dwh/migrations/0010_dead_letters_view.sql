-- Dead letters for BI (Superset): one row per UTC day of failure, source topic, stage and error code, so analysts
-- and operators see on the dashboards what `oracul status` prints. Read with FINAL like the other BI views: a
-- replayed DLQ record counts once, and a record that failed again counts on the day of its latest failure.
-- Never the original key, value or header bytes (they can hold anything a producer sent; BI users do not need
-- them) nor error_details (it quotes a prefix of the offending value): an operator finds the full record in
-- dead_letters by the example's source_partition and source_offset. The example message is the latest failure's,
-- cut to 300 characters (messages name a field and a short value prefix, but a long one makes an unreadable table).
CREATE VIEW IF NOT EXISTS {{database}}.v_dead_letters AS
SELECT
    toDate(d.failed_at, 'UTC') AS day,
    dateDiff('day', toDate(d.failed_at, 'UTC'), toDate(now(), 'UTC')) AS days_ago,
    d.source_topic AS source_topic,
    d.stage AS stage,
    d.error_code AS error_code,
    count() AS dead_letter_count,
    countIf(d.retryable) AS retryable_count,
    min(d.failed_at) AS first_failed_at,
    max(d.failed_at) AS last_failed_at,
    substringUTF8(argMax(d.error_message, d.failed_at), 1, 300) AS example_error_message,
    argMax(d.source_partition, d.failed_at) AS example_source_partition,
    argMax(d.source_offset, d.failed_at) AS example_source_offset
FROM {{database}}.dead_letters AS d FINAL
GROUP BY day, days_ago, source_topic, stage, error_code;
