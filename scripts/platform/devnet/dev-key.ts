/**
 * The devnet's development API key: created for one run, so the person who just typed `npm start` can query the
 * gateway at once (docs: README "First run"). It exists only in this process's memory and in the "what to open" log
 * line; the config holds its sha256 like any other key. Never in the production profile, and only while the gateway
 * listens on loopback: a key printed to a terminal must not open a port other machines reach.
 */
import { randomBytes } from 'node:crypto';
import { isLoopbackHost } from '../../../config/production.ts';
import type { OraculConfig } from '../../../config/schema.ts';
import { sha256Hex } from '../../../gateway/auth.ts';

export const DEV_KEY_ID = 'devnet-dev';

export interface DevKey {
  readonly id: string;
  readonly key: string;
}

/** Why no dev key may be made for this config, or null when one may. */
export function devKeyRefusal(config: Pick<OraculConfig, 'env' | 'gateway'>): string | null {
  if (config.env === 'production') return 'the production profile never gets a development key';
  if (!isLoopbackHost(config.gateway.host))
    return `the gateway listens on ${config.gateway.host}, not on loopback: configure a key (gateway.apiKeys or ORACUL_GATEWAY_API_KEYS)`;
  return null;
}

/** A fresh key with the `read` role, and the config that accepts it (ids of configured keys are kept). */
export function withDevKey(config: OraculConfig): { config: OraculConfig; devKey: DevKey } {
  const key = `orc_dev_${randomBytes(24).toString('base64url')}`;
  const entry = { id: DEV_KEY_ID, role: 'read' as const, sha256: sha256Hex(key) };
  const apiKeys = [...config.gateway.apiKeys.filter((k) => k.id !== DEV_KEY_ID), entry];
  return { config: { ...config, gateway: { ...config.gateway, apiKeys } }, devKey: { id: DEV_KEY_ID, key } };
}

/** Ready-to-paste ways to use the key: a curl command and the GraphiQL "Headers" pane. */
export function devKeyUsage(graphqlUrl: string, headerName: string, key: string): { curl: string; graphiqlHeaders: string } {
  const body = JSON.stringify({ query: '{ tokens(first: 5) { edges { node { symbol decimals } } } }' });
  return {
    curl: `curl -s ${graphqlUrl} -H 'content-type: application/json' -H '${headerName}: ${key}' -d '${body}'`,
    graphiqlHeaders: JSON.stringify({ [headerName]: key }),
  };
}
