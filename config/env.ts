import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configSchema } from './schema.ts';
import { closest } from './suggest.ts';

/**
 * Environment overrides: ORACUL_<SECTION>_<KEY> in SCREAMING_SNAKE_CASE of the
 * config path (ORACUL_KAFKA_BROKERS, ORACUL_CLICKHOUSE_URL, ORACUL_STACK_KAFKA_PORT).
 * Arrays of scalars are comma-separated. ORACUL_RPC_URL sets the first chain's rpcUrls; ORACUL_GATEWAY_API_KEYS adds
 * gateway keys.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const leaves = envLeaves();
  checkEnvNames(env, leaves);
  const out = structuredClone(raw);
  for (const leaf of leaves) {
    const value = env[leaf.envName];
    if (value === undefined || value === '') continue;
    setPath(out, leaf.path, coerce(value, leaf.kind, leaf.envName));
  }
  const rpc = env.ORACUL_RPC_URL;
  if (rpc) {
    const chains = Array.isArray(out.chains) && out.chains.length > 0 ? out.chains : [{ name: 'mainnet', chainId: 1 }];
    chains[0] = { ...(chains[0] as Record<string, unknown>), rpcUrls: rpc.split(',').map((s) => s.trim()) };
    out.chains = chains;
  }
  const keys = env.ORACUL_GATEWAY_API_KEYS;
  if (keys) out.gateway = withEnvApiKeys(out.gateway, keys);
  return out;
}

/**
 * ORACUL_GATEWAY_API_KEYS: `id:role:sha256` entries, comma-separated (what `oracul gateway key` prints), added to the
 * keys of config/gateway.yml; an entry with the id of a file key replaces it. Lets an operator add or rotate a key
 * without editing YAML. Roles and hashes are validated by the schema like the file's.
 */
function withEnvApiKeys(gateway: unknown, value: string): Record<string, unknown> {
  const section = gateway !== null && typeof gateway === 'object' ? (gateway as Record<string, unknown>) : {};
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const parts = entry.split(':');
      if (parts.length !== 3 || parts.some((p) => p === ''))
        // The entry itself is not printed: it may be a key pasted by mistake instead of its hash.
        throw new ConfigError(`invalid config at ORACUL_GATEWAY_API_KEYS: entry ${i + 1} is not id:role:sha256`);
      const [id, role, sha256] = parts as [string, string, string];
      return { id, role, sha256: sha256.toLowerCase() };
    });
  const ids = new Set(entries.map((e) => e.id));
  const fileKeys = Array.isArray(section.apiKeys) ? (section.apiKeys as { id?: unknown }[]) : [];
  return { ...section, apiKeys: [...fileKeys.filter((k) => !ids.has(String(k.id))), ...entries] };
}

/**
 * The ORACUL_* variables that are not config keys, each with the one place that reads it. Any other ORACUL_*
 * variable that is not a config key is refused (a typo such as ORACUL_GATEWAY_PROT would otherwise be ignored).
 */
export const NON_CONFIG_ENV_VARIABLES: Readonly<Record<string, string>> = {
  ORACUL_CONFIG_DIR: 'folder of the <section>.yml files (config/load.ts)',
  ORACUL_RPC_URL: "the first chain's rpcUrls, comma-separated (config/env.ts)",
  ORACUL_GATEWAY_API_KEYS: 'gateway API keys as id:role:sha256, comma-separated, added to gateway.apiKeys (config/env.ts)',
  ORACUL_DEBUG: 'print stack traces of CLI errors (scripts/cli/main.ts)',
  ORACUL_HEALTHCHECK_URL: "URL the image's HEALTHCHECK probes (infra/deploy/healthcheck.mjs)",
  ORACUL_CHROMIUM_PATH: 'Chromium for Superset screenshots (infra/superset/browser.ts)',
  ORACUL_SHARED_DATA: 'recorded chain data for tests (scripts/test/recorded-chain.ts)',
  ORACUL_DEPLOY_K8S_VERSION: 'Kubernetes schema version of the deploy lint (scripts/deploy-lint.ts)',
  ORACUL_SUPERSET_STATE_DIR: 'Superset home in the Superset container (infra/deploy/compose.yaml)',
  // Compose interpolation (infra/deploy/compose.yaml): read by docker compose, harmless in an operator's shell.
  ORACUL_IMAGE: 'compose: Oracul image',
  ORACUL_SUPERSET_IMAGE: 'compose: Superset image',
  ORACUL_PUBLISH_ADDR: 'compose: address the gateway and Superset publish on',
  ORACUL_GATEWAY_PUBLISH_PORT: 'compose: published gateway port',
  ORACUL_SUPERSET_PUBLISH_PORT: 'compose: published Superset port',
  ORACUL_GATEWAY_KEYS_FILE: 'compose: gateway.yml with the API keys',
};

/**
 * Prefixes reserved for the test, benchmark and chaos harnesses (ORACUL_TEST_PORT_OFFSET, ORACUL_BENCH_PORT_OFFSET,
 * ORACUL_CHAOS_OUTAGE_S, …; see scripts/test, scripts/bench, scripts/chaos). No config section may take these names.
 */
export const HARNESS_ENV_PREFIXES: readonly string[] = ['ORACUL_TEST_', 'ORACUL_BENCH_', 'ORACUL_CHAOS_'];

/** Refuses ORACUL_* variables that are neither a config key nor listed above, suggesting the closest key. */
function checkEnvNames(env: NodeJS.ProcessEnv, leaves: EnvLeaf[]): void {
  const known = new Set([...leaves.map((l) => l.envName), ...Object.keys(NON_CONFIG_ENV_VARIABLES)]);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('ORACUL_') || known.has(name) || HARNESS_ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    const hint = closest(name, known);
    // No value in the message: a misspelled secret variable holds a secret.
    const reason = hint ? `did you mean ${hint}?` : 'not a config key (config/schema.ts) nor a known variable (config/env.ts)';
    throw new ConfigError(`invalid config at ${name}: unknown variable; ${reason}`);
  }
}

type LeafKind = 'string' | 'number' | 'boolean' | 'string[]';
export interface EnvLeaf {
  envName: string;
  path: string[];
  kind: LeafKind;
}

/** Every scalar (or scalar-array) leaf reachable through objects in the config schema. */
export function envLeaves(): EnvLeaf[] {
  const leaves: EnvLeaf[] = [];
  const walk = (schema: z.ZodType, path: string[]): void => {
    const inner = unwrapSchema(schema);
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) walk(child, [...path, key]);
      return;
    }
    const kind = leafKind(inner);
    if (kind) leaves.push({ envName: ['ORACUL', ...path.map(toScreamingSnake)].join('_'), path, kind });
  };
  walk(configSchema, []);
  return leaves;
}

/** The schema inside defaults, optionals, nullables and pipes. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  // Defaults, optionals and pipes wrap the real type.
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else return s;
  }
}

function leafKind(s: z.ZodType): LeafKind | undefined {
  if (s instanceof z.ZodString || s instanceof z.ZodEnum) return 'string';
  if (s instanceof z.ZodNumber) return 'number';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodArray) {
    const el = unwrapSchema(s.element as z.ZodType);
    return el instanceof z.ZodString ? 'string[]' : undefined;
  }
  return undefined;
}

function toScreamingSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function coerce(value: string, kind: LeafKind, envName: string): unknown {
  switch (kind) {
    case 'string':
      return value;
    case 'string[]':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'number': {
      const n = Number(value);
      if (!Number.isFinite(n))
        throw new ConfigError(`invalid config at ${envName}: expected a number; got ${JSON.stringify(value)}`);
      return n;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(value)) return true;
      if (/^(false|0|no)$/i.test(value)) return false;
      throw new ConfigError(`invalid config at ${envName}: expected true or false; got ${JSON.stringify(value)}`);
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let node = obj;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
