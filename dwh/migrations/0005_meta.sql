-- Anomalies, data-quality results and dead letters.

-- Latest version per anomaly_id. Ordered by entity then day: the gateway lists
-- an entity's anomalies newest first (ORDER BY day DESC reads the key backwards).
-- anomaly_id is a function of (chain, entity, token, metric, day, method), so it
-- closes the key without splitting one anomaly into several rows.
CREATE TABLE IF NOT EXISTS {{database}}.anomalies
(
    anomaly_id      String,
    chain_id        UInt64,
    entity_type     LowCardinality(String) COMMENT 'token | address',
    entity_id       String,
    token_address   Nullable(String),
    metric          LowCardinality(String),
    day             Date,
    value           Float64,
    baseline_center Float64,
    baseline_spread Float64,
    baseline_days   UInt16,
    score           Float64,
    lower_bound     Nullable(Float64),
    upper_bound     Nullable(Float64),
    method          LowCardinality(String),
    severity        LowCardinality(String) COMMENT 'low | medium | high',
    status          LowCardinality(String) COMMENT 'open | final | withdrawn (readers usually hide withdrawn)',
    detected_at     DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC'),
    version         UInt64 COMMENT 'per anomaly_id; the highest wins',
    source_version  UInt64,
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_detected_at detected_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (chain_id, entity_type, entity_id, day, anomaly_id)
COMMENT 'anomalies: latest version of each anomaly';

-- One row per check run. ReplacingMergeTree without a version: a replayed
-- dq.checks record has the same key (check, chain, subject, checked_at) and
-- collapses to one row.
CREATE TABLE IF NOT EXISTS {{database}}.data_quality_checks
(
    check_name   LowCardinality(String),
    chain_id     UInt64 COMMENT '0 when not chain-specific',
    subject      String COMMENT 'what was checked within the chain (e.g. a token); empty for the whole chain',
    status       LowCardinality(String) COMMENT 'pass | fail | error',
    observed     Nullable(Float64),
    threshold    Nullable(Float64),
    check_window String COMMENT 'ISO-8601 interval or blocks:<from>-<to>',
    checked_at   DateTime64(3, 'UTC'),
    details      String COMMENT 'JSON object',
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(checked_at)
ORDER BY (check_name, chain_id, subject, checked_at)
COMMENT 'dq.checks: data-quality check results';

-- Dead letters from every <topic>.dlq, for operators to query. Original bytes
-- are base64 (arbitrary bytes are not valid JSON strings). Keyed by where the
-- record came from and which stage failed, so replaying a DLQ topic does not
-- duplicate; failed_at as version keeps the latest failure of a retried record.
-- Not partitioned: dead letters are rare by design, and a partition key would
-- keep a record that failed again in another month from replacing its old row.
CREATE TABLE IF NOT EXISTS {{database}}.dead_letters
(
    source_topic          LowCardinality(String),
    source_partition      UInt32,
    source_offset         UInt64,
    source_timestamp      Nullable(DateTime64(3, 'UTC')),
    stage                 LowCardinality(String),
    error_code            LowCardinality(String),
    error_message         String,
    error_details         Nullable(String) COMMENT 'JSON object',
    retryable             Bool,
    attempts              UInt32,
    original_key_base64   Nullable(String),
    original_value_base64 Nullable(String) CODEC(ZSTD(3)),
    original_headers      Array(Tuple(key String, value_base64 Nullable(String))),
    failed_at             DateTime64(3, 'UTC'),
    inserted_at           DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(failed_at)
ORDER BY (source_topic, source_partition, source_offset, stage)
COMMENT '<topic>.dlq: records a stage could not decode or process';
