import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, isoDay } from '../../core/time.ts';
import { bindDatabase, loadMigrations } from '../../dwh/load-migrations.ts';

/**
 * The BI views of dwh/migrations (0006_bi_views.sql, 0010_dead_letters_view.sql) on the real engine (chdb): latest
 * version only, deleted, orphaned and withdrawn rows hidden, human-readable columns, no raw payloads.
 */
const DB = 'oracul_bi_views_semantics';
let dir: string;
let session: Session;

const exec = (sql: string): void => void session.query(sql, 'TabSeparated');
const rows = <T>(sql: string): T[] =>
  session
    .query(`${sql} SETTINGS output_format_json_quote_64bit_integers = 0`, 'JSONEachRow')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
const insert = (table: string, values: Record<string, unknown>[]): void =>
  exec(`INSERT INTO ${DB}.${table} FORMAT JSONEachRow ${values.map((v) => JSON.stringify(v)).join('\n')}`);

const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
const ALICE = '0x' + '0a'.repeat(20);
const BOB = '0x' + '0b'.repeat(20);
const today = isoDay(Date.now());
const yesterday = isoDay(Date.now() - DAY_MS);

const PAYLOAD = Buffer.from('payload only operators may read').toString('base64');
const deadLetter = (offset: number, failedAt: string, message: string) => ({
  source_topic: 'eth.logs.raw',
  source_partition: 0,
  source_offset: offset,
  source_timestamp: failedAt,
  stage: 'sink:raw_logs',
  error_code: 'ORACUL_SINK_RECORD_INVALID',
  error_message: message,
  error_details: JSON.stringify({ field: 'topics[1]', value_prefix: '0xzz' }),
  retryable: false,
  attempts: 1,
  original_key_base64: PAYLOAD,
  original_value_base64: PAYLOAD,
  original_headers: [{ key: 'h', value_base64: PAYLOAD }],
  failed_at: failedAt,
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oracul-bi-views-'));
  session = new Session(dir);
  exec(`CREATE DATABASE ${DB}`);
  for (const migration of loadMigrations()) for (const statement of migration.statements) exec(bindDatabase(statement, DB));
  insert('tokens', [
    {
      chain_id: 1,
      address: WETH,
      symbol: 'WETH',
      name: 'Wrapped Ether',
      decimals: 18,
      source: 'seed',
      updated_at: 0,
      version: 1,
    },
  ]);
  const day = (date: string, version: number, transfers: number, volume: string) => ({
    date,
    chain_id: 1,
    token_address: WETH,
    symbol: 'WETH',
    decimals: 18,
    volume_raw: (BigInt(transfers) * 10n ** 18n).toString(),
    volume_usd: volume,
    minted_raw: '0',
    burned_raw: '0',
    transfer_count: transfers,
    priced_transfer_count: transfers,
    tx_count: transfers,
    unique_addresses: 2,
    price_open: '3000.5',
    price_high: '3100',
    price_low: '2900',
    price_close: '3050.25',
    price_source: 'test',
    price_staleness_ms: 60_000,
    version,
    is_final: version > 1,
    emitted_at: 0,
  });
  // Yesterday: an open update superseded by the final. The day before: every transfer retracted (deleted).
  insert('token_metrics_daily', [
    day(yesterday, 1, 2, '6000'),
    day(yesterday, 2, 3, '9150.75'),
    day('2024-01-01', 1, 1, '10'),
    day('2024-01-01', 2, 0, '0'),
  ]);
  const anomaly = (id: string, version: number, severity: string, status: string) => ({
    anomaly_id: id,
    chain_id: 1,
    entity_type: 'token',
    entity_id: WETH,
    token_address: WETH,
    metric: 'volume_usd',
    day: yesterday,
    value: 1,
    baseline_center: 1,
    baseline_spread: 1,
    baseline_days: 14,
    score: 9,
    lower_bound: 0,
    upper_bound: 2,
    method: 'robust_zscore',
    severity,
    status,
    detected_at: 0,
    updated_at: 0,
    version,
    source_version: 1,
  });
  insert('anomalies', [
    anomaly('a', 1, 'low', 'open'),
    anomaly('a', 2, 'high', 'final'),
    anomaly('b', 1, 'medium', 'open'),
    anomaly('b', 2, 'medium', 'withdrawn'),
  ]);
  const transfer = (logIndex: number, version: number, orphaned: number) => ({
    chain_id: 1,
    block_number: 100,
    block_hash: '0x' + 'cc'.repeat(32),
    block_timestamp: Date.parse(`${yesterday}T12:00:00Z`),
    tx_hash: '0x' + 'dd'.repeat(32),
    tx_index: 0,
    log_index: logIndex,
    token_address: WETH,
    from_address: ALICE,
    to_address: BOB,
    amount_raw: '1500000000000000000',
    amount_decimal: '1.5',
    decimals: 18,
    symbol: 'WETH',
    is_mint: false,
    is_burn: false,
    form: 'standard',
    version,
    is_orphaned: orphaned,
  });
  insert('erc20_transfers', [transfer(1, 1, 0), transfer(2, 1, 0), transfer(2, 2, 1)]);
  // A raw record refused by format, then replayed by the dead-letters sink in a later batch (same key and failed_at);
  // another that failed yesterday, was retried and failed again today (counts once, on today).
  const refused = deadLetter(7, `${yesterday} 10:00:00.000`, 'raw_logs: block 100 logs[0].topics[1] "0xzz" breaks rule hash32');
  exec(`SYSTEM STOP MERGES ${DB}.dead_letters`); // the duplicates stay in the table: only FINAL collapses them
  insert('dead_letters', [
    refused,
    deadLetter(8, `${yesterday} 11:00:00.000`, 'first failure'),
    deadLetter(9, `${yesterday} 12:00:00.000`, 'raw_logs: block 101 logs[2].address "0x12" breaks rule address20'),
  ]);
  insert('dead_letters', [refused, deadLetter(8, `${today} 09:30:00.000`, 'x'.repeat(400))]);
});

afterAll(() => {
  session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('BI views', () => {
  it('v_token_metrics_daily: latest version per day, deleted days hidden, readable columns, anomaly markers', () => {
    const r = rows<Record<string, unknown>>(`SELECT * FROM ${DB}.v_token_metrics_daily ORDER BY date`);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({
      date: yesterday,
      token: 'WETH',
      token_name: 'Wrapped Ether',
      transfer_count: 3,
      volume_usd: 9150.75,
      volume_tokens: 3,
      price_close: 3050.25,
      price_staleness_s: 60,
      is_final: true,
      anomaly_count: 1,
      anomaly_volume_usd: 9150.75,
    });
  });

  it('v_anomalies: latest version, withdrawn hidden, days_ago relative to today (UTC)', () => {
    const r = rows<Record<string, unknown>>(`SELECT anomaly_id, severity, severity_rank, token, days_ago FROM ${DB}.v_anomalies`);
    expect(r).toEqual([
      { anomaly_id: 'a', severity: 'high', severity_rank: 3, token: 'WETH', days_ago: today === yesterday ? 0 : 1 },
    ]);
  });

  it('v_address_counterparties_daily: canonical transfers only, both directions, amounts in token units', () => {
    const r = rows<Record<string, unknown>>(
      `SELECT address, counterparty, direction, transfer_count, amount_tokens FROM ${DB}.v_address_counterparties_daily ORDER BY direction`,
    );
    expect(r).toEqual([
      { address: BOB, counterparty: ALICE, direction: 'in', transfer_count: 1, amount_tokens: 1.5 },
      { address: ALICE, counterparty: BOB, direction: 'out', transfer_count: 1, amount_tokens: 1.5 },
    ]);
  });

  it('v_dead_letters: one row per day, topic, stage and error code; replays once, retries on the latest day; no payloads', () => {
    const r = rows<Record<string, unknown>>(`SELECT * FROM ${DB}.v_dead_letters ORDER BY day`);
    const expected = [
      {
        day: yesterday,
        days_ago: 1,
        source_topic: 'eth.logs.raw',
        stage: 'sink:raw_logs',
        error_code: 'ORACUL_SINK_RECORD_INVALID',
        dead_letter_count: 2,
        retryable_count: 0,
        first_failed_at: `${yesterday} 10:00:00.000`,
        last_failed_at: `${yesterday} 12:00:00.000`,
        example_error_message: 'raw_logs: block 101 logs[2].address "0x12" breaks rule address20',
        example_source_partition: 0,
        example_source_offset: 9,
      },
      {
        day: today,
        days_ago: 0,
        source_topic: 'eth.logs.raw',
        stage: 'sink:raw_logs',
        error_code: 'ORACUL_SINK_RECORD_INVALID',
        dead_letter_count: 1,
        retryable_count: 0,
        first_failed_at: `${today} 09:30:00.000`,
        last_failed_at: `${today} 09:30:00.000`,
        example_error_message: 'x'.repeat(300),
        example_source_partition: 0,
        example_source_offset: 8,
      },
    ];
    expect(r).toEqual(expected);
    expect(rows<{ n: number }>(`SELECT count() AS n FROM ${DB}.dead_letters`)).toEqual([{ n: 5 }]); // FINAL made the difference
    expect(JSON.stringify(r)).not.toContain(PAYLOAD);
    const columns = rows<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = '${DB}' AND table = 'v_dead_letters'`,
    );
    expect(columns.map((c) => c.name).filter((n) => /base64|header|details/.test(n))).toEqual([]);
  });
});
