import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { DAY_MS, isoDay } from '../core/time.ts';
import { createWarehouseClient } from '../dwh/client.ts';
import { bindDatabase, loadMigrations } from '../dwh/load-migrations.ts';
import { migrate } from '../dwh/migrate.ts';
import { testConfig } from '../scripts/test/test-config.ts';
import { FinalizedCache } from './cache.ts';
import { FINAL_REFERENCE_SQL } from './sql.ts';
import { MAX_FLOW_ROWS, WarehouseReader } from './warehouse.ts';

/**
 * The gateway's day-range reads (serving tables of migration 0011, versions resolved with LIMIT 1 BY for flows and
 * by newestPerDay in the gateway for token metrics) return
 * exactly what FINAL on the marts returns, on the real engine behind the real endpoint, for data with many
 * versions per key arriving out of order in separate parts, retractions (transfer_count 0 → is_deleted),
 * days revived after a retraction, replays of the same version, nulls, 256-bit extremes, both yearly
 * partitions — for rows written before the views existed (the migration's backfill) and after (the views).
 */
const database = `oracul_serving_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
const config = testConfig({ logLevel: 'silent', clickhouse: { database } });
const logger = createLogger({ level: 'silent', pretty: false });

const TOKENS = Array.from({ length: 12 }, (_, i) => `0x${(0xabc000 + i).toString(16).padStart(40, '0')}`);
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `0x${(0xdef000 + i).toString(16).padStart(40, '0')}`);
const FIRST = Date.UTC(2025, 11, 1); // 2025-12-01: the ranges cross a yearly partition
const DAYS = 70;
const MAX_UINT256 = (2n ** 256n - 1n).toString();
const MIN_INT256 = (-(2n ** 255n)).toString();

const dayOf = (i: number) => isoDay(FIRST + i * DAY_MS);

/** Deterministic pseudo-random numbers (a failure reproduces). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

let writer: ClickHouseClient;
let readonly: ClickHouseClient;
let reader: WarehouseReader;

/** Versions of one key: 1..n shuffled, some retracted (transfer_count 0), sometimes one version replayed. */
function versionsOf(random: () => number): { version: number; retracted: boolean; replay: boolean }[] {
  const n = 1 + Math.floor(random() * 5);
  const list = Array.from({ length: n }, (_, i) => ({ version: i + 1, retracted: random() < 0.3, replay: random() < 0.15 }));
  return list.sort(() => random() - 0.5);
}

function metricsRow(token: string, day: number, version: number, retracted: boolean, random: () => number) {
  const nulls = random() < 0.2;
  const count = retracted ? 0 : 1 + Math.floor(random() * 1000);
  return {
    date: dayOf(day),
    chain_id: 1,
    token_address: token,
    symbol: nulls ? null : `T${version}"\\\t`,
    decimals: nulls ? null : 18,
    volume_raw: random() < 0.1 ? MAX_UINT256 : String(Math.floor(random() * 1e15)),
    volume_usd: nulls ? null : `${Math.floor(random() * 1e6)}.${String(Math.floor(random() * 1e9)).padStart(9, '0')}000000001`,
    minted_raw: String(version),
    burned_raw: '0',
    transfer_count: count,
    priced_transfer_count: count,
    tx_count: count,
    unique_addresses: Math.floor(count / 2),
    price_open: nulls ? null : '1.5',
    price_high: nulls ? null : '1.000000000000000001',
    price_low: nulls ? null : '0.25',
    price_close: nulls ? null : '1',
    price_source: nulls ? null : 'coingecko:simple_price',
    price_staleness_ms: nulls ? null : 60_000,
    version,
    is_final: random() < 0.8,
    emitted_at: FIRST + day * DAY_MS + version * 1000,
  };
}

function flowRow(address: string, token: string, day: number, version: number, retracted: boolean, random: () => number) {
  const nulls = random() < 0.2;
  const count = retracted ? 0 : 1 + Math.floor(random() * 50);
  return {
    date: dayOf(day),
    chain_id: 1,
    address,
    token_address: token,
    symbol: nulls ? null : 'SYM',
    inflow_raw: random() < 0.1 ? MAX_UINT256 : String(version * 1000),
    outflow_raw: '7',
    net_flow_raw: random() < 0.1 ? MIN_INT256 : String(-version),
    inflow_usd: nulls ? null : '12.000000000000000001',
    outflow_usd: nulls ? null : '0',
    net_flow_usd: nulls ? null : '-0.5',
    transfer_count: count,
    tx_count: count,
    counterparties_count: 1,
    version,
    is_final: random() < 0.8,
    emitted_at: FIRST + day * DAY_MS + version * 1000,
  };
}

/** Inserts every version of every key in `batches` separate inserts (parts), each version in a random one. */
async function writeVersions(seed: number, days: readonly number[]): Promise<void> {
  const random = rng(seed);
  const batches = 6;
  const metrics: Record<string, unknown>[][] = Array.from({ length: batches }, () => []);
  const flows: Record<string, unknown>[][] = Array.from({ length: batches }, () => []);
  const place = (target: Record<string, unknown>[][], row: Record<string, unknown>, replay: boolean) => {
    const at = Math.floor(random() * batches);
    target[at]!.push(row);
    // The sink replaying the same record later: same version, later part and inserted_at.
    if (replay) target[Math.min(batches - 1, at + 1)]!.push(row);
  };
  for (const token of TOKENS)
    for (const day of days)
      for (const v of versionsOf(random)) place(metrics, metricsRow(token, day, v.version, v.retracted, random), v.replay);
  for (const address of ADDRESSES)
    for (const token of TOKENS.slice(0, 4))
      for (const day of days)
        for (const v of versionsOf(random)) place(flows, flowRow(address, token, day, v.version, v.retracted, random), v.replay);
  for (let b = 0; b < batches; b += 1) {
    await writer.insert({ table: `${database}.token_metrics_daily`, format: 'JSONEachRow', values: metrics[b]! });
    await writer.insert({ table: `${database}.address_flows_daily`, format: 'JSONEachRow', values: flows[b]! });
    await new Promise((r) => setTimeout(r, 5)); // a later batch gets a later inserted_at
  }
}

async function finalRows(name: keyof typeof FINAL_REFERENCE_SQL, params: Record<string, unknown>): Promise<unknown[]> {
  const rs = await readonly.query({ query: FINAL_REFERENCE_SQL[name], query_params: params, format: 'JSONEachRow' });
  return rs.json();
}

const RANGES: [number, number][] = [
  [0, DAYS - 1],
  [25, 40], // across 2025-12-31 / 2026-01-01
  [31, 31],
  [50, 69],
  [60, 80], // past the last day written
];

async function expectServingEqualsFinal(): Promise<number> {
  let compared = 0;
  for (const [from, to] of RANGES) {
    for (const token of TOKENS) {
      const params = { chain_id: '1', token, from: dayOf(from), to: dayOf(to) };
      const expected = await finalRows('tokenMetricsDaily', params);
      const actual = await reader.tokenMetricsDaily(token, dayOf(from), dayOf(to));
      expect(actual, `${token} ${dayOf(from)}..${dayOf(to)}`).toEqual(expected);
      compared += expected.length;
    }
    for (const address of ADDRESSES) {
      for (const token of ['', TOKENS[1]!]) {
        const params = { chain_id: '1', address, from: dayOf(from), to: dayOf(to), token, limit: MAX_FLOW_ROWS };
        const expected = await finalRows('addressFlowsDaily', params);
        const actual = await reader.addressFlowsDaily(address, dayOf(from), dayOf(to), token);
        expect(actual, `${address} ${token} ${dayOf(from)}..${dayOf(to)}`).toEqual(expected);
        compared += expected.length;
      }
    }
  }
  return compared;
}

/**
 * The same reads sent all at once through a reader that coalesces them (one statement in flight, so the others queue
 * into batches holding many tokens and addresses, each over its own range; the same entity over several ranges goes
 * out in later rounds): every answer equals its own FINAL read.
 */
async function expectCoalescedEqualsFinal(): Promise<number> {
  const coalescing = new WarehouseReader({
    client: readonly,
    chainId: 1,
    logger,
    cache: new FinalizedCache({ maxEntries: 0, ttlMs: 0 }),
    readBatch: { maxInFlight: 1, maxBatch: 16 },
  });
  const checks: Promise<number>[] = [];
  for (const [from, to] of RANGES) {
    for (const token of TOKENS) {
      const params = { chain_id: '1', token, from: dayOf(from), to: dayOf(to) };
      checks.push(
        Promise.all([finalRows('tokenMetricsDaily', params), coalescing.tokenMetricsDaily(token, dayOf(from), dayOf(to))]).then(
          ([expected, actual]) => {
            expect(actual, `coalesced ${token} ${dayOf(from)}..${dayOf(to)}`).toEqual(expected);
            return expected.length;
          },
        ),
      );
    }
    for (const address of ADDRESSES) {
      for (const token of ['', TOKENS[1]!]) {
        const params = { chain_id: '1', address, from: dayOf(from), to: dayOf(to), token, limit: MAX_FLOW_ROWS };
        checks.push(
          Promise.all([
            finalRows('addressFlowsDaily', params),
            coalescing.addressFlowsDaily(address, dayOf(from), dayOf(to), token),
          ]).then(([expected, actual]) => {
            expect(actual, `coalesced ${address} ${token} ${dayOf(from)}..${dayOf(to)}`).toEqual(expected);
            return expected.length;
          }),
        );
      }
    }
  }
  const counts = await Promise.all(checks);
  return counts.reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  writer = createWarehouseClient({ config, withoutDatabase: true });
  readonly = createWarehouseClient({ config, role: 'readonly' });
  await migrate({ client: writer, database, logger });
  reader = new WarehouseReader({
    client: readonly,
    chainId: 1,
    logger,
    cache: new FinalizedCache({ maxEntries: 0, ttlMs: 0 }),
  });
});

afterAll(async () => {
  await writer?.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
  await writer?.close();
  await readonly?.close();
});

describe('serving reads equal FINAL reads', () => {
  it('for rows written before the views existed (the migration backfill)', async () => {
    const days = Array.from({ length: 40 }, (_, i) => i);
    await writeVersions(1, days);
    // As if the marts had these rows before migration 0011: empty the serving tables, run its backfill again.
    await writer.command({ query: `TRUNCATE TABLE ${database}.gateway_token_metrics_daily` });
    await writer.command({ query: `TRUNCATE TABLE ${database}.gateway_address_flows_daily` });
    const serving = loadMigrations().find((m) => m.file.startsWith('0011_'))!;
    const backfills = serving.statements.filter((s) => /^INSERT\b/i.test(s));
    expect(backfills).toHaveLength(2);
    for (const statement of backfills) await writer.command({ query: bindDatabase(statement, database) });

    const compared = await expectServingEqualsFinal();
    expect(compared).toBeGreaterThan(500);
    expect(await expectCoalescedEqualsFinal()).toBe(compared);
  });

  it('for rows the materialized views write on every insert, new versions of old days included', async () => {
    // Overlapping days: new versions (higher, some retracting, some reviving) on top of the backfilled ones.
    await writeVersions(
      2,
      Array.from({ length: 50 }, (_, i) => 20 + i),
    );
    const deleted = await writer.query({
      query: `SELECT count() AS n FROM ${database}.token_metrics_daily FINAL`,
      format: 'JSONEachRow',
    });
    const all = await writer.query({
      query: `SELECT count() AS n FROM (SELECT DISTINCT chain_id, token_address, date FROM ${database}.token_metrics_daily)`,
      format: 'JSONEachRow',
    });
    const [live] = await deleted.json<{ n: string }>();
    const [keys] = await all.json<{ n: string }>();
    const replays = await writer.query({
      query: `SELECT count() AS n FROM (SELECT token_address, date, version FROM ${database}.token_metrics_daily
        GROUP BY token_address, date, version HAVING uniqExact(inserted_at) > 1)`,
      format: 'JSONEachRow',
    });
    const [replayed] = await replays.json<{ n: string }>();
    // The data has what the test is about: keys hidden by a retraction, several versions per key, and the same
    // version inserted twice at different times (FINAL keeps the later insert).
    expect(Number(live?.n)).toBeLessThan(Number(keys?.n));
    expect(Number(replayed?.n)).toBeGreaterThan(10);
    const compared = await expectServingEqualsFinal();
    expect(compared).toBeGreaterThan(500);
    expect(await expectCoalescedEqualsFinal()).toBe(compared);
  });

  it('after merges (OPTIMIZE … FINAL) as before them', async () => {
    await writer.command({ query: `OPTIMIZE TABLE ${database}.gateway_token_metrics_daily FINAL` });
    await writer.command({ query: `OPTIMIZE TABLE ${database}.gateway_address_flows_daily FINAL` });
    expect(await expectCoalescedEqualsFinal()).toBe(await expectServingEqualsFinal());
  });
});
