import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../config/index.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OraculConfig } from '../../config/index.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import { startReplayServer, type ReplayServer } from '../../scripts/test/rpc-replay-server.ts';
import { createSyntheticChain } from '../../scripts/test/synthetic-chain.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { consumerLagFindings } from '../alerts/pipeline.ts';
import { startAlertService, type AlertService } from '../alerts/service.ts';
import { Alerter } from '../alerts/alerter.ts';
import { SlackSink } from '../alerts/slack.ts';
import { startWebhookServer, type WebhookServer } from '../alerts/testing/webhook-server.ts';
import type { DataQualityCheck } from '../../schemas/generated/types.ts';
import { TRANSFER_TOPIC0 } from './checks.ts';
import { runDqOnce } from './service.ts';

const database = `oracul_dq_it_${randomBytes(4).toString('hex')}`;
const TOKEN = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const logger = createLogger({ level: process.env.ORACUL_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn', pretty: false });
const FIRST = 100;
const LAST = 120;
const MISSING = 110;
const blockTs = (n: number): number => (1_700_000_000 + n * 12) * 1000; // the synthetic chain's timestamps
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const hash = (kind: string, n: number): string => `0x${kind}${n.toString(16).padStart(62, '0')}`;

let rpc: ReplayServer;
let webhook: WebhookServer;
let config: OraculConfig;
let admin: ClickHouseClient;
let client: ClickHouseClient;
let producer: Producer;
let serdes: Serdes;
let outboxDir: string;

async function plantRawData(): Promise<void> {
  const blocks = [];
  const txs = [];
  const logs = [];
  const transfers = [];
  for (let n = FIRST; n <= LAST; n++) {
    if (n === MISSING) continue; // the planted gap
    const common = {
      chain_id: 1,
      block_number: n,
      block_hash: hash('b', n),
      block_timestamp: chTime(blockTs(n)),
      version: 1,
      is_orphaned: 0,
    };
    blocks.push({
      ...common,
      parent_hash: hash('b', n - 1),
      miner: `0x${'11'.repeat(20)}`,
      gas_limit: 30_000_000,
      gas_used: 100_000,
      base_fee_per_gas: '1000000000',
      size_bytes: 1000,
      transaction_count: 2,
      log_count: 1,
      blob_gas_used: null,
      excess_blob_gas: null,
      observed_at: chTime(blockTs(n)),
    });
    for (let i = 0; i < 2; i++) {
      // The planted duplicate: block 115's second transaction has the hash of block 114's first.
      const txHash = n === 115 && i === 1 ? hash('c', 114 * 10) : hash('c', n * 10 + i);
      txs.push({
        ...common,
        tx_index: i,
        tx_hash: txHash,
        from_address: `0x${'22'.repeat(20)}`,
        to_address: TOKEN,
        value: '0',
        nonce: n * 10 + i,
        gas: 60_000,
        gas_price: null,
        max_fee_per_gas: null,
        max_priority_fee_per_gas: null,
        tx_type: 2,
        input: '0x',
        status: 1,
        gas_used: 50_000,
        effective_gas_price: '1000000000',
        contract_address: null,
        observed_at: chTime(blockTs(n)),
      });
    }
    const txHash = hash('c', n * 10);
    logs.push({
      ...common,
      tx_index: 0,
      tx_hash: txHash,
      log_index: 0,
      address: TOKEN,
      topics: [TRANSFER_TOPIC0, hash('0', 1), hash('0', 2)],
      data: '0x01',
      observed_at: chTime(blockTs(n)),
    });
    transfers.push({
      ...common,
      tx_hash: txHash,
      tx_index: 0,
      log_index: 0,
      token_address: TOKEN,
      from_address: `0x${'01'.repeat(20)}`,
      to_address: `0x${'02'.repeat(20)}`,
      amount_raw: '1',
      amount_decimal: null,
      decimals: 6,
      symbol: 'USDC',
      is_mint: false,
      is_burn: false,
      form: 'standard',
    });
  }
  await client.insert({ table: 'raw_blocks', values: blocks, format: 'JSONEachRow' });
  await client.insert({ table: 'raw_transactions', values: txs, format: 'JSONEachRow' });
  await client.insert({ table: 'raw_logs', values: logs, format: 'JSONEachRow' });
  await client.insert({ table: 'erc20_transfers', values: transfers, format: 'JSONEachRow' });
  const now = Date.now();
  await client.insert({
    table: 'prices_spot',
    values: [
      {
        chain_id: 1,
        token_address: TOKEN,
        coingecko_id: 'usd-coin',
        symbol: 'USDC',
        price_usd: '1.0001',
        price_timestamp: chTime(now - 5 * 60_000),
        source: 'test',
        fetched_at: chTime(now),
      },
    ],
    format: 'JSONEachRow',
  });
}

beforeAll(async () => {
  rpc = await startReplayServer({
    chain: createSyntheticChain({ firstBlock: FIRST, count: LAST - FIRST + 1, txsPerBlock: 2, logsPerBlock: 1 }),
  });
  webhook = await startWebhookServer();
  outboxDir = mkdtempSync(join(tmpdir(), 'oracul-dq-alerts-'));
  config = testConfig({
    clickhouse: { database },
    chains: [{ name: 'mainnet', chainId: 1, rpcUrls: [rpc.url] }],
    tokens: [{ symbol: 'USDC', coingeckoId: 'usd-coin', address: TOKEN, decimals: 6, chain: 'mainnet' }],
    dq: { gapWindowBlocks: 1000 },
    alerts: { slackWebhookUrl: webhook.url, digestIntervalS: 1, outboxDir, outboxRetryIntervalS: 1 },
  });
  admin = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: admin, database, logger, tokenSeedFile: false });
  client = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  producer = createKafka({ config, logger, clientSuffix: 'dq-it' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await plantRawData();
});

afterAll(async () => {
  await producer?.disconnect();
  await client?.close();
  await admin?.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
  await admin?.close();
  await webhook?.close();
  await rpc?.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

describe('a cold start: nothing ingested, no price polled yet', () => {
  const coldDatabase = `${database}_cold`;
  let cold: ClickHouseClient;
  let coldConfig: OraculConfig;
  let coldOutbox: string;
  beforeAll(async () => {
    coldConfig = { ...config, clickhouse: { ...config.clickhouse, database: coldDatabase } };
    await migrate({ client: admin, database: coldDatabase, logger, tokenSeedFile: false });
    cold = createWarehouseClient({ config: coldConfig });
    coldOutbox = mkdtempSync(join(tmpdir(), 'oracul-dq-cold-'));
  });
  afterAll(async () => {
    await cold?.close();
    await admin?.command({ query: `DROP DATABASE IF EXISTS ${coldDatabase}` }).catch(() => undefined);
    rmSync(coldOutbox, { recursive: true, force: true });
  });

  it('reports pending (never fail, never alerted) during the grace period, and fail once it has passed', async () => {
    const coldWebhook = await startWebhookServer();
    const t0 = Date.now();
    let now = t0;
    const alerter = new Alerter({
      sink: new SlackSink({ webhookUrl: coldWebhook.url, logger, maxAttempts: 1 }),
      outboxDir: coldOutbox,
      logger,
      minSeverity: 'low',
      digestIntervalMs: 60_000,
      rateLimitPerMinute: 10,
      retryIntervalMs: 1000,
      now: () => now,
    });
    const run = (at: number): Promise<DataQualityCheck[]> =>
      runDqOnce({ config: coldConfig, client: cold, logger, now: () => at });
    const statuses = (results: DataQualityCheck[]): Record<string, string> =>
      Object.fromEntries(results.map((r) => [r.subject === '' ? r.check_name : `${r.check_name}:${r.subject}`, r.status]));
    try {
      const first = await run(t0);
      expect(statuses(first)).toEqual({
        freshness: 'pending',
        block_gaps: 'pending',
        duplicate_tx_hash: 'pending',
        log_index_contiguity: 'pending',
        block_tx_count: 'pending',
        transfer_log_coverage: 'pending',
        [`price_staleness:${TOKEN}`]: 'pending',
      });
      expect(JSON.parse(first.find((r) => r.check_name === 'freshness')!.details)).toMatchObject({
        note: 'no block ingested yet',
        head_block: String(LAST),
      });
      for (const r of first) expect(alerter.onDqCheck(r)).toBe(false);
      await alerter.flush();
      expect(coldWebhook.delivered()).toHaveLength(0);

      // 9 minutes in: still within the freshness grace period (10 minutes from the first run).
      now = t0 + 9 * 60_000;
      expect(statuses(await run(now)).freshness).toBe('pending');

      // 11 minutes in: still no block, so freshness fails (and alerts); the price grace period (120 min) still runs.
      now = t0 + 11 * 60_000;
      const late = statuses(await run(now));
      expect(late.freshness).toBe('fail');
      expect(late[`price_staleness:${TOKEN}`]).toBe('pending');
      expect(late.block_gaps).toBe('pending'); // nothing to count gaps in: freshness carries the failure

      now = t0 + 121 * 60_000;
      const later = await run(now);
      expect(statuses(later)[`price_staleness:${TOKEN}`]).toBe('fail');
      const alerted = later.filter((r) => alerter.onDqCheck(r)).map((r) => r.check_name);
      expect(alerted.sort()).toEqual(['freshness', 'price_staleness']);

      // The table keeps the pending runs; the BI view does not count them as failures.
      const rs = await cold.query({
        query: `SELECT check_name, failures_24h, runs_24h FROM v_data_quality WHERE check_name = 'block_gaps'`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ check_name: 'block_gaps', failures_24h: '0', runs_24h: '4' }]);
    } finally {
      await alerter.close();
      await coldWebhook.close();
    }
  });
});

describe('data-quality checks on the warehouse', () => {
  let alerts: AlertService | undefined;
  const groupId = `dq-it-${randomBytes(4).toString('hex')}`;
  let kafkaAdmin: Admin;
  /** The alert service's lag on dq.checks: 0 once it has read every record produced so far. */
  const dqLag = async (): Promise<{ ok: boolean; observed: number } | undefined> =>
    (await consumerLagFindings(kafkaAdmin, 5, [groupId])).find((f) => f.subject === `${groupId}/dq.checks`);
  const caughtUp = (): Promise<void> =>
    vi.waitFor(async () => expect(await dqLag()).toMatchObject({ ok: true, observed: 0 }), { timeout: 30_000, interval: 500 });
  beforeAll(async () => {
    kafkaAdmin = createKafka({ config, logger, clientSuffix: 'dq-it-admin' }).admin();
    await kafkaAdmin.connect();
  });
  afterAll(async () => {
    await alerts?.stop();
    await kafkaAdmin.disconnect();
  });

  it('a planted block gap and a duplicate tx give fail rows in table and topic, and one Slack alert', async () => {
    const results = await runDqOnce({ config, client, producer, serdes, logger });
    const byCheck = Object.fromEntries(results.map((r) => [r.subject === '' ? r.check_name : `${r.check_name}:${r.subject}`, r]));
    expect(byCheck.block_gaps).toMatchObject({ status: 'fail', observed: 1, check_window: `blocks:${FIRST}-${LAST}` });
    expect(JSON.parse(byCheck.block_gaps!.details)).toEqual({ missing_blocks: 1, first_missing: [String(MISSING)] });
    expect(byCheck.duplicate_tx_hash).toMatchObject({ status: 'fail', observed: 1 });
    expect(JSON.parse(byCheck.duplicate_tx_hash!.details).duplicates[0]).toEqual({
      tx_hash: hash('c', 1140),
      rows: 2,
      blocks: expect.arrayContaining(['114', '115']),
    });
    // Everything else is consistent.
    expect(byCheck.freshness).toMatchObject({ status: 'pass', observed: 0 });
    expect(JSON.parse(byCheck.freshness!.details)).toMatchObject({
      head_block: String(LAST),
      latest_block: String(LAST),
      blocks_behind: '0',
    });
    expect(byCheck.log_index_contiguity).toMatchObject({ status: 'pass', observed: 0 });
    expect(byCheck.block_tx_count).toMatchObject({ status: 'pass', observed: 0 });
    expect(byCheck.transfer_log_coverage).toMatchObject({ status: 'pass', observed: 1 });
    expect(byCheck[`price_staleness:${TOKEN}`]).toMatchObject({ status: 'pass' });
    expect(byCheck[`price_staleness:${TOKEN}`]!.observed).toBeGreaterThanOrEqual(5);

    const rs = await client.query({
      query: `SELECT check_name, status, observed FROM data_quality_checks FINAL WHERE status = 'fail' ORDER BY check_name`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { check_name: 'block_gaps', status: 'fail', observed: 1 },
      { check_name: 'duplicate_tx_hash', status: 'fail', observed: 1 },
    ]);

    // A second run (still failing) must not alert again.
    await runDqOnce({ config, client, producer, serdes, logger });

    alerts = await startAlertService({
      config,
      logger,
      serdes,
      groupId,
      lagGroups: [],
      topics: ['dq.checks'], // other test files share the stack's topics
    });
    await vi.waitFor(() => expect(webhook.delivered().length).toBeGreaterThan(0), { timeout: 60_000, interval: 200 });
    // The end of the input instead of a sleep: once the service has read every record of both runs and flushed and
    // delivered what it holds, nothing else can arrive from them.
    await caughtUp();
    await alerts.alerter.flush();
    expect(webhook.delivered()).toHaveLength(1);
    const text = JSON.stringify(webhook.delivered()[0]?.body);
    expect(text).toContain('block_gaps');
    expect(text).toContain('duplicate_tx_hash');
    expect(webhook.delivered()[0]?.body.blocks[0]?.text?.text).toBe('Oracul: 2 alerts (2 high)');
  });
  it('consumer lag: 0 once the alert service caught up, above threshold after new records it did not read', async () => {
    await caughtUp();
    await alerts?.stop();
    alerts = undefined;
    const results = await runDqOnce({ config, client, producer, serdes, logger }); // 8 new records, nobody reads them
    expect(await dqLag()).toMatchObject({ ok: false, observed: results.length });
  });
  it('oracul dq run: prints the results, writes the table, exits 2 when a check fails', async () => {
    const run = promisify(execFile);
    const outcome = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'scripts/cli/main.ts'),
        'dq',
        'run',
        '--check',
        'block_gaps',
        'duplicate_tx_hash',
        'block_tx_count',
        '--json',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ORACUL_CLICKHOUSE_DATABASE: database, ORACUL_RPC_URL: rpc.url, ORACUL_LOG_LEVEL: 'error' },
      },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(outcome.code).toBe(2);
    const printed = JSON.parse(outcome.stdout) as { check_name: string; status: string; observed: number }[];
    expect(printed.map((r) => [r.check_name, r.status, r.observed])).toEqual([
      ['block_gaps', 'fail', 1],
      ['duplicate_tx_hash', 'fail', 1],
      ['block_tx_count', 'pass', 0],
    ]);
    const rs = await client.query({
      query: `SELECT count() AS n FROM data_quality_checks WHERE check_name = 'block_tx_count'`,
      format: 'JSONEachRow',
    });
    expect(Number(((await rs.json()) as { n: string }[])[0]?.n)).toBeGreaterThanOrEqual(1);
  });
});
