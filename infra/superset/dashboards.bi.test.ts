import type { ClickHouseClient } from '@clickhouse/client';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../config/index.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { startWarehouseServer, usersFromConfig, type WarehouseServer } from '../warehouse/index.ts';
import { captureDashboards } from './browser.ts';
import { dashboardsToCapture, readBundleSources, type ChartSource } from './bundle.ts';
import { DEMO_DEAD_LETTER_PAYLOAD, generateDemoDataset } from '../../scripts/test/bi-dataset.ts';
import { seedWarehouse } from '../../scripts/test/bi-seed.ts';
import {
  adminPassword,
  SUPERSET_ADMIN,
  supersetDown,
  supersetImport,
  supersetOptions,
  supersetUp,
  supersetUrl,
  type SupersetOptions,
} from './superset.ts';

/**
 * Superset end to end: the real warehouse endpoint (embedded ClickHouse engine) seeded with a generated
 * multi-day dataset that went through the real aggregators, Superset installed and started by the project's
 * own code, the committed bundle imported twice, every chart queried through Superset's REST API, every
 * dashboard rendered in headless Chromium (PNGs land in docs/img/), and the Overview's anomaly and dead-letter
 * counts compared with direct queries of the `anomalies` and `dead_letters` tables.
 */

const offset = Number.parseInt(process.env.ORACUL_TEST_PORT_OFFSET ?? '0', 10) || 0;
const logger = createLogger({ level: 'warn', pretty: false });

let dataDir: string;
let server: WarehouseServer;
let writer: ClickHouseClient;
let readonly: ClickHouseClient;
let superset: SupersetOptions;
let token: string;
const chartIds = new Map<string, number>();

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${supersetUrl(superset)}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

interface ChartData {
  result?: { rowcount: number; error: string | null; data: Record<string, unknown>[] }[];
  message?: string;
}

async function chartData(sliceName: string): Promise<Record<string, unknown>[]> {
  const id = chartIds.get(sliceName);
  if (id === undefined) throw new Error(`chart "${sliceName}" is not in Superset`);
  const { status, body } = await api<ChartData>(`/api/v1/chart/${id}/data/`);
  expect(status, `${sliceName}: ${JSON.stringify(body).slice(0, 500)}`).toBe(200);
  const results = body.result ?? [];
  expect(results.length, sliceName).toBeGreaterThan(0);
  for (const r of results) expect(r.error, sliceName).toBeNull();
  return results.flatMap((r) => r.data);
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

beforeAll(async () => {
  const base = loadConfig();
  dataDir = await mkdtemp(join(tmpdir(), 'oracul-bi-warehouse-'));
  server = await startWarehouseServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    users: usersFromConfig(base.clickhouse),
    database: base.clickhouse.database,
    logger,
  });
  const config = loadConfig({ overrides: { clickhouse: { url: server.url } } });
  const admin = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: admin, database: config.clickhouse.database, logger });
  await admin.close();
  writer = createWarehouseClient({ config });
  readonly = createWarehouseClient({ config, role: 'readonly' });
  await seedWarehouse(writer, generateDemoDataset());

  superset = supersetOptions(config, logger, {
    port: 18088 + offset,
    stateDir: join(REPO_ROOT, '.infra', 'superset', `test-state-${offset}`),
  });
  await supersetDown(superset);
  await rm(superset.stateDir, { recursive: true, force: true });
  await supersetUp(superset);
  const login = await fetch(`${supersetUrl(superset)}/api/v1/security/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: SUPERSET_ADMIN, password: await adminPassword(superset), provider: 'db', refresh: false }),
  });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  if (superset !== undefined) await supersetDown(superset);
  await writer?.close();
  await readonly?.close();
  await server?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('Superset dashboards on the warehouse', () => {
  let charts: ChartSource[];

  it('imports the bundle idempotently: twice, without duplicates', async () => {
    ({ charts } = await readBundleSources());
    const dashboards = await dashboardsToCapture();
    await supersetImport(superset);
    await supersetImport(superset);

    const listed = await api<{ count: number; result: { id: number; slice_name: string }[] }>('/api/v1/chart/?q=(page_size:100)');
    expect(listed.status).toBe(200);
    expect(listed.body.result.map((c) => c.slice_name).sort()).toEqual(charts.map((c) => c.slice_name).sort());
    for (const c of listed.body.result) chartIds.set(c.slice_name, c.id);

    const boards = await api<{ result: { slug: string }[] }>('/api/v1/dashboard/?q=(page_size:100)');
    expect(boards.body.result.map((d) => d.slug).sort()).toEqual(dashboards.map((d) => d.slug).sort());
    const datasets = await api<{ count: number }>('/api/v1/dataset/?q=(page_size:100)');
    expect(datasets.body.count).toBe(6);
    const databases = await api<{ result: { database_name: string; backend: string }[] }>('/api/v1/database/');
    expect(databases.body.result).toEqual([
      expect.objectContaining({ database_name: 'Oracul warehouse', backend: 'clickhousedb' }),
    ]);
  });

  it('answers every chart data request through the REST API with rows and no error', async () => {
    expect(chartIds.size).toBe(charts.length);
    for (const chart of charts) {
      const data = await chartData(chart.slice_name);
      expect(data.length, chart.slice_name).toBeGreaterThan(0);
    }
  });

  it('shows on the Overview the anomaly counts of a direct query of the anomalies table', async () => {
    const bySeverity = await chartData('Anomalies in the last 7 days by severity');
    const direct = await rows<{ severity: string; n: string }>(
      writer,
      `SELECT severity, count() AS n FROM anomalies FINAL
       WHERE status != 'withdrawn' AND day > toDate(now(), 'UTC') - 7 GROUP BY severity`,
    );
    expect(direct.length).toBeGreaterThan(0);
    expect(Object.fromEntries(bySeverity.map((r) => [r.severity, Number(r.anomalies)]))).toEqual(
      Object.fromEntries(direct.map((r) => [r.severity, Number(r.n)])),
    );
    // The table holds superseded versions: without latest-version semantics the counts would differ.
    const naive = await rows<{ n: string }>(writer, `SELECT count() AS n FROM anomalies WHERE day > toDate(now(), 'UTC') - 7`);
    expect(Number(naive[0]?.n)).toBeGreaterThan(direct.reduce((a, r) => a + Number(r.n), 0));

    for (const [entity, slice] of [
      ['token', 'Tokens with anomalies yesterday'],
      ['address', 'Addresses with anomalies yesterday'],
    ] as const) {
      const shown = await chartData(slice);
      const expected = await rows<{ n: string }>(
        writer,
        `SELECT count(DISTINCT entity_id) AS n FROM anomalies FINAL
         WHERE status != 'withdrawn' AND entity_type = '${entity}' AND day = toDate(now(), 'UTC') - 1`,
      );
      expect(Number(shown[0]?.entities), slice).toBe(Number(expected[0]?.n));
      expect(Number(expected[0]?.n), slice).toBeGreaterThan(0);
    }

    const perDay = await chartData('Anomalies per day');
    const directPerDay = await rows<{ n: string }>(
      writer,
      `SELECT count() AS n FROM anomalies FINAL WHERE status != 'withdrawn'`,
    );
    expect(perDay.reduce((a, r) => a + Number(r.anomalies), 0)).toBe(Number(directPerDay[0]?.n));
  });

  it('shows on the Overview the dead letters of the last 7 days of a direct query, once each, without their bytes', async () => {
    const shown = await chartData('Dead letters in the last 7 days by topic, stage and error code');
    const direct = await rows<{ source_topic: string; stage: string; error_code: string; n: string; message: string }>(
      writer,
      `SELECT source_topic, stage, error_code, count() AS n, argMax(error_message, failed_at) AS message
       FROM dead_letters FINAL WHERE toDate(failed_at, 'UTC') > toDate(now(), 'UTC') - 7
       GROUP BY source_topic, stage, error_code`,
    );
    expect(direct.length).toBeGreaterThanOrEqual(3);
    const keyOf = (r: Record<string, unknown>): string => `${String(r.source_topic)} ${String(r.stage)} ${String(r.error_code)}`;
    const shownCounts = new Map<string, number>();
    for (const r of shown) shownCounts.set(keyOf(r), (shownCounts.get(keyOf(r)) ?? 0) + Number(r.dead_letter_count));
    expect(Object.fromEntries(shownCounts)).toEqual(Object.fromEntries(direct.map((r) => [keyOf(r), Number(r.n)])));
    // The latest failure's message of each group is on the chart.
    for (const r of direct)
      expect(
        shown.filter((s) => keyOf(s) === keyOf(r)).map((s) => s.example_error_message),
        keyOf(r),
      ).toContain(r.message);
    // A replayed record and a retried one count once (the counts above are FINAL's); the one older than 7 days is left out.
    const all = await rows<{ n: string }>(writer, `SELECT count() AS n FROM dead_letters FINAL`);
    expect(Number(all[0]?.n)).toBe(direct.reduce((a, r) => a + Number(r.n), 0) + 1);
    // Never the original key, value or header bytes (docs/deployment.md, dead letters).
    const text = JSON.stringify(shown);
    expect(text).not.toContain(DEMO_DEAD_LETTER_PAYLOAD);
    expect(text).not.toContain(Buffer.from(DEMO_DEAD_LETTER_PAYLOAD).toString('base64').slice(0, 40));
  });

  it('connects through the read-only user, which cannot write', async () => {
    const connection = await api<{ result: { sqlalchemy_uri: string } }>(`/api/v1/database/1/connection`);
    expect(connection.status).toBe(200);
    expect(connection.body.result.sqlalchemy_uri).toMatch(/^clickhousedb:\/\/oracul_ro:/);
    await expect(readonly.command({ query: "INSERT INTO anomalies (anomaly_id) VALUES ('x')" })).rejects.toThrow(
      /READONLY|readonly/i,
    );
  });

  it('renders every dashboard in headless Chromium without a chart error and saves a screenshot', async () => {
    const dashboards = await dashboardsToCapture();
    const outDir = join(REPO_ROOT, 'docs', 'img');
    const results = await captureDashboards({
      baseUrl: supersetUrl(superset),
      username: SUPERSET_ADMIN,
      password: await adminPassword(superset),
      dashboards,
      outDir,
    });
    expect(results.map((r) => r.slug)).toEqual(dashboards.map((d) => d.slug));
    for (const [i, r] of results.entries()) {
      expect(r.renderedCharts).toBe(dashboards[i]?.chartCount);
      expect(r.dataRequests).toBeGreaterThanOrEqual(dashboards[i]?.chartCount ?? 0);
      expect((await stat(r.file)).size).toBeGreaterThan(20_000);
    }
  });
});
