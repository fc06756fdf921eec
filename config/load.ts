import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configSchema, type OraculConfig } from './schema.ts';
import { applyEnvOverrides } from './env.ts';

/** Repository root: config files, dwh migrations and schemas are resolved from here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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
 * and returns a deeply frozen config. Throws ConfigError naming the key and reason.
 */
export function loadConfig(params: LoadConfigParameters = {}): OraculConfig {
  const env = params.env ?? process.env;
  const dir = params.dir ?? env.ORACUL_CONFIG_DIR ?? join(REPO_ROOT, 'config');
  const raw: Record<string, unknown> = {};
  if (existsSync(dir)) {
    for (const file of readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()) {
      const section = basename(file).replace(/\.ya?ml$/, '');
      let value: unknown;
      try {
        value = parseYaml(readFileSync(join(dir, file), 'utf8'));
      } catch (cause) {
        throw new ConfigError(`config/${file}: not valid YAML: ${(cause as Error).message}`, { cause });
      }
      if (value === null || value === undefined) continue;
      if (section === 'oracul') Object.assign(raw, value);
      else raw[section] = value;
    }
  }
  const withEnv = applyEnvOverrides(raw, env);
  const merged = deepMerge(withEnv, params.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatIssues(result.error, merged), { details: { issues: result.error.issues } });
  return deepFreeze(result.data);
}

function formatIssues(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid config';
  const path = issue.path.join('.');
  const received = issue.path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined,
    input,
  );
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `invalid config at ${path || '<root>'}: ${issue.message}; got ${JSON.stringify(received) ?? 'nothing'}${more}`;
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
