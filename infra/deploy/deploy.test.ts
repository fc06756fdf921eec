import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../config/index.ts';
import { generatedConfigMaps, oraculRules, runDeployLint, type LintResult } from '../../scripts/deploy-lint.ts';

/**
 * The deployment files pass their validators (hadolint, yamllint, compose-spec schema, kubeconform and
 * kubernetes-validate against the Kubernetes schemas, XML parse, Oracul's rules), and each validator really
 * rejects a broken copy. The validators are installed by infra/deploy/lint/install.sh (idempotent, cached).
 */
const DEPLOY_DIR = join(REPO_ROOT, 'infra/deploy');
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

function byCheck(results: LintResult[]): Record<string, LintResult> {
  return Object.fromEntries(results.map((r) => [r.check, r]));
}

describe('infra/deploy', () => {
  it('passes every validator', { timeout: 600_000 }, async () => {
    const results = await runDeployLint();
    const failed = results.filter((r) => !r.ok);
    expect(failed, failed.map((r) => `${r.check}:\n${r.output}`).join('\n\n')).toEqual([]);
    expect(results.map((r) => r.check)).toEqual(
      expect.arrayContaining([
        'hadolint',
        'yamllint',
        'compose-spec schema',
        'kubernetes-validate',
        'xml well-formed',
        'oracul rules',
      ]),
    );
    const kubeconform = results.find((r) => r.check === 'kubeconform');
    // kubeconform is installed with Go (go install); where Go is present it must have run and counted every resource.
    if (kubeconform) expect(kubeconform.output).toMatch(/Valid: \d+, Invalid: 0, Errors: 0/);
  });

  it('rejects broken files, each with the validator that owns the rule', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-deploy-broken-'));
    scratch.push(dir);
    cpSync(DEPLOY_DIR, dir, { recursive: true });
    const edit = (file: string, from: string | RegExp, to: string) => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const next = text.replace(from, to);
      expect(next, `${file}: ${String(from)}`).not.toBe(text);
      writeFileSync(path, next);
    };
    edit('Dockerfile', /^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node');
    edit('Dockerfile', /^FROM \$\{NODE_IMAGE\} AS runtime$/m, 'FROM node:latest AS runtime');
    edit('k8s/workers.yaml', 'replicas: 2\n', 'replicas: 2\n  replicaCount: 2\n');
    edit(
      'k8s/gateway.yaml',
      'spec:\n  selector: { app.kubernetes.io/name: oracul-gateway }\n',
      'spec:\n  type: LoadBalancer\n  selector: { app.kubernetes.io/name: oracul-gateway }\n',
    );
    edit('k8s/oracul-env.yaml', 'ORACUL_KAFKA_BROKERS:', 'ORACUL_KAFKA_BROKER_LIST:');
    edit('k8s/workers.yaml', "'--sinks',", "'--sinks', '--no-such-option',");
    edit(
      'compose.yaml',
      'volumes: [kafka-1:/var/lib/kafka/data]',
      'volumes: [kafka-1:/var/lib/kafka/data]\n    ports: [9092:9092]\n    restart_policy: always',
    );
    edit('clickhouse/keeper/keeper.xml', '</keeper_server>', '</keeper-server>');
    edit('k8s/namespace.yaml', 'name: oracul\n', 'name: oracul   \n');
    edit('k8s/ingest.yaml', '      enableServiceLinks: false\n', '');
    edit('oracul.env.example', 'ORACUL_CLICKHOUSE_PASSWORD=change-me-writer', 'ORACUL_CLICKHOUSE_PASSWORD=oracul');
    edit('k8s/oracul-env.yaml', "ORACUL_STACK_WAREHOUSE_ENABLED: 'false'", "ORACUL_STACK_WAREHOUSE_ENABLED: 'true'");
    edit(
      'k8s/oracul-env.yaml',
      'ORACUL_CLICKHOUSE_DATABASE: oracul',
      'ORACUL_CLICKHOUSE_DATABASE: oracul\n  ORACUL_STACK_HOST: 0.0.0.0',
    );

    const results = byCheck(await runDeployLint({ deployDir: dir, install: false }));
    expect(results.hadolint!.ok).toBe(false);
    expect(results.hadolint!.output).toContain('DL3007'); // FROM ...:latest
    expect(results.yamllint!.ok).toBe(false);
    expect(results.yamllint!.output).toContain('trailing spaces');
    expect(results['compose-spec schema']!.ok).toBe(false);
    expect(results['compose-spec schema']!.output).toContain('restart_policy');
    expect(results['kubernetes-validate']!.ok).toBe(false);
    expect(results['kubernetes-validate']!.output).toContain('replicaCount');
    if (results.kubeconform) {
      expect(results.kubeconform.ok).toBe(false);
      expect(results.kubeconform.output).toContain('replicaCount');
    }
    expect(results['xml well-formed']!.ok).toBe(false);
    const rules = results['oracul rules']!;
    expect(rules.ok).toBe(false);
    expect(rules.output).toContain('ORACUL_KAFKA_BROKER_LIST is not a config key');
    expect(rules.output).toContain('worker has no option --no-such-option');
    expect(rules.output).toContain('compose kafka-1: publishes ports');
    expect(rules.output).toContain('Service oracul-gateway: type LoadBalancer');
    expect(rules.output).toContain('k8s/ingest.yaml oracul-ingest: Oracul pods set enableServiceLinks: false');
  });

  it('refuses a production environment with weak settings, listing each one', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-deploy-weak-'));
    scratch.push(dir);
    cpSync(DEPLOY_DIR, dir, { recursive: true });
    const edit = (file: string, from: string, to: string) => {
      const path = join(dir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
    };
    edit('oracul.env.example', 'ORACUL_CLICKHOUSE_PASSWORD=change-me-writer', 'ORACUL_CLICKHOUSE_PASSWORD=oracul');
    edit('k8s/oracul-env.yaml', "ORACUL_STACK_WAREHOUSE_ENABLED: 'false'", "ORACUL_STACK_WAREHOUSE_ENABLED: 'true'");
    edit('k8s/oracul-env.yaml', 'ORACUL_METRICS_HOST: 0.0.0.0', 'ORACUL_METRICS_HOST: 0.0.0.0\n  ORACUL_STACK_HOST: 0.0.0.0');
    const k8s = readdirSync(join(dir, 'k8s')).map((f) => join(dir, 'k8s', f));
    const rules = await oraculRules(dir, join(dir, 'compose.yaml'), k8s);
    expect(rules.ok).toBe(false);
    expect(rules.output.split('\n').slice(0, 2)).toEqual([
      'oracul-env: config does not validate: invalid config at clickhouse.password: production refuses the default password; got "oracul"',
      'invalid config at stack.host: production binds the local stack (warehouse) to loopback only; got "0.0.0.0"',
    ]);
  });

  it('generates the config ConfigMaps from config/*.yml and the ClickHouse files', () => {
    const maps = generatedConfigMaps(DEPLOY_DIR);
    const names = maps.map((m) => (m.metadata as { name: string }).name);
    expect(names).toEqual(['oracul-config', 'clickhouse-config', 'clickhouse-keeper-config']);
    const oraculConfig = maps[0]!.data as Record<string, string>;
    expect(oraculConfig['kafka.yml']).toBe(readFileSync(join(REPO_ROOT, 'config/kafka.yml'), 'utf8'));
    const clickhouse = maps[1]!.data as Record<string, string>;
    expect(Object.keys(clickhouse).sort()).toEqual(['oracul-cluster.xml', 'oracul-users.xml']);
    expect(clickhouse['oracul-users.xml']).toContain('<readonly>2</readonly>');
  });

  it('kafka.replicationFactor (production: 3) overrides every topic; unset keeps config/kafka.yml', () => {
    const local = loadConfig({ env: {} });
    const production = loadConfig({ env: { ORACUL_KAFKA_REPLICATION_FACTOR: '3', ORACUL_CLICKHOUSE_CLUSTER: 'oracul' } });
    expect(local.kafka.topics.length).toBeGreaterThan(10);
    expect(production.kafka.topics.map((t) => t.name)).toEqual(local.kafka.topics.map((t) => t.name));
    expect(production.kafka.topics.every((t) => t.replicationFactor === 3)).toBe(true);
    expect(production.kafka.topics.map((t) => t.partitions)).toEqual(local.kafka.topics.map((t) => t.partitions));
    expect([local.clickhouse.cluster, production.clickhouse.cluster]).toEqual(['', 'oracul']);
  });
});
