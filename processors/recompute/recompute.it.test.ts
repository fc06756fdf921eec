import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import type { Transfer } from '../../schemas/generated/types.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { createErc20DecoderProcessor } from '../erc20/erc20-decoder.ts';
import {
  expectedAddressFlows,
  expectedTokenMetrics,
  streamedAddressFlows,
  streamedTokenMetrics,
} from '../engine/testing/recompute.ts';
import { generateSyntheticStream, SYNTHETIC_TOKENS } from '../engine/testing/syntheticTransferStream.ts';
import { tokenRow, transferRow } from '../sinks/derived-sinks.ts';
import { priceRows } from '../sinks/raw-rows.ts';
import { recompute, type RecomputeResult } from './recompute.ts';

/**
 * `oracul recompute` against the real ClickHouse engine: raw transfers (decoded by the stream's own decoder from a
 * generated multi-day chain with a reorg, mints/burns, unknown decimals and a price gap) and prices are seeded,
 * the marts are rebuilt by the in-memory processors and must equal the independent SQL recomputation exactly;
 * corrupted rows are repaired; a repeated run writes nothing.
 */
describe('recompute: marts and anomalies rebuilt from erc20_transfers', () => {
  const database = `recompute_it_${randomUUID().slice(0, 8)}`;
  const config = testConfig({
    clickhouse: { database },
    logLevel: 'warn',
    // Short baselines so that the generated days are scored at all.
    anomalies: { historyDays: 7, minHistoryDays: 2, dayOfWeek: false },
  });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'recompute-it' } });
  const client = createWarehouseClient({ config });
  const SPIKE = 2_000;
  const stream = generateSyntheticStream({ seed: 23, days: 5, blocksPerDay: 96, transfersPerBlock: 6, addresses: 600 });
  const run = (): Promise<RecomputeResult> =>
    recompute({ config, logger, client, chainId: 1, fromDate: '2024-02-29', toDate: '2024-03-06', insertBatchRows: 5_000 });

  /** Every visible row of the three tables, for before/after comparisons. */
  const snapshot = async (): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const query of [
      'SELECT * EXCEPT (version, inserted_at) FROM token_metrics_daily FINAL ORDER BY date, token_address',
      'SELECT * EXCEPT (version, inserted_at) FROM address_flows_daily FINAL ORDER BY date, address, token_address',
      'SELECT * EXCEPT (version, source_version, inserted_at) FROM anomalies FINAL ORDER BY anomaly_id',
    ]) {
      out.push(await (await client.query({ query, format: 'JSONEachRow' })).json());
    }
    return out;
  };

  beforeAll(async () => {
    const bootstrap = createWarehouseClient({ config, withoutDatabase: true });
    await migrate({ client: bootstrap, database, logger, tokenSeedFile: false });
    await bootstrap.close();
    // The stream's decoder, in memory: Avro transfer records (with the reorg's retractions) → the sink's rows.
    const decoder = createTestDriver(createErc20DecoderProcessor(), { verifySerde: false });
    for (const token of stream.tokens) decoder.pipe({ kind: 'token', token });
    for (const batch of stream.logBatches) decoder.pipe({ kind: 'logs', batch });
    const transfers = decoder.outputs('erc20.transfers').map((o) => transferRow(o.value as Transfer));
    expect(transfers.length).toBe(2_898); // the reorg's orphaned transfers and their retractions included
    await client.insert({ table: 'erc20_transfers', values: transfers, format: 'JSONEachRow' });
    // A burst of MEME mints on 2024-03-05 (about 30 times a normal day): a transfer_count anomaly to detect.
    const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
    await client.insert({
      table: 'erc20_transfers',
      values: Array.from({ length: SPIKE }, (_, i) => ({
        chain_id: 1,
        block_number: 9_000_000 + Math.floor(i / 100),
        block_hash: '0x' + hex(0xbeef00 + Math.floor(i / 100), 64),
        block_timestamp: '2024-03-05 12:00:00.000',
        tx_hash: '0x' + hex(0xfeed0000 + i, 64),
        tx_index: i % 100,
        log_index: i % 100,
        token_address: SYNTHETIC_TOKENS.meme,
        from_address: '0x' + '0'.repeat(40),
        to_address: '0x' + hex(0x7000000 + i, 40),
        amount_raw: '1000000000000000000',
        amount_decimal: '1',
        decimals: 18,
        symbol: 'MEME',
        is_mint: true,
        is_burn: false,
        form: 'standard',
        version: 1,
        is_orphaned: 0,
      })),
      format: 'JSONEachRow',
    });
    await client.insert({ table: 'prices_spot', values: stream.prices.flatMap((p) => priceRows(p)), format: 'JSONEachRow' });
    await client.insert({ table: 'tokens', values: stream.tokens.map((t) => tokenRow(t)), format: 'JSONEachRow' });
  }, 120_000);

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
  });

  it('rebuilds token_metrics_daily and address_flows_daily equal to the SQL recomputation', async () => {
    const result = await run();
    expect(result.days.map((d) => d.day)).toEqual([
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
      '2024-03-05',
      '2024-03-06',
    ]);
    expect(result.totals.transfers).toBe(2_886 + SPIKE);
    const tokens = await streamedTokenMetrics(client, 1);
    expect(tokens.length).toBe(25);
    expect(tokens).toEqual(await expectedTokenMetrics(client, 1, config.prices.stalenessLimitS));
    // The fixture's edge cases are present: null USD (unknown decimals, the price gap) and priced days.
    expect(tokens.some((r) => r.volume_usd === 'null')).toBe(true);
    expect(tokens.some((r) => r.volume_usd !== 'null' && r.volume_usd !== '0.000000')).toBe(true);
    const flows = await streamedAddressFlows(client, 1);
    expect(flows.length).toBe(5_952);
    expect(flows).toEqual(await expectedAddressFlows(client, 1));
    const written = result.days.reduce((n, d) => n + d.token_metrics_daily.written + d.address_flows_daily.written, 0);
    expect(written).toBe(tokens.length + flows.length);
    // The scorers, with the earlier recomputed days as their baseline, flag the burst as a final anomaly.
    const burst = await client.query({
      query: `SELECT metric, status, severity, value FROM anomalies FINAL
              WHERE entity_id = {t:String} AND day = '2024-03-05' AND metric = 'transfer_count'`,
      query_params: { t: SYNTHETIC_TOKENS.meme },
      format: 'JSONEachRow',
    });
    const [spike] = await burst.json<{ metric: string; status: string; severity: string; value: number }>();
    expect(spike).toMatchObject({ metric: 'transfer_count', status: 'final', severity: 'high' });
    expect(spike?.value).toBe(SPIKE + 68); // the burst and the day's 68 ordinary MEME transfers
    expect(result.days.find((d) => d.day === '2024-03-05')?.anomalies).toEqual({ computed: 26, written: 26, removed: 0 });
    // Every rebuilt row is final.
    const open = await client.query({
      query: 'SELECT count() AS n FROM token_metrics_daily FINAL WHERE NOT is_final',
      format: 'JSONEachRow',
    });
    expect(await open.json()).toEqual([{ n: '0' }]);
  });

  it('repairs a corrupted aggregate, removes a bogus row, withdraws a stale anomaly; a second run changes nothing', async () => {
    const expectedTokens = await expectedTokenMetrics(client, 1, config.prices.stalenessLimitS);
    // A wrong row with a much higher version (e.g. a buggy writer), a row for a key that has no transfers, and an
    // anomaly the data does not support.
    const stored = await client.query({
      query: `SELECT max(version) AS v FROM token_metrics_daily WHERE date = '2024-03-02' AND token_address = {t:String}`,
      query_params: { t: SYNTHETIC_TOKENS.weth },
      format: 'JSONEachRow',
    });
    const corruptedVersion = BigInt(((await stored.json()) as { v: string }[])[0]!.v) + 1000n;
    await client.insert({
      table: 'token_metrics_daily',
      values: [
        {
          date: '2024-03-02',
          chain_id: 1,
          token_address: SYNTHETIC_TOKENS.weth,
          volume_raw: '1',
          minted_raw: '0',
          burned_raw: '0',
          transfer_count: 1,
          tx_count: 1,
          unique_addresses: 2,
          version: corruptedVersion.toString(),
          is_final: true,
          emitted_at: '2024-03-02 23:59:59.999',
        },
      ],
      format: 'JSONEachRow',
    });
    const bogus = '0x' + 'ab'.repeat(20);
    await client.insert({
      table: 'address_flows_daily',
      values: [
        {
          date: '2024-03-03',
          chain_id: 1,
          address: bogus,
          token_address: SYNTHETIC_TOKENS.usdc,
          inflow_raw: '5',
          outflow_raw: '0',
          net_flow_raw: '5',
          transfer_count: 1,
          tx_count: 1,
          counterparties_count: 1,
          version: 3,
          is_final: true,
          emitted_at: '2024-03-03 23:59:59.999',
        },
      ],
      format: 'JSONEachRow',
    });
    await client.insert({
      table: 'anomalies',
      values: [
        {
          anomaly_id: 'f'.repeat(64),
          chain_id: 1,
          entity_type: 'token',
          entity_id: SYNTHETIC_TOKENS.meme,
          token_address: SYNTHETIC_TOKENS.meme,
          metric: 'transfer_count',
          day: '2024-03-04',
          value: 1e9,
          baseline_center: 10,
          baseline_spread: 1,
          baseline_days: 5,
          score: 99,
          lower_bound: null,
          upper_bound: 20,
          method: 'robust_zscore',
          severity: 'high',
          status: 'final',
          detected_at: '2024-03-04 12:00:00.000',
          updated_at: '2024-03-04 12:00:00.000',
          version: 4,
          source_version: 4,
        },
      ],
      format: 'JSONEachRow',
    });
    expect(await streamedTokenMetrics(client, 1)).not.toEqual(expectedTokens);

    const repair = await run();
    const day = (d: string) => repair.days.find((r) => r.day === d);
    expect(day('2024-03-02')?.token_metrics_daily).toMatchObject({ written: 1, removed: 0 });
    expect(day('2024-03-03')?.address_flows_daily).toMatchObject({ written: 0, removed: 1 });
    expect(day('2024-03-04')?.anomalies.removed).toBe(1);
    expect(repair.totals.written).toBe(1); // only the corrupted row: everything else was already equal
    expect(await streamedTokenMetrics(client, 1)).toEqual(expectedTokens);
    expect(await streamedAddressFlows(client, 1)).toEqual(await expectedAddressFlows(client, 1));
    const repaired = await client.query({
      query: `SELECT version FROM token_metrics_daily FINAL WHERE date = '2024-03-02' AND token_address = {t:String}`,
      query_params: { t: SYNTHETIC_TOKENS.weth },
      format: 'JSONEachRow',
    });
    expect(await repaired.json()).toEqual([{ version: (corruptedVersion + 1n).toString() }]);
    const withdrawn = await client.query({
      query: `SELECT status, version FROM anomalies FINAL WHERE anomaly_id = {id:String}`,
      query_params: { id: 'f'.repeat(64) },
      format: 'JSONEachRow',
    });
    expect(await withdrawn.json()).toEqual([{ status: 'withdrawn', version: '5' }]);

    const before = await snapshot();
    const again = await run();
    expect(again.totals).toMatchObject({ written: 0, removed: 0 });
    expect(await snapshot()).toEqual(before);
  });
});
