import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { envLeaves, HARNESS_ENV_PREFIXES, NON_CONFIG_ENV_VARIABLES } from './env.ts';
import { loadConfig } from './load.ts';
import { redactConfig, redactRpcUrl, redactUrl } from './redact.ts';

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadConfig', () => {
  it('reads one section per file and applies defaults', () => {
    const dir = configDir({ 'kafka.yml': 'clientId: test-app\n', 'oracul.yml': 'logLevel: debug\n' });
    const config = loadConfig({ dir, env: {} });
    expect(config.kafka.clientId).toBe('test-app');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.logLevel).toBe('debug');
    expect(config.clickhouse.url).toBe('http://127.0.0.1:8123');
    expect(Object.isFrozen(config.kafka)).toBe(true);
  });

  it('lets ORACUL_<SECTION>_<KEY> env vars override files, with types coerced', () => {
    const dir = configDir({ 'kafka.yml': 'brokers: ["x:1"]\n' });
    const config = loadConfig({
      dir,
      env: {
        ORACUL_KAFKA_BROKERS: 'a:9092, b:9092',
        ORACUL_CLICKHOUSE_URL: 'http://ch.internal:8123',
        ORACUL_STACK_KAFKA_PORT: '19092',
        ORACUL_GATEWAY_GRAPHIQL: 'false',
        ORACUL_RPC_URL: 'http://127.0.0.1:8545',
      },
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(config.clickhouse.url).toBe('http://ch.internal:8123');
    expect(config.stack.kafka.port).toBe(19092);
    expect(config.gateway.graphiql).toBe(false);
    expect(config.chains[0]?.rpcUrls).toEqual(['http://127.0.0.1:8545']);
  });

  it('adds gateway keys from ORACUL_GATEWAY_API_KEYS (id:role:sha256), replacing a file key of the same id', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64)) as [string, string, string];
    const dir = configDir({
      'gateway.yml': `apiKeys:\n  - { id: app, role: read, sha256: ${a} }\n  - { id: ops, role: ops, sha256: ${b} }\n`,
    });
    const config = loadConfig({ dir, env: { ORACUL_GATEWAY_API_KEYS: ` ops:read:${c.toUpperCase()}, new:ops:${a}` } });
    expect(config.gateway.apiKeys).toEqual([
      { id: 'app', role: 'read', sha256: a },
      { id: 'ops', role: 'read', sha256: c },
      { id: 'new', role: 'ops', sha256: a },
    ]);
    expect(() => loadConfig({ dir, env: { ORACUL_GATEWAY_API_KEYS: 'orc_plaintext_key' } })).toThrowError(
      /^invalid config at ORACUL_GATEWAY_API_KEYS: entry 1 is not id:role:sha256$/,
    );
    expect(() => loadConfig({ dir, env: { ORACUL_GATEWAY_API_KEYS: `x:admin:${a}` } })).toThrowError(/gateway\.apiKeys\.2\.role/);
    expect(() => loadConfig({ dir, env: { ORACUL_GATEWAY_API_KEYS: 'x:read:abc' } })).toThrowError(/gateway\.apiKeys\.2\.sha256/);
  });

  it('fails with the key, the reason and the value received', () => {
    const dir = configDir({ 'clickhouse.yml': 'url: not a url\n' });
    expect(() => loadConfig({ dir, env: {} })).toThrowError(ConfigError);
    expect(() => loadConfig({ dir, env: {} })).toThrowError(/clickhouse\.url.*"not a url"/);
    expect(() => loadConfig({ dir: configDir({}), env: { ORACUL_STACK_KAFKA_PORT: 'abc' } })).toThrowError(
      /ORACUL_STACK_KAFKA_PORT: expected a number; got "abc"/,
    );
    expect(() => loadConfig({ dir: configDir({}), env: { ORACUL_STACK_KAFKA_PORT: '70000' } })).toThrowError(
      /stack\.kafka\.port/,
    );
  });

  it('rejects malformed YAML naming the file', () => {
    const dir = configDir({ 'gateway.yml': 'port: [1,\n' });
    expect(() => loadConfig({ dir, env: {} })).toThrowError(/oracul-config-[^/]+\/gateway\.yml: not valid YAML/);
  });

  it('loads the repository config as shipped', () => {
    const config = loadConfig({ env: {} });
    expect(config.kafka.topics.length).toBeGreaterThan(0);
  });
});

describe('loadConfig: strictness', () => {
  it('rejects unknown keys inside arrays of objects, naming the element', () => {
    const dir = configDir({ 'chains.yml': '- name: mainnet\n  chainId: 1\n  rpcUrl: http://x\n' });
    expect(() => loadConfig({ dir, env: {} })).toThrowError(
      /^invalid config at chains\.0\.rpcUrl: unknown key; did you mean rpcUrls\?$/,
    );
  });

  it('never prints the value of a secret key that fails validation', () => {
    const dir = configDir({ 'clickhouse.yml': 'password: 12345678\n' });
    expect(() => loadConfig({ dir, env: {} })).toThrowError(/clickhouse\.password: .*; got \[hidden\]$/);
  });

  it('keeps the harness prefixes and the non-config variables apart from every config key', () => {
    const names = envLeaves().map((l) => l.envName);
    expect(names.filter((n) => HARNESS_ENV_PREFIXES.some((p) => n.startsWith(p)))).toEqual([]);
    expect(names.filter((n) => n in NON_CONFIG_ENV_VARIABLES)).toEqual([]);
    expect(names).toContain('ORACUL_KAFKA_SASL_PASSWORD');
    expect(names).toContain('ORACUL_KAFKA_SSL_CA_FILE');
  });

  it('refuses a config dir that is a file', () => {
    const dir = configDir({ 'x.txt': '' });
    expect(() => loadConfig({ dir: join(dir, 'x.txt'), env: {} })).toThrowError(/config dir: no such directory/);
  });
});

describe('loadConfig: client URLs derived from the local stack', () => {
  it('follows the stack host and ports when the URLs are not set', () => {
    const config = loadConfig({ dir: configDir({}), env: { ORACUL_STACK_KAFKA_PORT: '19092' } });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.kafka.schemaRegistryUrl).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.clickhouse.url).toBe('http://127.0.0.1:8123');
    const moved = loadConfig({ dir: configDir({ 'stack.yml': 'host: 127.0.0.2\nregistry:\n  port: 18081\n' }), env: {} });
    expect(moved.kafka.brokers).toEqual(['127.0.0.2:9092']);
    expect(moved.kafka.schemaRegistryUrl).toBe('http://127.0.0.2:18081/apis/ccompat/v7');
  });

  it('keeps explicit values and the defaults of disabled components', () => {
    const config = loadConfig({
      dir: configDir({}),
      env: { ORACUL_STACK_KAFKA_PORT: '19092', ORACUL_STACK_WAREHOUSE_ENABLED: 'false', ORACUL_STACK_WAREHOUSE_PORT: '18123' },
      overrides: { kafka: { brokers: ['b:1'] } },
    });
    expect(config.kafka.brokers).toEqual(['b:1']);
    expect(config.clickhouse.url).toBe('http://127.0.0.1:8123');
  });

  it('connects to loopback when the stack binds the wildcard address', () => {
    const config = loadConfig({ dir: configDir({}), env: { ORACUL_STACK_HOST: '0.0.0.0' } });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });
});

describe('loadConfig: production refusals', () => {
  const production = {
    ORACUL_ENV: 'production',
    ORACUL_CLICKHOUSE_PASSWORD: 'w-secret',
    ORACUL_CLICKHOUSE_READONLY_PASSWORD: 'r-secret',
  };

  it('refuses SASL PLAIN without TLS and unverified broker certificates', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ dir: configDir({}), env: { ...production, ...env } });
    const sasl = { ORACUL_KAFKA_SASL_MECHANISM: 'plain', ORACUL_KAFKA_SASL_USERNAME: 'u', ORACUL_KAFKA_SASL_PASSWORD: 'p' };
    expect(load(sasl)).toThrowError(/^invalid config at kafka\.sasl\.mechanism: production refuses SASL PLAIN without TLS/);
    expect(load({ ...sasl, ORACUL_KAFKA_SSL_ENABLED: 'true' })).not.toThrow();
    expect(load({ ORACUL_KAFKA_SSL_ENABLED: 'true', ORACUL_KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' })).toThrowError(
      /^invalid config at kafka\.ssl\.rejectUnauthorized: /,
    );
    expect(load({ ORACUL_KAFKA_SCHEMA_REGISTRY_USERNAME: 'u', ORACUL_KAFKA_SCHEMA_REGISTRY_PASSWORD: 'p' })).not.toThrow();
  });

  it('refuses the placeholders of the deployment secrets template', () => {
    const env = { ...production, ORACUL_CLICKHOUSE_READONLY_PASSWORD: 'change-me-readonly' };
    expect(() => loadConfig({ dir: configDir({}), env })).toThrowError(
      /^invalid config at clickhouse\.readonlyPassword: production refuses the placeholder of oracul\.env\.example; got "change-me-readonly"$/,
    );
  });

  it('lets development keep the shipped defaults', () => {
    expect(loadConfig({ dir: configDir({}), env: { ORACUL_GATEWAY_CORS_ORIGINS: '*' } }).clickhouse.password).toBe('oracul');
  });

  it('requires SASL settings to be complete', () => {
    expect(() => loadConfig({ dir: configDir({}), env: { ORACUL_KAFKA_SASL_USERNAME: 'u' } })).toThrowError(
      /^invalid config at kafka\.sasl\.mechanism: /,
    );
  });
});

describe('redactConfig', () => {
  it('hides secrets and credentials in URLs', () => {
    const config = loadConfig({
      dir: configDir({}),
      env: {
        ORACUL_CLICKHOUSE_PASSWORD: 's3cret',
        ORACUL_RPC_URL: 'https://user:pw@eth-mainnet.example.com/v2/AbCdEf0123456789AbCdEf0123',
        ORACUL_ALERTS_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
      },
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('pw@');
    expect(text).not.toContain('AbCdEf0123456789AbCdEf0123');
    expect(text).not.toContain('XXXX');
    expect(redactConfig(config).clickhouse.password).toBe('[hidden]');
  });

  it('hides every RPC path segment but the API version, and every query value', () => {
    expect(redactRpcUrl('https://eth-mainnet.g.alchemy.com/v2/abc')).toBe('https://eth-mainnet.g.alchemy.com/v2/[hidden]');
    expect(redactRpcUrl('wss://name.quiknode.pro/tok/')).toBe('wss://name.quiknode.pro/[hidden]/');
    expect(redactRpcUrl('https://u:p@rpc.example:8443/?k=v')).toBe('https://[hidden]@rpc.example:8443/?k=[hidden]');
    expect(redactRpcUrl('not a url')).toBe('[hidden]');
  });

  it('keeps plain URLs readable', () => {
    expect(redactUrl('http://127.0.0.1:8123')).toBe('http://127.0.0.1:8123/');
    expect(redactUrl('https://rpc.example/?apikey=abc')).toBe('https://rpc.example/?apikey=[hidden]');
  });
});
