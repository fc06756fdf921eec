import type { OraculConfig } from './schema.ts';

/** Client settings the local stack can provide: [section, key] as written in config files. */
const DERIVABLE = [
  ['kafka', 'brokers'],
  ['kafka', 'schemaRegistryUrl'],
  ['clickhouse', 'url'],
] as const;

/**
 * Points kafka.brokers, kafka.schemaRegistryUrl and clickhouse.url at the local stack (stack.host and its ports)
 * when they were not set explicitly (file, env or override) and that stack component is enabled. Without this,
 * ORACUL_STACK_KAFKA_PORT alone left the clients on 9092: on a shared machine somebody else's broker.
 * `input` is the merged raw config before defaults, to tell explicit values from defaults.
 */
export function deriveClientUrls(config: OraculConfig, input: Record<string, unknown>): OraculConfig {
  const explicit = (section: string, key: string) => {
    const node = input[section];
    return node !== null && typeof node === 'object' && (node as Record<string, unknown>)[key] !== undefined;
  };
  const { stack } = config;
  const host = clientHost(stack.host);
  const derived = {
    brokers: [`${host}:${stack.kafka.port}`],
    schemaRegistryUrl: `http://${host}:${stack.registry.port}/apis/ccompat/v7`,
    url: `http://${host}:${stack.warehouse.port}`,
  };
  const enabled = { brokers: stack.kafka.enabled, schemaRegistryUrl: stack.registry.enabled, url: stack.warehouse.enabled };
  const kafka = { ...config.kafka };
  const clickhouse = { ...config.clickhouse };
  for (const [section, key] of DERIVABLE) {
    if (explicit(section, key) || !enabled[key]) continue;
    if (key === 'url') clickhouse.url = derived.url;
    else if (key === 'brokers') kafka.brokers = derived.brokers;
    else kafka.schemaRegistryUrl = derived.schemaRegistryUrl;
  }
  return { ...config, kafka, clickhouse };
}

/** Clients cannot connect to a wildcard bind address: use the loopback of the same family. */
function clientHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '') return '127.0.0.1';
  if (bindHost === '::' || bindHost === '[::]') return '[::1]';
  return bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
}
