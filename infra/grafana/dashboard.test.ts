import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { metricsRegistry } from '../../core/metrics/index.ts';

/**
 * The Grafana dashboard and the Prometheus scrape config are plain files: this keeps them honest against the code.
 * Every metric a panel queries must be one the process registry really defines (a renamed metric breaks the
 * test, not a dashboard at 3 am), and the scrape targets must be the configured /metrics ports.
 */

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string }[];
}

/** Series names a family exposes: histograms add _bucket, _sum and _count. */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await metricsRegistry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram' || String(metric.type) === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    }
  }
  return names;
}

describe('infra/grafana/oracul.json', () => {
  const dashboard = JSON.parse(readFileSync(here('./oracul.json'), 'utf8')) as {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string; type: string }[] };
  };
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');

  it('is a dashboard with unique panel ids inside the 24-column grid', () => {
    expect(dashboard.uid).toBe('oracul-overview');
    expect(dashboard.templating.list.some((v) => v.type === 'datasource' && v.name === 'datasource')).toBe(true);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    expect(graphs.length).toBeGreaterThanOrEqual(15);
  });

  it('every panel query references only metrics the registry defines', async () => {
    const defined = await exposedNames();
    const used = new Set<string>();
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = target.expr.match(/\boracul_[a-z0-9_]+/g) ?? [];
        expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of names) {
          expect(defined.has(name), `${panel.title}: ${name} is not defined in core/metrics`).toBe(true);
          used.add(name);
        }
      }
    }
    // The list: each of these is on the dashboard.
    for (const family of [
      'oracul_source_lag_blocks',
      'oracul_source_lag_seconds',
      'oracul_stage_records_in_total',
      'oracul_consumer_lag_messages',
      'oracul_dead_letters_total',
      'oracul_rejects_total',
      'oracul_late_events_total',
      'oracul_clickhouse_insert_duration_seconds_bucket',
      'oracul_rpc_errors_total',
      'oracul_anomalies_total',
      'oracul_alert_deliveries_total',
      'oracul_state_restore_remaining_offsets',
    ]) {
      expect(used.has(family), family).toBe(true);
    }
  });
});

describe('infra/prometheus/prometheus.yml', () => {
  it('scrapes start, worker and gateway on their configured default /metrics ports', () => {
    const prometheus = parse(readFileSync(here('../prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const defaults = configSchema.parse({}).metrics;
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((s) => s.targets)]),
    );
    expect(targets).toEqual({
      'oracul-start': [`${defaults.host}:${defaults.port}`],
      'oracul-worker': [`${defaults.host}:${defaults.workerPort}`],
      'oracul-gateway': [`${defaults.host}:${defaults.gatewayPort}`],
    });
    for (const job of prometheus.scrape_configs) expect(job.metrics_path).toBe('/metrics');
  });
});
