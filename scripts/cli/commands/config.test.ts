import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../config/index.ts';

/**
 * End to end: the real `oracul config check|print` CLI as a child process, with a temp config dir and an environment
 * holding only the variables of each case (none inherited from the shell that runs the tests).
 */
const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'scripts/oracul.mjs');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => !e[0].startsWith('ORACUL_') && e[1] !== undefined),
  );
}

async function oracul(args: string[], env: Record<string, string>, files: Record<string, string> = {}): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-config-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...cleanEnv(), ORACUL_CONFIG_DIR: dir, ORACUL_LOG_LEVEL: 'silent', ...env },
      timeout: 25_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The lines after the CLI's `oracul: ORACUL_CONFIG_INVALID: ` prefix. */
function errorLines(result: Result): string[] {
  return result.stderr
    .trim()
    .replace(/^oracul: ORACUL_CONFIG_INVALID: /, '')
    .split('\n');
}

/** A production environment that passes: non-default secrets, no local stack, no wildcard CORS. */
const PRODUCTION_OK = {
  ORACUL_ENV: 'production',
  ORACUL_CLICKHOUSE_PASSWORD: 'writer-pw-from-secret',
  ORACUL_CLICKHOUSE_READONLY_PASSWORD: 'reader-pw-from-secret',
  ORACUL_STACK_KAFKA_ENABLED: 'false',
  ORACUL_STACK_REGISTRY_ENABLED: 'false',
  ORACUL_STACK_WAREHOUSE_ENABLED: 'false',
  ORACUL_KAFKA_BROKERS: 'kafka-0:9092',
  ORACUL_KAFKA_SCHEMA_REGISTRY_URL: 'http://registry:8080/apis/ccompat/v7',
  ORACUL_CLICKHOUSE_URL: 'http://clickhouse:8123',
  ORACUL_GATEWAY_HOST: '0.0.0.0',
  ORACUL_GATEWAY_CORS_ORIGINS: 'https://app.example.com',
};

describe('oracul config: strict keys, files and variables', () => {
  it('rejects an unknown key in a section file, naming it', async () => {
    const result = await oracul(['config', 'check'], {}, { 'gateway.yml': 'prot: 4001\n' });
    expect(result.code).toBe(78);
    expect(errorLines(result)).toEqual(['invalid config at gateway.prot: unknown key; did you mean port?']);
  });

  it('rejects an unknown key nested deeper and at the top level', async () => {
    const nested = await oracul(['config', 'check'], {}, { 'stack.yml': 'kafka:\n  heapMB: 512\n' });
    expect(nested.code).toBe(78);
    expect(errorLines(nested)).toEqual(['invalid config at stack.kafka.heapMB: unknown key; did you mean heapMb?']);
    const top = await oracul(['config', 'check'], {}, { 'oracul.yml': 'loglevel: debug\n' });
    expect(top.code).toBe(78);
    expect(errorLines(top)).toEqual(['invalid config at loglevel: unknown key; did you mean logLevel?']);
  });

  it('rejects a misspelled config file, naming the file and the section it probably meant', async () => {
    const result = await oracul(['config', 'check'], {}, { 'gatway.yml': 'port: 4001\n' });
    expect(result.code).toBe(78);
    const [line, ...rest] = errorLines(result);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^invalid config at .*\/gatway\.yml: unknown config file; did you mean gateway\.yml\? \(known: /);
    expect(line).toContain('oracul.yml');
  });

  it('rejects a misspelled ORACUL_* variable and accepts the allow-listed non-config ones', async () => {
    const typo = await oracul(['config', 'check'], { ORACUL_GATEWAY_PROT: '4001' });
    expect(typo.code).toBe(78);
    expect(errorLines(typo)).toEqual([
      'invalid config at ORACUL_GATEWAY_PROT: unknown variable; did you mean ORACUL_GATEWAY_PORT?',
    ]);
    const known = await oracul(['config', 'check'], {
      ORACUL_TEST_PORT_OFFSET: '2200',
      ORACUL_DEBUG: '1',
      ORACUL_RPC_URL: 'http://127.0.0.1:8545',
      ORACUL_HEALTHCHECK_URL: 'http://127.0.0.1:4000/healthz',
    });
    expect(known.stderr).toBe('');
    expect(known.code).toBe(0);
  });

  it('rejects an ORACUL_CONFIG_DIR that does not exist', async () => {
    const missing = join(tmpdir(), 'oracul-no-such-config-dir');
    const result = await oracul(['config', 'check'], { ORACUL_CONFIG_DIR: missing });
    expect(result.code).toBe(78);
    expect(errorLines(result)).toEqual([
      `invalid config at ORACUL_CONFIG_DIR: no such directory; got ${JSON.stringify(missing)}`,
    ]);
  });
});

describe('oracul config: client URLs follow the local stack ports', () => {
  async function printed(env: Record<string, string>, files: Record<string, string> = {}) {
    const result = await oracul(['config', 'print', '--json'], env, files);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as { kafka: { brokers: string[]; schemaRegistryUrl: string }; clickhouse: { url: string } };
  }

  it('derives brokers, registry and warehouse URLs from the stack ports when they are not set', async () => {
    const config = await printed({
      ORACUL_STACK_KAFKA_PORT: '19092',
      ORACUL_STACK_REGISTRY_PORT: '18081',
      ORACUL_STACK_WAREHOUSE_PORT: '18123',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.kafka.schemaRegistryUrl).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(config.clickhouse.url).toBe('http://127.0.0.1:18123/');
  });

  it('keeps explicit client URLs (env or file) over the derived ones', async () => {
    const config = await printed(
      { ORACUL_STACK_KAFKA_PORT: '19092', ORACUL_KAFKA_BROKERS: 'broker:9092', ORACUL_STACK_WAREHOUSE_PORT: '18123' },
      { 'clickhouse.yml': 'url: http://ch.internal:8123\n' },
    );
    expect(config.kafka.brokers).toEqual(['broker:9092']);
    expect(config.clickhouse.url).toBe('http://ch.internal:8123/');
  });
});

describe('oracul config: the production profile refuses weak settings', () => {
  it('lists every violation, one line each, and exits 78', async () => {
    const result = await oracul(['config', 'check'], {
      ORACUL_ENV: 'production',
      ORACUL_CLICKHOUSE_READONLY_PASSWORD: '',
      ORACUL_STACK_HOST: '0.0.0.0',
      ORACUL_GATEWAY_HOST: '0.0.0.0',
      ORACUL_GATEWAY_CORS_ORIGINS: 'https://app.example.com,*',
      ORACUL_KAFKA_SCHEMA_REGISTRY_USERNAME: 'oracul',
    });
    expect(result.code).toBe(78);
    expect(errorLines(result)).toEqual([
      'invalid config at clickhouse.password: production refuses the default password; got "oracul"',
      'invalid config at clickhouse.readonlyPassword: production refuses the default password; got "oracul_ro"',
      'invalid config at kafka.schemaRegistryPassword: production requires a password with kafka.schemaRegistryUsername; got nothing',
      'invalid config at stack.host: production binds the local stack (kafka, registry, warehouse) to loopback only; got "0.0.0.0"',
      'invalid config at gateway.corsOrigins: production refuses wildcard CORS origins; got "*"',
    ]);
  });

  it('refuses an empty password', async () => {
    const { ORACUL_CLICKHOUSE_PASSWORD: _fromSecret, ...env } = PRODUCTION_OK;
    const result = await oracul(['config', 'check'], env, { 'clickhouse.yml': 'password: ""\n' });
    expect(result.code).toBe(78);
    expect(errorLines(result)).toEqual(['invalid config at clickhouse.password: production refuses an empty password; got ""']);
  });

  it('accepts a production environment with real secrets, no local stack and the gateway on 0.0.0.0', async () => {
    const result = await oracul(['config', 'check'], PRODUCTION_OK);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('config ok\n');
  });

  it('accepts the local stack on loopback in production', async () => {
    const { ORACUL_STACK_KAFKA_ENABLED: _k, ORACUL_KAFKA_BROKERS: _b, ...env } = PRODUCTION_OK;
    const result = await oracul(['config', 'check'], { ...env, ORACUL_STACK_HOST: '127.0.0.1' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('oracul config print: masking', () => {
  it('masks every non-version path segment and query value of RPC URLs, whatever their length', async () => {
    const result = await oracul(['config', 'print', '--json'], {
      ORACUL_RPC_URL: 'https://eth-mainnet.g.alchemy.com/v2/shortKEY,https://rpc.example/abcdefgh/path?key=k1',
    });
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout) as { chains: { rpcUrls: string[] }[] };
    expect(config.chains[0]?.rpcUrls).toEqual([
      'https://eth-mainnet.g.alchemy.com/v2/[hidden]',
      'https://rpc.example/[hidden]/[hidden]?key=[hidden]',
    ]);
    expect(result.stdout).not.toContain('shortKEY');
    expect(result.stdout).not.toContain('abcdefgh');
  });

  it('hides the password in any URL and the Kafka SASL password', async () => {
    const result = await oracul(['config', 'print', '--json'], {
      ORACUL_CLICKHOUSE_URL: 'https://writer:pw1@ch.example:8443',
      ORACUL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      ORACUL_KAFKA_SASL_USERNAME: 'oracul',
      ORACUL_KAFKA_SASL_PASSWORD: 'sasl-secret',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('pw1');
    expect(result.stdout).not.toContain('sasl-secret');
    const config = JSON.parse(result.stdout) as { clickhouse: { url: string }; kafka: { sasl: Record<string, string> } };
    expect(config.clickhouse.url).toBe('https://[hidden]@ch.example:8443/');
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'oracul', password: '[hidden]' });
  });
});
