import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadConfig } from './load.ts';
import { redactConfig, redactUrl } from './redact.ts';

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
    expect(() => loadConfig({ dir, env: {} })).toThrowError(/config\/gateway\.yml: not valid YAML/);
  });

  it('loads the repository config as shipped', () => {
    const config = loadConfig({ env: {} });
    expect(config.kafka.topics.length).toBeGreaterThan(0);
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

  it('keeps plain URLs readable', () => {
    expect(redactUrl('http://127.0.0.1:8123')).toBe('http://127.0.0.1:8123/');
    expect(redactUrl('https://rpc.example/?apikey=abc')).toBe('https://rpc.example/?apikey=[hidden]');
  });
});
