import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.ts';
import { ApiKeys } from '../../../gateway/auth.ts';
import { isLoopbackHost } from '../../../config/production.ts';
import { devKeyRefusal, devKeyUsage, withDevKey, DEV_KEY_ID } from './dev-key.ts';

const config = loadConfig({ env: {} });

describe('the devnet development key', () => {
  it('is accepted by the gateway key table of the config it returns, with the read role, and differs per run', () => {
    const { config: withKey, devKey } = withDevKey(config);
    const keys = new ApiKeys(withKey.gateway);
    expect(keys.authenticate(devKey.key)).toEqual({ ok: true, principal: { keyId: DEV_KEY_ID, role: 'read' } });
    expect(keys.authenticate(`${devKey.key}x`)).toEqual({ ok: false });
    expect(withDevKey(config).devKey.key).not.toBe(devKey.key);
    // The plaintext is nowhere in the config: only its sha256.
    expect(JSON.stringify(withKey)).not.toContain(devKey.key);
    // A second run replaces the entry instead of piling keys up.
    expect(withDevKey(withKey).config.gateway.apiKeys.filter((k) => k.id === DEV_KEY_ID)).toHaveLength(1);
  });

  it('is refused in the production profile and when the gateway does not listen on loopback', () => {
    expect(devKeyRefusal(config)).toBeNull();
    expect(devKeyRefusal({ ...config, env: 'production' })).toMatch(/production/);
    expect(devKeyRefusal({ ...config, gateway: { ...config.gateway, host: '0.0.0.0' } })).toMatch(/not on loopback/);
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('comes with a curl command and a GraphiQL headers snippet that carry it', () => {
    const usage = devKeyUsage('http://127.0.0.1:4000/graphql', 'x-api-key', 'orc_dev_abc');
    expect(usage.curl).toContain("-H 'x-api-key: orc_dev_abc'");
    expect(usage.curl).toMatch(/^curl -s http:\/\/127\.0\.0\.1:4000\/graphql /);
    expect(JSON.parse(usage.graphiqlHeaders)).toEqual({ 'x-api-key': 'orc_dev_abc' });
  });
});
