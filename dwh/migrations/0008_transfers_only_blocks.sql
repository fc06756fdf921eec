-- Blocks ingested by `oracul backfill --transfers-only`: their raw_logs rows are the block's ERC-20 Transfer logs
-- only (topic0 = Transfer) and raw_transactions has none of their transactions. The source marks such a block by
-- publishing its header with log_count = NULL (the block's logs were not all fetched, so their number is unknown;
-- full ingestion always counts them). This column names that marker for readers and data-quality checks.
-- DEFAULT (not MATERIALIZED): computed from the row when the sink leaves it out, as today, and writable if a
-- later schema version carries the mode explicitly. A later full ingestion of the block replaces the row (higher
-- version, log_count set), so the marker disappears with it. Retraction rows (is_orphaned = 1) are never marked.
ALTER TABLE {{database}}.raw_blocks ADD COLUMN IF NOT EXISTS transfers_only UInt8 DEFAULT if(log_count IS NULL AND is_orphaned = 0, 1, 0)
    COMMENT '1 = ingested transfers-only: raw_logs has its Transfer logs only, raw_transactions none of its transactions'
    AFTER log_count;
