import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.ts';
import { clickhouseSchema } from './schema.ts';
import type { OraculConfig } from './schema.ts';

/** The passwords the repository ships (schema defaults, local stack, docs): public, so never good in production. */
const SHIPPED_PASSWORDS: ReadonlySet<string> = (() => {
  const defaults = clickhouseSchema.parse({});
  return new Set([defaults.password, defaults.readonlyPassword]);
})();

/** The placeholders of infra/deploy/oracul.env.example (`change-me-writer`): a copied but unedited template. */
const PLACEHOLDER_PASSWORD = /^change-?me/i;

interface Violation {
  path: string;
  reason: string;
  /** The offending value, printed as JSON; only ever a shipped default, an empty string or a non-secret. */
  got: unknown;
}

/**
 * What the production profile refuses, in config order; empty outside production. Defaults that are fine on a
 * laptop (shipped passwords, a local stack reachable from the network, CORS for any site) are refused here so a
 * deployment cannot start with them by omission.
 */
export function productionViolations(config: OraculConfig): Violation[] {
  if (config.env !== 'production') return [];
  const out: Violation[] = [];
  const { clickhouse, kafka, stack, gateway } = config;
  for (const key of ['password', 'readonlyPassword'] as const) {
    const value = clickhouse[key];
    if (value === '') out.push({ path: `clickhouse.${key}`, reason: 'production refuses an empty password', got: '' });
    else if (SHIPPED_PASSWORDS.has(value)) {
      out.push({ path: `clickhouse.${key}`, reason: 'production refuses the default password', got: value });
    } else if (PLACEHOLDER_PASSWORD.test(value)) {
      out.push({ path: `clickhouse.${key}`, reason: 'production refuses the placeholder of oracul.env.example', got: value });
    }
  }
  if (kafka.schemaRegistryUsername && !kafka.schemaRegistryPassword) {
    out.push({
      path: 'kafka.schemaRegistryPassword',
      reason: 'production requires a password with kafka.schemaRegistryUsername',
      got: kafka.schemaRegistryPassword,
    });
  }
  if (kafka.sasl?.mechanism === 'plain' && !kafka.ssl.enabled) {
    out.push({
      path: 'kafka.sasl.mechanism',
      reason: 'production refuses SASL PLAIN without TLS (the password would cross the network in clear); set kafka.ssl.enabled',
      got: 'plain',
    });
  }
  if (kafka.ssl.enabled && !kafka.ssl.rejectUnauthorized) {
    out.push({ path: 'kafka.ssl.rejectUnauthorized', reason: 'production verifies the brokers\u2019 certificates', got: false });
  }
  const components = (['kafka', 'registry', 'warehouse'] as const).filter((c) => stack[c].enabled);
  if (components.length > 0 && !isLoopbackHost(stack.host)) {
    out.push({
      path: 'stack.host',
      reason: `production binds the local stack (${components.join(', ')}) to loopback only`,
      got: stack.host,
    });
  }
  const wildcard = gateway.corsOrigins.find((origin) => origin.includes('*'));
  if (wildcard !== undefined) {
    out.push({ path: 'gateway.corsOrigins', reason: 'production refuses wildcard CORS origins', got: wildcard });
  }
  return out;
}

/** Throws one ConfigError listing every production violation, one `invalid config at …` line each. */
export function assertProductionReady(config: OraculConfig): void {
  const violations = productionViolations(config);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `invalid config at ${v.path}: ${v.reason}; got ${JSON.stringify(v.got) ?? 'nothing'}`);
  throw new ConfigError(lines.join('\n'), { details: { violations: violations.map((v) => v.path) } });
}

/** Loopback: 127.0.0.0/8, ::1 (bracketed or not) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}
