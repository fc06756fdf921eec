import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configSchema } from './schema.ts';

/**
 * Environment overrides: ORACUL_<SECTION>_<KEY> in SCREAMING_SNAKE_CASE of the
 * config path (ORACUL_KAFKA_BROKERS, ORACUL_CLICKHOUSE_URL, ORACUL_STACK_KAFKA_PORT).
 * Arrays of scalars are comma-separated. ORACUL_RPC_URL sets the first chain's rpcUrls.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const leaf of envLeaves()) {
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
  return out;
}

type LeafKind = 'string' | 'number' | 'boolean' | 'string[]';
interface EnvLeaf {
  envName: string;
  path: string[];
  kind: LeafKind;
}

/** Every scalar (or scalar-array) leaf reachable through objects in the config schema. */
export function envLeaves(): EnvLeaf[] {
  const leaves: EnvLeaf[] = [];
  const walk = (schema: z.ZodType, path: string[]): void => {
    const inner = unwrap(schema);
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

function unwrap(schema: z.ZodType): z.ZodType {
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
    const el = unwrap(s.element as z.ZodType);
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
