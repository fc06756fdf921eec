import { z } from 'zod';

/**
 * The whole configuration, declared once. Every key has a type, a default and a
 * doc line (`.describe`). Values come from config/*.yml, then ORACUL_<SECTION>_<KEY>
 * environment overrides (see ./env.ts), and are validated here at startup.
 */

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');
const port = z.number().int().min(1).max(65535);
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected 0x + 40 hex characters')
  .transform((s) => s.toLowerCase() as `0x${string}`);

export const topicSchema = z.object({
  name: z.string().min(1).describe('Kafka topic name'),
  partitions: z.number().int().min(1).describe('Partition count; keyed topics use several so work spreads across workers'),
  replicationFactor: z.number().int().min(1).default(1).describe('Replication factor (1 locally, 3 in production)'),
  cleanupPolicy: z.enum(['delete', 'compact', 'compact,delete']).default('delete').describe('Kafka cleanup.policy'),
  retentionMs: z.number().int().min(-1).optional().describe('retention.ms; -1 keeps forever'),
  key: z.string().optional().describe('What the record key is, for ordering (documentation)'),
  schema: z.string().optional().describe('Avro schema file in schemas/ for the value'),
});
export type TopicConfig = z.infer<typeof topicSchema>;

export const stackSchema = z
  .object({
    dir: z
      .string()
      .default('.infra')
      .describe('Where the local stack installs pinned binaries (relative to the repo root); reused by every profile'),
    stateDir: z
      .string()
      .default('.infra/state')
      .describe('Data, logs and pid files of the running stack (relative to the repo root); tests use their own'),
    host: z.string().default('127.0.0.1').describe('Bind address of every local service; loopback only'),
    kafka: z
      .object({
        enabled: z.boolean().default(true).describe('Run a local Kafka broker (false when kafka.brokers points elsewhere)'),
        version: z.string().default('3.9.2').describe('org.apache.kafka:kafka_2.13 version from Maven Central'),
        port: port.default(9092).describe('Broker listener port'),
        controllerPort: port.default(9093).describe('KRaft controller listener port'),
        heapMb: z.number().int().min(128).default(768).describe('Broker JVM heap (MiB)'),
      })
      .prefault({}),
    registry: z
      .object({
        enabled: z.boolean().default(true).describe('Run a local Apicurio registry'),
        version: z.string().default('3.3.3').describe('io.apicurio:apicurio-registry-app version from Maven Central'),
        port: port.default(8081).describe('HTTP port (Confluent API under /apis/ccompat/v7)'),
        managementPort: port.default(9001).describe('Quarkus management port, moved off 9000'),
        heapMb: z.number().int().min(128).default(384).describe('Registry JVM heap (MiB)'),
      })
      .prefault({}),
    warehouse: z
      .object({
        enabled: z.boolean().default(true).describe('Run the embedded ClickHouse engine endpoint (oracul warehouse serve)'),
        port: port.default(8123).describe('HTTP port speaking the ClickHouse HTTP interface'),
      })
      .prefault({}),
    startTimeoutS: z.number().int().min(5).default(180).describe('How long `stack up` waits for a component to become healthy'),
  })
  .prefault({});

export const kafkaSchema = z
  .object({
    brokers: z.array(hostPort).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers'),
    clientId: z.string().default('oracul').describe('Kafka client id prefix'),
    schemaRegistryUrl: z
      .string()
      .url()
      .default('http://127.0.0.1:8081/apis/ccompat/v7')
      .describe('Confluent-compatible schema registry base URL'),
    schemaRegistryUsername: z.string().optional().describe('Registry basic-auth user'),
    schemaRegistryPassword: z.string().optional().describe('Registry basic-auth password (secret)'),
    topics: z.array(topicSchema).default([]).describe('Topics created by `oracul topics ensure`'),
  })
  .prefault({});

export const clickhouseSchema = z
  .object({
    url: z
      .string()
      .url()
      .default('http://127.0.0.1:8123')
      .describe('ClickHouse HTTP endpoint (embedded engine or a real server)'),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('oracul')
      .describe('Database holding Oracul tables'),
    username: z.string().default('oracul').describe('Writer user (pipeline, migrations)'),
    password: z.string().default('oracul').describe('Writer password (secret)'),
    readonlyUsername: z.string().default('oracul_ro').describe('Read-only user for the gateway and BI (readonly=1)'),
    readonlyPassword: z.string().default('oracul_ro').describe('Read-only password (secret)'),
    requestTimeoutMs: z.number().int().min(100).default(30_000).describe('Per-request timeout'),
  })
  .prefault({});

export const chainSchema = z.object({
  name: z.string().min(1).describe('Chain name, e.g. mainnet'),
  chainId: z.number().int().min(1).describe('EIP-155 chain id'),
  rpcUrls: z.array(z.string().url()).default([]).describe('JSON-RPC endpoints in fallback order (secret: may embed keys)'),
  confirmations: z.number().int().min(0).default(12).describe('Blocks behind head treated as final'),
});

export const tokenSchema = z.object({
  symbol: z.string().min(1),
  coingeckoId: z.string().min(1),
  address,
  decimals: z.number().int().min(0).max(255),
  chain: z.string().default('mainnet'),
});

export const gatewaySchema = z
  .object({
    host: z.string().default('127.0.0.1').describe('Bind address'),
    port: port.default(4000).describe('HTTP port'),
    introspection: z.boolean().default(true).describe('Allow schema introspection (off in production)'),
    graphiql: z.boolean().default(true).describe('Serve GraphiQL (off in production)'),
    corsOrigins: z.array(z.string()).default([]).describe('Allowed CORS origins'),
    apiKeys: z
      .array(z.object({ id: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), role: z.enum(['read', 'ops']) }))
      .default([])
      .describe('API keys, stored as sha256 hashes'),
  })
  .prefault({});

export const alertsSchema = z
  .object({
    slackWebhookUrl: z.string().url().optional().describe('Slack incoming webhook (secret, never logged)'),
    digestIntervalS: z.number().int().min(1).default(60).describe('Group alerts into one digest per interval'),
    minSeverity: z.enum(['low', 'medium', 'high']).default('high').describe('Lowest anomaly severity alerted'),
  })
  .prefault({});

export const pricesSchema = z
  .object({
    baseUrl: z.string().url().default('https://api.coingecko.com/api/v3').describe('CoinGecko-compatible API base URL'),
    apiKey: z.string().optional().describe('API key (secret)'),
    pollIntervalS: z.number().int().min(1).default(60).describe('Spot price poll interval'),
    stalenessLimitS: z.number().int().min(1).default(7200).describe('Older prices give null USD values'),
  })
  .prefault({});

export const configSchema = z.object({
  env: z.enum(['development', 'test', 'production']).default('development').describe('Deployment profile'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  stack: stackSchema,
  kafka: kafkaSchema,
  clickhouse: clickhouseSchema,
  chains: z.array(chainSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  gateway: gatewaySchema,
  alerts: alertsSchema,
  prices: pricesSchema,
});

export type OraculConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Keys whose values never print: matched on the last path segment. */
export const SECRET_KEYS = new Set([
  'password',
  'readonlyPassword',
  'schemaRegistryPassword',
  'apiKey',
  'slackWebhookUrl',
  'sha256',
]);
