import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, basename, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configSchema, SECRET_KEYS, type OraculConfig } from './schema.ts';
import { applyEnvOverrides, unwrapSchema } from './env.ts';
import { deriveClientUrls } from './derive.ts';
import { assertProductionReady } from './production.ts';
import { closest } from './suggest.ts';

/** Repository root: config files, dwh migrations and schemas are resolved from here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_CONFIG_DIR = join(REPO_ROOT, 'config');

export interface LoadConfigParameters {
  /** Folder of `<section>.yml` files; default ORACUL_CONFIG_DIR or <repo>/config. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Values merged over files and env, for tests and embedding. */
  overrides?: Record<string, unknown>;
}

/**
 * Loads config/<section>.yml (each file holds the value of its section; `oracul.yml`
 * holds top-level keys), applies ORACUL_* environment overrides, validates with zod
 * (unknown files, keys and ORACUL_* variables are errors), points unset client URLs at
 * the local stack, applies the production profile's refusals and returns a deeply
 * frozen config. Throws ConfigError naming the key and reason.
 */
export function loadConfig(params: LoadConfigParameters = {}): OraculConfig {
  const env = params.env ?? process.env;
  const raw = readConfigDir(configDirOf(params, env));
  const withEnv = applyEnvOverrides(raw, env);
  const merged = deepMerge(withEnv, params.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error, merged), { details: { issues: result.error.issues } });
  const config = deriveClientUrls(result.data, merged);
  assertProductionReady(config);
  return deepFreeze(config);
}

/** The config folder; one that does not exist is an error (a typo there used to mean "defaults only"). */
function configDirOf(params: LoadConfigParameters, env: NodeJS.ProcessEnv): { dir: string; label: string } {
  const fromEnv = params.dir === undefined && env.ORACUL_CONFIG_DIR !== undefined;
  const dir = params.dir ?? env.ORACUL_CONFIG_DIR ?? DEFAULT_CONFIG_DIR;
  const label = fromEnv ? 'ORACUL_CONFIG_DIR' : 'config dir';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError(`invalid config at ${label}: no such directory; got ${JSON.stringify(dir)}`);
  }
  return { dir, label: resolve(dir) === DEFAULT_CONFIG_DIR ? 'config' : dir.replace(/\/+$/, '') };
}

/** Every `<section>.yml` of the folder (`oracul.yml`: top-level keys); a file naming no section is an error. */
function readConfigDir({ dir, label }: { dir: string; label: string }): Record<string, unknown> {
  const sections = Object.keys(configSchema.shape).filter((k) => k !== 'env' && k !== 'logLevel');
  const known = ['oracul', ...sections];
  const raw: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()) {
    const section = basename(file).replace(/\.ya?ml$/, '');
    const where = `${label}/${file}`;
    if (!known.includes(section)) {
      const hint = closest(section, known);
      const list = known.map((s) => `${s}.yml`).join(', ');
      throw new ConfigError(
        `invalid config at ${where}: unknown config file;${hint ? ` did you mean ${hint}.yml?` : ''} (known: ${list})`,
      );
    }
    if (seen.has(section))
      throw new ConfigError(`invalid config at ${where}: section ${section} is also in ${seen.get(section)}`);
    seen.set(section, file);
    let value: unknown;
    try {
      value = parseYaml(readFileSync(join(dir, file), 'utf8'));
    } catch (cause) {
      throw new ConfigError(`${where}: not valid YAML: ${(cause as Error).message}`, { cause });
    }
    if (value === null || value === undefined) continue;
    if (section === 'oracul') Object.assign(raw, value);
    else raw[section] = value;
  }
  return raw;
}

function formatIssues(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid config';
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  if (issue.code === 'unrecognized_keys') return `${unknownKeyMessage(issue.path, issue.keys)}${more}`;
  const path = issue.path.join('.');
  const last = issue.path[issue.path.length - 1];
  const received = valueAt(input, issue.path);
  const got = typeof last === 'string' && SECRET_KEYS.has(last) ? '[hidden]' : (JSON.stringify(received) ?? 'nothing');
  return `invalid config at ${path || '<root>'}: ${issue.message}; got ${got}`;
}

/** Unknown keys: the first one named with the closest known key; no value (it may be a misspelled secret). */
function unknownKeyMessage(path: PropertyKey[], keys: string[]): string {
  const key = keys[0]!;
  const hint = closest(key, knownKeysAt(path));
  const others = keys.length > 1 ? ` (and ${keys.slice(1).join(', ')})` : '';
  return `invalid config at ${[...path, key].join('.')}: unknown key${hint ? `; did you mean ${hint}?` : ''}${others}`;
}

/** The keys the schema declares for the object at `path` (array indexes step into elements). */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = configSchema;
  for (const key of path) {
    const inner: z.ZodType | undefined = schema && unwrapSchema(schema);
    if (inner instanceof z.ZodObject) schema = (inner.shape as Record<string, z.ZodType>)[String(key)];
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else return [];
  }
  const inner = schema && unwrapSchema(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
