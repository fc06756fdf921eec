import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { NonRetryableError } from '../../core/errors.ts';

/**
 * The dashboards bundle: YAML under infra/superset/dashboards/ in Superset's export format (metadata.yaml,
 * databases/, datasets/, charts/, dashboards/, linked by UUIDs), turned into the ZIP that
 * `superset import-dashboards` reads. Two things are filled in at bundle time, never committed:
 *  - the database connection (`{{host}}`, `{{port}}`, `{{database}}`, `{{readonly_user}}`,
 *    `{{readonly_password}}`, `{{query}}`) from config.clickhouse, always the READ-ONLY user;
 *  - each chart's `query_context` (what `GET /api/v1/chart/{id}/data/` runs), derived from its `params`
 *    when the YAML leaves it null, so the committed YAML states every query once.
 */

export const DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
const BUNDLE_ROOT = 'oracul_dashboards';

export interface BundleConnection {
  /** clickhouse.url, e.g. http://127.0.0.1:8123 */
  readonly url: string;
  readonly database: string;
  readonly readonlyUsername: string;
  readonly readonlyPassword: string;
}

export interface BundleFile {
  /** Path inside the bundle, e.g. `charts/anomalies_per_day.yaml`. */
  readonly path: string;
  readonly content: Record<string, unknown>;
}

export interface ChartSource {
  readonly uuid: string;
  readonly slice_name: string;
  readonly viz_type: string;
  readonly dataset_uuid: string;
  readonly params: Record<string, unknown>;
}

export interface DashboardSource {
  readonly uuid: string;
  readonly dashboard_title: string;
  readonly slug: string;
  readonly position: Record<string, { type?: string; meta?: { uuid?: string } }>;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** SQLAlchemy URL of the read-only connection (clickhouse-connect's `clickhousedb` dialect). */
export function clickhouseSqlalchemyUri(c: BundleConnection): string {
  const url = new URL(c.url);
  const secure = url.protocol === 'https:';
  const port = url.port || (secure ? '8443' : '8123');
  const user = encodeURIComponent(c.readonlyUsername);
  const password = encodeURIComponent(c.readonlyPassword);
  return `clickhousedb://${user}:${password}@${url.hostname}:${port}/${encodeURIComponent(c.database)}${secure ? '?secure=true' : ''}`;
}

function render(text: string, c: BundleConnection): string {
  const url = new URL(c.url);
  const secure = url.protocol === 'https:';
  const values: Record<string, string> = {
    host: url.hostname,
    port: url.port || (secure ? '8443' : '8123'),
    database: encodeURIComponent(c.database),
    readonly_user: encodeURIComponent(c.readonlyUsername),
    readonly_password: encodeURIComponent(c.readonlyPassword),
    query: secure ? '?secure=true' : '',
  };
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new NonRetryableError('ORACUL_SUPERSET_BUNDLE_INVALID', `unknown placeholder ${whole} in the dashboards bundle`);
    return value;
  });
}

interface AdhocFilter {
  expressionType: 'SIMPLE' | 'SQL';
  subject?: string;
  operator?: string;
  comparator?: unknown;
  sqlExpression?: string;
  clause?: string;
}

/** The query context Superset's frontend would build for the chart types the bundle uses. */
export function queryContextOf(chart: Pick<ChartSource, 'viz_type' | 'params' | 'slice_name'>): Record<string, unknown> {
  const p = chart.params as Record<string, unknown> & { adhoc_filters?: AdhocFilter[] };
  const filters: { col: string; op: string; val: unknown }[] = [];
  const where: string[] = [];
  for (const f of p.adhoc_filters ?? []) {
    if (f.expressionType === 'SIMPLE' && f.subject !== undefined && f.operator !== undefined)
      filters.push({ col: f.subject, op: f.operator, val: f.comparator });
    else if (f.expressionType === 'SQL' && f.sqlExpression !== undefined) where.push(`(${f.sqlExpression})`);
  }
  const strings = (key: string): string[] => (Array.isArray(p[key]) ? (p[key] as string[]) : []);
  const rowLimit = typeof p.row_limit === 'number' ? p.row_limit : 10_000;
  let query: Record<string, unknown>;
  switch (chart.viz_type) {
    case 'table':
      query =
        p.query_mode === 'raw'
          ? {
              columns: strings('all_columns'),
              metrics: [],
              orderby: strings('order_by_cols').map((o) => JSON.parse(o) as unknown),
              row_limit: rowLimit,
            }
          : {
              columns: strings('groupby'),
              metrics: strings('metrics'),
              orderby: [[(p.timeseries_limit_metric as string | undefined) ?? strings('metrics')[0], p.order_desc === false]],
              row_limit: rowLimit,
            };
      break;
    case 'big_number_total':
      query = { columns: [], metrics: [p.metric], row_limit: rowLimit };
      break;
    case 'echarts_timeseries_line':
    case 'echarts_timeseries_bar': {
      const axis = p.x_axis as string;
      const groupby = strings('groupby');
      query = {
        columns: [
          { timeGrain: p.time_grain_sqla, columnType: 'BASE_AXIS', sqlExpression: axis, label: axis, expressionType: 'SQL' },
          ...groupby,
        ],
        metrics: strings('metrics'),
        orderby: [[strings('metrics')[0], false]],
        series_columns: groupby,
        series_limit: typeof p.series_limit === 'number' ? p.series_limit : 0,
        ...(p.series_limit_metric === undefined ? {} : { series_limit_metric: p.series_limit_metric }),
        row_limit: rowLimit,
      };
      break;
    }
    default:
      throw new NonRetryableError(
        'ORACUL_SUPERSET_BUNDLE_INVALID',
        `chart "${chart.slice_name}": no query context for viz_type ${chart.viz_type}; write query_context in its YAML`,
      );
  }
  return {
    datasource: { id: 0, type: 'table' },
    force: false,
    queries: [
      {
        filters,
        extras: { having: '', where: where.join(' AND ') },
        applied_time_extras: {},
        time_range: p.time_range ?? 'No filter',
        annotation_layers: [],
        url_params: {},
        custom_params: {},
        custom_form_data: {},
        ...query,
      },
    ],
    form_data: p,
    result_format: 'json',
    result_type: 'full',
  };
}

/** Reads the committed YAML and renders the bundle's files (credentials and query contexts filled in). */
export async function renderBundle(connection: BundleConnection, sourceDir: string = DASHBOARDS_DIR): Promise<BundleFile[]> {
  const files: BundleFile[] = [];
  for (const file of await yamlFiles(sourceDir)) {
    const path = relative(sourceDir, file);
    const text = render(await readFile(file, 'utf8'), connection);
    const content = parse(text) as Record<string, unknown>;
    if (content === null || typeof content !== 'object')
      throw new NonRetryableError('ORACUL_SUPERSET_BUNDLE_INVALID', `${path} is not a YAML mapping`);
    if (path.startsWith('charts/') && (content.query_context === null || content.query_context === undefined)) {
      content.query_context = JSON.stringify(queryContextOf(content as unknown as ChartSource));
    }
    files.push({ path, content });
  }
  if (!files.some((f) => f.path === 'metadata.yaml'))
    throw new NonRetryableError('ORACUL_SUPERSET_BUNDLE_INVALID', `${sourceDir} has no metadata.yaml`);
  return files;
}

/** The charts and dashboards of the committed bundle (for tests and the screenshot command). */
export async function readBundleSources(
  sourceDir: string = DASHBOARDS_DIR,
): Promise<{ charts: ChartSource[]; dashboards: DashboardSource[] }> {
  const charts: ChartSource[] = [];
  const dashboards: DashboardSource[] = [];
  for (const file of await yamlFiles(sourceDir)) {
    const path = relative(sourceDir, file);
    const content = parse(await readFile(file, 'utf8')) as unknown;
    if (path.startsWith('charts/')) charts.push(content as ChartSource);
    if (path.startsWith('dashboards/')) dashboards.push(content as DashboardSource);
  }
  return { charts, dashboards };
}

/**
 * Writes the rendered bundle as a folder `<outDir>/oracul_dashboards/` (the ZIP's single top folder) and returns
 * its path; `zipBundle` (superset.ts) packs it with the venv's Python.
 */
export async function writeBundleFolder(files: readonly BundleFile[], outDir: string): Promise<string> {
  const root = join(outDir, BUNDLE_ROOT);
  await rm(root, { recursive: true, force: true });
  for (const f of files) {
    const target = join(root, f.path);
    await mkdir(dirname(target), { recursive: true });
    // Every string double-quoted: PyYAML must not turn an ISO timestamp or a "1.0.0" into another type.
    await writeFile(target, stringify(f.content, { lineWidth: 0, defaultKeyType: 'PLAIN', defaultStringType: 'QUOTE_DOUBLE' }), {
      mode: 0o600,
    });
  }
  return root;
}

/** Only the database and datasets, typed as a dataset export (for `superset import-datasources`). */
export function datasetsOnly(files: readonly BundleFile[]): BundleFile[] {
  return files
    .filter((f) => f.path.startsWith('databases/') || f.path.startsWith('datasets/') || f.path === 'metadata.yaml')
    .map((f) => (f.path === 'metadata.yaml' ? { path: f.path, content: { ...f.content, type: 'SqlaTable' } } : f));
}

/** Slug, title and chart count of every dashboard in the bundle (what the browser check expects to render). */
export async function dashboardsToCapture(
  sourceDir: string = DASHBOARDS_DIR,
): Promise<{ slug: string; title: string; chartCount: number }[]> {
  const { dashboards } = await readBundleSources(sourceDir);
  return dashboards.map((d) => ({
    slug: d.slug,
    title: d.dashboard_title,
    chartCount: Object.values(d.position).filter((node) => node.type === 'CHART').length,
  }));
}
