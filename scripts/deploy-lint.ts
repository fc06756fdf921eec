/**
 * Validates the deployment files in infra/deploy with the tools' own validators, offline:
 *   hadolint (Dockerfiles), yamllint (every YAML file), the compose-spec JSON schema (check-jsonschema's
 *   vendored copy) for compose.yaml, kubeconform (strict, Kubernetes schemas shipped by kubernetes-validate) and
 *   kubernetes-validate for k8s/*.yaml plus the ConfigMaps that kustomization.yaml and the deploy steps generate,
 *   an XML parse of the ClickHouse config files, and Oracul's own rules (every ORACUL_* variable is a config key,
 *   the production environment passes config validation, every CLI command and option exists, only the gateway
 *   and Superset are exposed, every workload has requests, probes and a non-root user).
 * The validators are installed by infra/deploy/lint/install.sh (from scripts/install-system-deps.sh; run here
 * too, idempotent) into .infra/deploy-lint.
 *
 *   npm run lint:deploy            # or: npx tsx scripts/deploy-lint.ts [--deploy-dir <dir>]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { envLeaves, loadConfig, NON_CONFIG_ENV_VARIABLES, REPO_ROOT } from '../config/index.ts';

export const KUBERNETES_VERSION = process.env.ORACUL_DEPLOY_K8S_VERSION ?? '1.34.0';

export interface LintResult {
  check: string;
  ok: boolean;
  /** What the tool printed (or the rule violations), trimmed. */
  output: string;
}

export interface DeployLintOptions {
  /** Folder with Dockerfile, compose.yaml, kustomization.yaml, k8s/, clickhouse/ (default infra/deploy). */
  deployDir?: string;
  /** Where install.sh put the validators (default .infra/deploy-lint). */
  toolsDir?: string;
  /** Run install.sh first (idempotent; default true). */
  install?: boolean;
}

/**
 * Variables that are not config keys: the config's own list (config/env.ts), which the config accepts in a
 * process's environment too; compose interpolation variables are on it.
 */
const NON_CONFIG_VARIABLES = new Set(Object.keys(NON_CONFIG_ENV_VARIABLES));
/** oracul.env.example holds placeholders the production profile refuses on purpose; the lint substitutes them. */
const PLACEHOLDER = /^change-me/i;
/** Compose services and Kubernetes objects allowed to be reachable from outside. */
const EXPOSED_COMPOSE_SERVICES = new Set(['gateway', 'superset']);
const INGRESS_BACKENDS = new Set(['oracul-gateway']);

type Doc = Record<string, unknown>;

export async function runDeployLint(options: DeployLintOptions = {}): Promise<LintResult[]> {
  const deployDir = resolve(options.deployDir ?? join(REPO_ROOT, 'infra/deploy'));
  const toolsDir = resolve(options.toolsDir ?? join(REPO_ROOT, '.infra/deploy-lint'));
  if (options.install !== false) {
    const install = await run('bash', [join(REPO_ROOT, 'infra/deploy/lint/install.sh'), toolsDir]);
    if (!install.ok) return [{ check: 'install validators', ...install }];
  }
  const bin = (name: string) => join(toolsDir, 'venv/bin', name);
  const files = walk(deployDir);
  const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f));
  const k8sFiles = yamlFiles.filter((f) => relative(deployDir, f).startsWith('k8s/'));
  const composeFile = join(deployDir, 'compose.yaml');
  const dockerfiles = files.filter((f) => basename(f) === 'Dockerfile');
  const xml = files.filter((f) => f.endsWith('.xml'));

  // The ConfigMaps created outside the manifests, validated like them.
  const generatedDir = mkdtempSync(join(tmpdir(), 'oracul-deploy-lint-'));
  const generated = join(generatedDir, 'generated.yaml');
  writeFileSync(
    generated,
    generatedConfigMaps(deployDir)
      .map((d) => `---\n${stringify(d)}`)
      .join(''),
  );
  const manifests = [...k8sFiles, generated];
  const kubeconform = join(toolsDir, 'bin/kubeconform');
  const location = `${join(toolsDir, 'schemas', `v${KUBERNETES_VERSION}-standalone-strict`)}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;

  type Check = [string, Promise<{ ok: boolean; output: string }>];
  const checks: Check[] = [
    ['hadolint', run(bin('hadolint'), ['-c', join(REPO_ROOT, 'infra/deploy/lint/hadolint.yaml'), '--no-color', ...dockerfiles])],
    ['yamllint', run(bin('yamllint'), ['-s', '-c', join(REPO_ROOT, 'infra/deploy/lint/yamllint.yaml'), ...yamlFiles])],
    ['compose-spec schema', run(bin('check-jsonschema'), ['--builtin-schema', 'vendor.compose-spec', composeFile])],
    ...(existsSync(kubeconform)
      ? [['kubeconform', run(kubeconform, ['-strict', '-summary', '-schema-location', location, ...manifests])] as Check]
      : []),
    ['kubernetes-validate', run(bin('kubernetes-validate'), ['--strict', '--quiet', '-k', KUBERNETES_VERSION, ...manifests])],
    [
      'xml well-formed',
      run(bin('python'), ['-c', 'import sys, xml.dom.minidom as m\nfor f in sys.argv[1:]: m.parse(f)', ...xml]),
    ],
    ['oracul rules', oraculRules(deployDir, composeFile, k8sFiles)],
  ];
  try {
    const results: LintResult[] = [];
    for (const [check, result] of checks) results.push({ check, ...(await result) });
    return results;
  } finally {
    rmSync(generatedDir, { recursive: true, force: true });
  }
}

/** Runs a tool without blocking the event loop; ok when it exits 0. */
function run(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const spawnError = error && typeof error.code === 'string' ? `${error.message}\n` : '';
      done({ ok: error === null, output: `${spawnError}${stdout}${stderr}`.trim() });
    });
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

function readDocs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** oracul-config (from config/*.yml, as `kubectl create configmap --from-file=config/`) and kustomize's generators. */
export function generatedConfigMaps(deployDir: string): Doc[] {
  const configDir = join(REPO_ROOT, 'config');
  const oraculConfig = Object.fromEntries(
    readdirSync(configDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => [f, readFileSync(join(configDir, f), 'utf8')]),
  );
  const maps: Doc[] = [configMap('oracul-config', oraculConfig)];
  const kustomization = parseYaml(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')) as {
    configMapGenerator?: { name: string; files: string[] }[];
  };
  for (const generator of kustomization.configMapGenerator ?? []) {
    const data = Object.fromEntries(
      generator.files.map((spec) => {
        const [key, path] = spec.includes('=') ? spec.split('=', 2) : [basename(spec), spec];
        return [key!, readFileSync(join(deployDir, path!), 'utf8')];
      }),
    );
    maps.push(configMap(generator.name, data));
  }
  return maps;
}

function configMap(name: string, data: Record<string, string>): Doc {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'oracul' }, data };
}

interface Container {
  name?: string;
  image?: string;
  args?: string[];
  command?: string[];
  resources?: { requests?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  ports?: { hostPort?: number }[];
  envFrom?: { configMapRef?: { name: string } }[];
}

interface PodSpec {
  containers?: Container[];
  hostNetwork?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: { runAsNonRoot?: boolean };
}

function podSpecOf(doc: Doc): PodSpec | undefined {
  const spec = doc.spec as { template?: { spec?: PodSpec }; jobTemplate?: unknown } | undefined;
  return spec?.template?.spec;
}

/** Oracul's own rules over the deployment files; violations listed one per line. */
export async function oraculRules(
  deployDir: string,
  composeFile: string,
  k8sFiles: string[],
): Promise<{ ok: boolean; output: string }> {
  const problems: string[] = [];
  const configKeys = new Set(envLeaves().map((l) => l.envName));

  // 1. Every ORACUL_* variable named anywhere is a config key (or one of the few documented others).
  const texts = walk(deployDir).filter((f) => /(\.ya?ml|Dockerfile|\.example|\.mjs)$/.test(f));
  for (const file of texts) {
    for (const [name] of readFileSync(file, 'utf8').matchAll(/\bORACUL_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (!configKeys.has(name) && !NON_CONFIG_VARIABLES.has(name)) {
        problems.push(`${relative(REPO_ROOT, file)}: ${name} is not a config key (config/schema.ts)`);
      }
    }
  }

  // 2. The production environment (ConfigMap oracul-env + the secret template) passes config validation.
  const k8sDocs = k8sFiles.flatMap((f) => readDocs(f).map((doc) => ({ file: relative(REPO_ROOT, f), doc })));
  const envMap = k8sDocs.find(({ doc }) => doc.kind === 'ConfigMap' && (doc.metadata as Doc).name === 'oracul-env');
  const secretsTemplate = join(deployDir, 'oracul.env.example');
  if (!envMap) problems.push('k8s: ConfigMap oracul-env missing');
  else {
    const env: Record<string, string> = { ...(envMap.doc.data as Record<string, string>) };
    if (existsSync(secretsTemplate)) {
      for (const line of readFileSync(secretsTemplate, 'utf8').split('\n')) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        if (m && m[2] !== '') env[m[1]!] = PLACEHOLDER.test(m[2]!) ? `lint-secret-${m[1]!.toLowerCase()}` : m[2]!;
      }
    }
    try {
      const config = loadConfig({ env, dir: join(REPO_ROOT, 'config') });
      if (config.env !== 'production') problems.push('oracul-env: env is not production');
      if (config.clickhouse.cluster === '') problems.push('oracul-env: ORACUL_CLICKHOUSE_CLUSTER is empty');
      const singleReplica = config.kafka.topics.filter((t) => t.replicationFactor < 3).map((t) => t.name);
      if (singleReplica.length > 0) problems.push(`oracul-env: topics with replication < 3: ${singleReplica.join(', ')}`);
      const users = readFileSync(join(deployDir, 'clickhouse/users.d/oracul-users.xml'), 'utf8');
      for (const user of [config.clickhouse.username, config.clickhouse.readonlyUsername]) {
        if (!users.includes(`<${user}>`)) problems.push(`clickhouse users.d: no user ${user}`);
      }
      if (!users.includes(`GRANT SELECT ON ${config.clickhouse.database}.*`)) {
        problems.push(`clickhouse users.d: read-only user has no SELECT grant on ${config.clickhouse.database}`);
      }
    } catch (error) {
      problems.push(`oracul-env: config does not validate: ${(error as Error).message}`);
    }
  }

  // 3. Oracul commands and options used by the manifests exist in the CLI.
  const compose = parseYaml(readFileSync(composeFile, 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; ports?: unknown[] }>;
  };
  const invocations: { where: string; args: string[] }[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image?.includes('oracul:') && service.command)
      invocations.push({ where: `compose ${name}`, args: service.command });
  }
  for (const { file, doc } of k8sDocs) {
    for (const c of podSpecOf(doc)?.containers ?? []) {
      if (c.image === 'oracul' && c.args) invocations.push({ where: `${file} ${c.name}`, args: c.args });
    }
  }
  const commands = [...new Set(invocations.map((i) => i.args[0]!))];
  const helps = await Promise.all(commands.map((c) => run('node', ['scripts/oracul.mjs', c, '--help'])));
  const helpOf = new Map(commands.map((c, i) => [c, helps[i]!.output]));
  for (const { where, args } of invocations) {
    const command = args[0]!;
    const help = helpOf.get(command)!;
    if (!help.startsWith(`Usage: oracul ${command}`)) problems.push(`${where}: unknown command ${command}`);
    for (const option of args.filter((a) => a.startsWith('--'))) {
      if (!new RegExp(`(^|\\s)${option}(\\s|,|$)`, 'm').test(help)) problems.push(`${where}: ${command} has no option ${option}`);
    }
  }
  if (invocations.length === 0) problems.push('no oracul invocations found');

  // 4. Exposure: only the gateway (and Superset) publish ports or sit behind an Ingress.
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.ports && !EXPOSED_COMPOSE_SERVICES.has(name)) problems.push(`compose ${name}: publishes ports`);
  }
  for (const { file, doc } of k8sDocs) {
    const name = (doc.metadata as Doc).name as string;
    const spec = (doc.spec ?? {}) as Doc;
    if (doc.kind === 'Service' && spec.type !== undefined && spec.type !== 'ClusterIP') {
      problems.push(`${file} Service ${name}: type ${String(spec.type)} exposes it outside the cluster`);
    }
    if (doc.kind === 'Service' && spec.externalIPs) problems.push(`${file} Service ${name}: externalIPs`);
    if (doc.kind === 'Ingress') {
      const backends = JSON.stringify(spec).matchAll(/"service":\{"name":"([^"]+)"/g);
      for (const [, backend] of backends) {
        if (!INGRESS_BACKENDS.has(backend!)) problems.push(`${file} Ingress ${name}: backend ${backend} is not the gateway`);
      }
    }
    const pod = podSpecOf(doc);
    if (!pod) continue;
    if (pod.hostNetwork) problems.push(`${file} ${name}: hostNetwork`);
    // 5. Every workload: requests, probes (long-running), no host ports, non-root for Oracul pods.
    for (const c of pod.containers ?? []) {
      if (!c.resources?.requests) problems.push(`${file} ${name}/${c.name}: no resource requests`);
      if (doc.kind !== 'Job' && (!c.livenessProbe || !c.readinessProbe))
        problems.push(`${file} ${name}/${c.name}: missing probes`);
      if (c.ports?.some((p) => p.hostPort !== undefined)) problems.push(`${file} ${name}/${c.name}: hostPort`);
      if (c.image === 'oracul' && pod.securityContext?.runAsNonRoot !== true) {
        problems.push(`${file} ${name}: Oracul pods run as non-root`);
      }
      // Service links would put ORACUL_<SERVICE>_PORT=tcp://… into the environment, which the config refuses.
      if (c.image === 'oracul' && pod.enableServiceLinks !== false) {
        problems.push(`${file} ${name}: Oracul pods set enableServiceLinks: false`);
      }
    }
  }
  const policies = k8sDocs.filter(({ doc }) => doc.kind === 'NetworkPolicy').map(({ doc }) => doc);
  const denyAll = policies.some((p) => {
    const spec = p.spec as { podSelector?: Doc; policyTypes?: string[]; ingress?: unknown };
    return Object.keys(spec.podSelector ?? { x: 1 }).length === 0 && spec.policyTypes?.includes('Ingress') && !spec.ingress;
  });
  if (!denyAll) problems.push('k8s: no default-deny ingress NetworkPolicy');

  // kustomization.yaml lists exactly the files in k8s/.
  const kustomization = parseYaml(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  const listed = new Set(kustomization.resources ?? []);
  for (const file of k8sFiles) {
    const rel = relative(deployDir, file);
    if (!listed.has(rel)) problems.push(`kustomization.yaml: ${rel} not in resources`);
    listed.delete(rel);
  }
  for (const missing of listed) problems.push(`kustomization.yaml: resource ${missing} does not exist`);

  return { ok: problems.length === 0, output: problems.join('\n') };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--deploy-dir');
  const results = await runDeployLint(at === -1 ? {} : { deployDir: process.argv[at + 1]! });
  for (const r of results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.check}`);
    if (r.output && (!r.ok || process.env.VERBOSE)) console.log(r.output.replace(/^/gm, '     '));
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`deploy lint: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(REPO_ROOT, 'scripts/deploy-lint.ts')) await main();
