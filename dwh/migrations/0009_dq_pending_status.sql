-- Data-quality checks gained the status `pending` (schemas/dq.checks.avsc): nothing to judge yet, e.g. no block
-- ingested or no price polled during a cold start's grace period. Pending is not a failure, so the view's
-- failures_24h counts `fail` and `error` only (it counted every status other than `pass`). Drop and create rather
-- than CREATE OR REPLACE: each statement is idempotent, so an interrupted run can be repeated.
DROP VIEW IF EXISTS {{database}}.v_data_quality;

CREATE VIEW IF NOT EXISTS {{database}}.v_data_quality AS
SELECT
    d.check_name AS check_name,
    d.chain_id AS chain_id,
    d.subject AS subject,
    argMax(d.status, d.checked_at) AS status,
    argMax(d.observed, d.checked_at) AS observed,
    argMax(d.threshold, d.checked_at) AS threshold,
    argMax(d.check_window, d.checked_at) AS check_window,
    max(d.checked_at) AS last_checked_at,
    dateDiff('minute', max(d.checked_at), now64(3, 'UTC')) AS minutes_since_check,
    countIf(d.status IN ('fail', 'error') AND d.checked_at >= now64(3, 'UTC') - INTERVAL 1 DAY) AS failures_24h,
    countIf(d.checked_at >= now64(3, 'UTC') - INTERVAL 1 DAY) AS runs_24h,
    argMax(d.details, d.checked_at) AS details
FROM {{database}}.data_quality_checks AS d FINAL
GROUP BY d.check_name, d.chain_id, d.subject;
