import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../processors/erc20/reject-reason.ts';
import { encodeCheckpoint } from '../schemas/checkpoint.ts';
import { bindDatabase, loadMigrations } from './load-migrations.ts';

/**
 * Every migration on the real ClickHouse engine, in-process (chdb, ClickHouse
 * 26.x) on a temp dir: no HTTP, no server. The runner itself is tested through
 * @clickhouse/client in migrate.test.ts.
 */
const DB = 'oracul_ddl_test';
let dir: string;
let session: Session;

const exec = (sql: string): void => void session.query(sql, 'TabSeparated');
const rows = <T>(sql: string): T[] =>
  session
    .query(`${sql} SETTINGS output_format_json_quote_64bit_integers = 1`, 'JSONEachRow')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
const insert = (table: string, values: Record<string, unknown>[]): void =>
  exec(`INSERT INTO ${DB}.${table} FORMAT JSONEachRow ${values.map((v) => JSON.stringify(v)).join('\n')}`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oracul-chdb-'));
  session = new Session(dir);
  exec(`CREATE DATABASE ${DB}`);
  for (const migration of loadMigrations()) for (const statement of migration.statements) exec(bindDatabase(statement, DB));
});

afterAll(() => {
  session?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface TableRow {
  name: string;
  engine: string;
  engine_full: string;
  partition_key: string;
  sorting_key: string;
}

const EXPECTED_TABLES: Record<string, { engine: string; partition: string; order: string }> = {
  raw_blocks: {
    engine: 'ReplacingMergeTree(version, is_orphaned)',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'chain_id, block_number, block_hash',
  },
  raw_transactions: {
    engine: 'ReplacingMergeTree(version, is_orphaned)',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'chain_id, block_number, block_hash, tx_index',
  },
  raw_logs: {
    engine: 'ReplacingMergeTree(version, is_orphaned)',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'chain_id, block_number, block_hash, log_index',
  },
  prices_spot: {
    engine: 'ReplacingMergeTree(fetched_at)',
    partition: 'toYYYYMM(price_timestamp)',
    order: 'chain_id, token_address, price_timestamp',
  },
  tokens: { engine: 'ReplacingMergeTree(version)', partition: '', order: 'chain_id, address' },
  erc20_transfers: {
    engine: 'ReplacingMergeTree(version, is_orphaned)',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'chain_id, token_address, block_number, log_index, block_hash',
  },
  erc20_transfers_late: {
    engine: 'ReplacingMergeTree',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'processor, chain_id, token_address, block_number, log_index, block_hash, address, kind',
  },
  erc20_rejects: {
    engine: 'ReplacingMergeTree(version, is_orphaned)',
    partition: 'toYYYYMM(block_timestamp)',
    order: 'chain_id, block_number, log_index, block_hash',
  },
  token_metrics_daily: {
    engine: 'ReplacingMergeTree(version, is_deleted)',
    partition: 'toYYYYMM(date)',
    order: 'chain_id, token_address, date',
  },
  address_flows_daily: {
    engine: 'ReplacingMergeTree(version, is_deleted)',
    partition: 'toYYYYMM(date)',
    order: 'chain_id, address, date, token_address',
  },
  anomalies: {
    engine: 'ReplacingMergeTree(version)',
    partition: 'toYYYYMM(day)',
    order: 'chain_id, entity_type, entity_id, day, anomaly_id',
  },
  data_quality_checks: {
    engine: 'ReplacingMergeTree',
    partition: 'toYYYYMM(checked_at)',
    order: 'check_name, chain_id, subject, checked_at',
  },
  dead_letters: {
    engine: 'ReplacingMergeTree(failed_at)',
    partition: '',
    order: 'source_topic, source_partition, source_offset, stage',
  },
  gateway_token_metrics_daily: {
    engine: 'ReplacingMergeTree(version, is_deleted)',
    partition: 'toYear(date)',
    order: 'chain_id, token_address, date',
  },
  gateway_token_metrics_daily_mv: { engine: 'MaterializedView', partition: '', order: '' },
  gateway_address_flows_daily: {
    engine: 'ReplacingMergeTree(version, is_deleted)',
    partition: 'toYear(date)',
    order: 'chain_id, address, date, token_address',
  },
  gateway_address_flows_daily_mv: { engine: 'MaterializedView', partition: '', order: '' },
};

describe('migrations on the real engine', () => {
  it('create every table with its engine, partition key and order key', () => {
    const tables = rows<TableRow>(
      `SELECT name, engine, engine_full, partition_key, sorting_key FROM system.tables WHERE database = '${DB}' AND engine != 'View' ORDER BY name`,
    );
    expect(tables.map((t) => t.name).sort()).toEqual(Object.keys(EXPECTED_TABLES).sort());
    for (const t of tables) {
      const expected = EXPECTED_TABLES[t.name]!;
      expect(
        t.engine_full.startsWith(`${expected.engine} `) || t.engine_full === expected.engine || t.engine === expected.engine,
        `${t.name}: ${t.engine_full}`,
      ).toBe(true);
      expect(t.partition_key, t.name).toBe(expected.partition);
      expect(t.sorting_key, t.name).toBe(expected.order);
    }
  });

  it('type amounts UInt256/Int256, timestamps DateTime64(3, UTC) and USD values as exact decimals', () => {
    const columns = rows<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.columns WHERE database = '${DB}' ORDER BY table, position`,
    );
    const typeOf = (table: string, column: string) => columns.find((c) => c.table === table && c.name === column)?.type;
    expect(typeOf('erc20_transfers', 'amount_raw')).toBe('UInt256');
    expect(typeOf('raw_transactions', 'value')).toBe('UInt256');
    expect(typeOf('token_metrics_daily', 'volume_raw')).toBe('UInt256');
    expect(typeOf('address_flows_daily', 'net_flow_raw')).toBe('Int256');
    expect(typeOf('token_metrics_daily', 'volume_usd')).toBe('Nullable(Decimal(76, 18))');
    expect(typeOf('prices_spot', 'price_usd')).toBe('Nullable(Decimal(38, 18))');
    expect(typeOf('token_metrics_daily', 'date')).toBe('Date');
    for (const c of columns.filter((c) => /_at$|_timestamp$/.test(c.name))) {
      expect(c.type.replace(/^Nullable\((.*)\)$/, '$1'), `${c.table}.${c.name}`).toBe("DateTime64(3, 'UTC')");
    }
    for (const c of columns.filter((c) => /(^|_)address$|_hash$/.test(c.name))) {
      expect(c.type, `${c.table}.${c.name}`).toMatch(/^(Nullable\()?String\)?$/);
    }
  });

  it('are re-runnable: every statement again changes nothing', () => {
    for (const migration of loadMigrations()) for (const statement of migration.statements) exec(bindDatabase(statement, DB));
    expect(
      rows<{ n: string }>(`SELECT count() AS n FROM system.tables WHERE database = '${DB}' AND engine != 'View'`)[0]!.n,
    ).toBe(String(Object.keys(EXPECTED_TABLES).length));
  });

  it('document in erc20_rejects.reason exactly the reasons the decoder writes', () => {
    const [column] = rows<{ comment: string }>(
      `SELECT comment FROM system.columns WHERE database = '${DB}' AND table = 'erc20_rejects' AND name = 'reason'`,
    );
    expect(column?.comment).toBe(REJECT_REASONS.join(' | '));
  });
});

const BLOCK_TS = 1_700_000_000_000;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const transfer = (over: Record<string, unknown> = {}) => ({
  chain_id: 1,
  block_number: 18_500_000,
  block_hash: hash(1),
  block_timestamp: BLOCK_TS,
  tx_hash: hash(100),
  tx_index: 4,
  log_index: 9,
  token_address: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
  from_address: '0x1111111111111111111111111111111111111111',
  to_address: '0x2222222222222222222222222222222222222222',
  amount_raw: '1000000',
  amount_decimal: '1',
  decimals: 6,
  symbol: 'USDC',
  is_mint: false,
  is_burn: false,
  form: 'standard',
  version: 1,
  is_orphaned: 0,
  ...over,
});

describe('erc20_transfers on the real engine', () => {
  it('stores a UInt256 of 2^255 + 1 exactly', () => {
    const big = (2n ** 255n + 1n).toString();
    insert('erc20_transfers', [transfer({ log_index: 1000, amount_raw: big })]);
    const [row] = rows<{ amount_raw: string; is_big: number }>(
      `SELECT amount_raw, amount_raw = toUInt256('${big}') AS is_big FROM ${DB}.erc20_transfers WHERE log_index = 1000`,
    );
    expect(row).toEqual({ amount_raw: big, is_big: 1 });
  });

  it('shows a replayed batch once with FINAL (and with argMax by version)', () => {
    const batch = [transfer({ log_index: 1 }), transfer({ log_index: 2 }), transfer({ log_index: 3 })];
    insert('erc20_transfers', batch);
    insert('erc20_transfers', batch); // the sink re-consumed the same records after a crash
    const where = `WHERE block_number = 18500000 AND log_index IN (1, 2, 3)`;
    expect(rows<{ n: string }>(`SELECT count() AS n FROM ${DB}.erc20_transfers ${where}`)[0]!.n).toBe('6');
    expect(rows<{ n: string }>(`SELECT count() AS n FROM ${DB}.erc20_transfers FINAL ${where}`)[0]!.n).toBe('3');
    const latest = rows<{ n: string }>(
      `SELECT count() AS n FROM (SELECT block_hash, log_index FROM ${DB}.erc20_transfers ${where}
       GROUP BY chain_id, token_address, block_number, log_index, block_hash HAVING argMax(is_orphaned, version) = 0)`,
    );
    expect(latest[0]!.n).toBe('3');
  });

  it('hides transfers of an orphaned block once the retraction lands, and keeps the canonical replacement', () => {
    const orphan = transfer({ block_number: 18_600_000, block_hash: hash(2), log_index: 5, version: 10 });
    insert('erc20_transfers', [orphan]);
    // kind=retraction: the same row, the reorg record's higher version, is_orphaned = 1.
    insert('erc20_transfers', [{ ...orphan, version: 11, is_orphaned: 1 }]);
    insert('erc20_transfers', [transfer({ block_number: 18_600_000, block_hash: hash(3), log_index: 5, version: 12 })]);
    const visible = rows<{ block_hash: string }>(
      `SELECT block_hash FROM ${DB}.erc20_transfers FINAL WHERE block_number = 18600000`,
    );
    expect(visible).toEqual([{ block_hash: hash(3) }]);
  });

  it('computes the checkpoint alias exactly like schemas/checkpoint.ts', () => {
    const [row] = rows<{ checkpoint: string }>(`SELECT checkpoint FROM ${DB}.erc20_transfers WHERE log_index = 1000`);
    expect(row!.checkpoint).toBe(
      encodeCheckpoint({ timestampMs: BLOCK_TS, chainId: 1, blockNumber: 18_500_000, txIndex: 4, logIndex: 1000 }),
    );
  });
});

describe('prices_spot on the real engine', () => {
  it('serves the documented as-of join: latest non-gap price at or before each transfer', () => {
    const price = (ts: number, usd: string | null) => ({
      chain_id: 1,
      token_address: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2',
      coingecko_id: 'weth',
      symbol: 'WETH',
      price_usd: usd,
      price_timestamp: ts,
      source: 'coingecko:simple_price',
      fetched_at: ts + 1,
    });
    insert('prices_spot', [
      price(BLOCK_TS - 120_000, '2000.5'),
      price(BLOCK_TS - 60_000, null),
      price(BLOCK_TS + 60_000, '2100'),
    ]);
    insert('erc20_transfers', [
      transfer({ token_address: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', block_number: 18_700_000, log_index: 1 }),
    ]);
    const joined = rows<{ log_index: number; price_usd: string }>(
      `SELECT t.log_index AS log_index, toString(p.price_usd) AS price_usd
       FROM (SELECT * FROM ${DB}.erc20_transfers FINAL WHERE token_address = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2') AS t
       ASOF LEFT JOIN (SELECT * FROM ${DB}.prices_spot FINAL WHERE price_usd IS NOT NULL) AS p
         ON t.chain_id = p.chain_id AND t.token_address = p.token_address AND t.block_timestamp >= p.price_timestamp`,
    );
    expect(joined).toEqual([{ log_index: 1, price_usd: '2000.5' }]);
  });
});

describe('raw tables on the real engine', () => {
  it('mark a whole orphaned block with one INSERT ... SELECT (what the raw sink does for a reorg record)', () => {
    const log = (blockHash: string, logIndex: number, version: number) => ({
      chain_id: 1,
      block_number: 19_000_000,
      block_hash: blockHash,
      block_timestamp: BLOCK_TS,
      tx_index: 0,
      tx_hash: hash(7),
      log_index: logIndex,
      address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
      topics: [hash(8)],
      data: '0x',
      version,
      is_orphaned: 0,
      observed_at: BLOCK_TS,
    });
    insert('raw_logs', [log(hash(20), 0, 1), log(hash(20), 1, 1), log(hash(20), 2, 1)]);
    exec(
      `INSERT INTO ${DB}.raw_logs SELECT * REPLACE (toUInt64(2) AS version, toUInt8(1) AS is_orphaned)
       FROM ${DB}.raw_logs FINAL WHERE chain_id = 1 AND block_number = 19000000 AND block_hash = '${hash(20)}'`,
    );
    insert('raw_logs', [log(hash(21), 0, 3)]);
    expect(rows(`SELECT block_hash, log_index, topic0 FROM ${DB}.raw_logs FINAL WHERE block_number = 19000000`)).toEqual([
      { block_hash: hash(21), log_index: 0, topic0: hash(8) },
    ]);
  });
});

describe('marts on the real engine', () => {
  const day = (over: Record<string, unknown>) => ({
    date: 19_700,
    chain_id: 1,
    token_address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
    symbol: 'USDT',
    decimals: 6,
    volume_raw: '100',
    volume_usd: '0.0001',
    minted_raw: '0',
    burned_raw: '0',
    transfer_count: 1,
    priced_transfer_count: 1,
    tx_count: 1,
    unique_addresses: 2,
    version: 1,
    is_final: false,
    emitted_at: BLOCK_TS,
    ...over,
  });

  it('keep the latest version of a day, and drop a day whose transfers were all retracted', () => {
    insert('token_metrics_daily', [
      day({ version: 1 }),
      day({ version: 2, volume_raw: '300', transfer_count: 2, is_final: true }),
    ]);
    expect(rows(`SELECT volume_raw, is_final, version FROM ${DB}.token_metrics_daily FINAL WHERE date = '2023-12-09'`)).toEqual([
      { volume_raw: '300', is_final: true, version: '2' },
    ]);
    insert('token_metrics_daily', [
      day({ version: 3, volume_raw: '0', volume_usd: null, transfer_count: 0, priced_transfer_count: 0, is_final: true }),
    ]);
    expect(rows(`SELECT * FROM ${DB}.token_metrics_daily FINAL WHERE date = '2023-12-09'`)).toEqual([]);
  });

  it('sum USD values exactly whatever the order (Decimal, not Float64)', () => {
    const values = ['0.1', '0.2', '0.300000000000000001', '123456789012345678901234567890.123456789012345678'];
    insert(
      'token_metrics_daily',
      values.map((v, i) => day({ token_address: `0x${String(i).padStart(40, '0')}`, volume_usd: v })),
    );
    const [row] = rows<{ total: string }>(
      `SELECT toString(sum(volume_usd)) AS total FROM ${DB}.token_metrics_daily FINAL WHERE date = '2023-12-09'`,
    );
    expect(row!.total).toBe('123456789012345678901234567890.723456789012345679');
  });
});
