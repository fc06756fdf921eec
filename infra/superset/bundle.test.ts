import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindDatabase, loadMigrations } from '../../dwh/load-migrations.ts';
import {
  clickhouseSqlalchemyUri,
  DASHBOARDS_DIR,
  dashboardsToCapture,
  queryContextOf,
  readBundleSources,
  renderBundle,
} from './bundle.ts';

/** The committed bundle is consistent with itself and with the BI views of dwh/migrations (real engine, chdb). */

interface DatasetYaml {
  table_name: string;
  uuid: string;
  schema: string;
  columns: { column_name: string; type: string; is_dttm: boolean }[];
  metrics: { metric_name: string; expression: string }[];
}

const datasetsDir = join(DASHBOARDS_DIR, 'datasets', 'oracul_warehouse');
const datasets: DatasetYaml[] = readdirSync(datasetsDir).map(
  (f) => parse(readFileSync(join(datasetsDir, f), 'utf8')) as DatasetYaml,
);
const connection = {
  url: 'http://127.0.0.1:8123',
  database: 'oracul',
  readonlyUsername: 'oracul_ro',
  readonlyPassword: 'p@ss/word',
};

const DB = 'oracul_bi_views_test';
let dir: string;
let session: Session;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oracul-bi-views-'));
  session = new Session(dir);
  session.query(`CREATE DATABASE ${DB}`, 'TabSeparated');
  for (const migration of loadMigrations())
    for (const statement of migration.statements) session.query(bindDatabase(statement, DB), 'TabSeparated');
});

afterAll(() => {
  session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboards bundle', () => {
  it('declares exactly the columns and types of the BI views', () => {
    for (const d of datasets) {
      const columns = session
        .query(
          `SELECT name, type FROM system.columns WHERE database = '${DB}' AND table = '${d.table_name}' ORDER BY position`,
          'JSONEachRow',
        )
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { name: string; type: string });
      expect(columns.length, d.table_name).toBeGreaterThan(0);
      expect(
        d.columns.map((c) => [c.column_name, c.type]),
        d.table_name,
      ).toEqual(columns.map((c) => [c.name, c.type]));
      for (const c of d.columns) expect(c.is_dttm, `${d.table_name}.${c.column_name}`).toBe(/^(Nullable\()?Date/.test(c.type));
      // Every metric runs on the view.
      for (const m of d.metrics)
        expect(() => session.query(`SELECT ${m.expression} FROM ${DB}.${d.table_name}`, 'TabSeparated')).not.toThrow();
    }
  });

  it('links every chart to a dataset, every metric and filter to a dataset field, every dashboard slot to a chart', async () => {
    const { charts, dashboards } = await readBundleSources();
    const byUuid = new Map(datasets.map((d) => [d.uuid, d]));
    for (const chart of charts) {
      const dataset = byUuid.get(chart.dataset_uuid);
      expect(dataset, chart.slice_name).toBeDefined();
      const metricNames = new Set(dataset?.metrics.map((m) => m.metric_name));
      const columnNames = new Set(dataset?.columns.map((c) => c.column_name));
      const p = chart.params as {
        metrics?: string[];
        metric?: string;
        groupby?: string[];
        all_columns?: string[];
        x_axis?: string;
      };
      for (const m of [...(p.metrics ?? []), ...(p.metric === undefined ? [] : [p.metric])])
        expect(metricNames, chart.slice_name).toContain(m);
      for (const c of [...(p.groupby ?? []), ...(p.all_columns ?? []), ...(p.x_axis === undefined ? [] : [p.x_axis])])
        expect(columnNames, chart.slice_name).toContain(c);
    }
    const chartUuids = new Set(charts.map((c) => c.uuid));
    const placed = dashboards.flatMap((d) =>
      Object.values(d.position).flatMap((n) => (n.type === 'CHART' ? [n.meta?.uuid] : [])),
    );
    expect(placed.every((u) => u !== undefined && chartUuids.has(u))).toBe(true);
    expect(new Set(placed).size).toBe(charts.length); // every chart is on exactly one dashboard
    expect((await dashboardsToCapture()).map((d) => [d.slug, d.chartCount])).toEqual([
      ['oracul-address', 4],
      ['oracul-overview', 7],
      ['oracul-token', 4],
    ]);
    // Native filters target a column that exists.
    for (const d of dashboards) {
      const filters = (
        d as unknown as {
          metadata: { native_filter_configuration: { targets: { datasetUuid: string; column: { name: string } }[] }[] };
        }
      ).metadata.native_filter_configuration;
      for (const t of filters.flatMap((f) => f.targets))
        expect(byUuid.get(t.datasetUuid)?.columns.map((c) => c.column_name)).toContain(t.column.name);
    }
  });

  it('gives every object its own UUID and no dataset the raw payloads of dead letters', async () => {
    const { charts, dashboards } = await readBundleSources();
    const uuids = [...datasets.map((d) => d.uuid), ...charts.map((c) => c.uuid), ...dashboards.map((d) => d.uuid)];
    expect(new Set(uuids).size).toBe(uuids.length);
    // docs/deployment.md "Dead letters and raw-data validation": BI users see counts and messages, not the bytes.
    for (const d of datasets) {
      expect(d.table_name).toMatch(/^v_/);
      for (const c of d.columns) expect(c.column_name, d.table_name).not.toMatch(/base64|original_|error_details/);
    }
    const deadLetters = datasets.find((d) => d.table_name === 'v_dead_letters');
    const onOverview = dashboards.find((d) => d.slug === 'oracul-overview')?.position ?? {};
    const placed = new Set(Object.values(onOverview).map((n) => n.meta?.uuid));
    expect(charts.filter((c) => c.dataset_uuid === deadLetters?.uuid && placed.has(c.uuid)).map((c) => c.viz_type)).toEqual([
      'table',
    ]);
  });

  it('renders the read-only connection and a query context per chart, with nothing left to fill in', async () => {
    const files = await renderBundle(connection);
    const text = JSON.stringify(files);
    expect(text).not.toContain('{{');
    const database = files.find((f) => f.path.startsWith('databases/'))?.content;
    expect(database?.sqlalchemy_uri).toBe('clickhousedb://oracul_ro:p%40ss%2Fword@127.0.0.1:8123/oracul');
    expect(database?.allow_dml).toBe(false);
    for (const f of files.filter((f) => f.path.startsWith('datasets/'))) expect(f.content.schema).toBe('oracul');
    for (const f of files.filter((f) => f.path.startsWith('charts/'))) {
      const qc = JSON.parse(f.content.query_context as string) as { queries: { metrics: unknown[]; columns: unknown[] }[] };
      expect(qc.queries).toHaveLength(1);
      expect(qc.queries[0]!.metrics.length + qc.queries[0]!.columns.length, f.path).toBeGreaterThan(0);
    }
  });

  it('derives query contexts like the frontend: filters, SQL conditions, the time axis', () => {
    const qc = queryContextOf({
      slice_name: 'x',
      viz_type: 'echarts_timeseries_bar',
      params: {
        x_axis: 'day',
        time_grain_sqla: 'P1D',
        metrics: ['anomalies'],
        groupby: ['severity'],
        adhoc_filters: [
          { expressionType: 'SIMPLE', subject: 'entity_type', operator: '==', comparator: 'token', clause: 'WHERE' },
          { expressionType: 'SQL', sqlExpression: 'days_ago < 7', clause: 'WHERE' },
        ],
      },
    }) as { queries: Record<string, unknown>[] };
    expect(qc.queries[0]).toMatchObject({
      filters: [{ col: 'entity_type', op: '==', val: 'token' }],
      extras: { where: '(days_ago < 7)' },
      metrics: ['anomalies'],
      columns: [{ columnType: 'BASE_AXIS', sqlExpression: 'day', timeGrain: 'P1D' }, 'severity'],
    });
    expect(() => queryContextOf({ slice_name: 'y', viz_type: 'sankey', params: {} })).toThrow(/no query context/);
    expect(clickhouseSqlalchemyUri({ ...connection, url: 'https://ch.example' })).toBe(
      'clickhousedb://oracul_ro:p%40ss%2Fword@ch.example:8443/oracul?secure=true',
    );
  });
});
