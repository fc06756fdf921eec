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

export const topicSchema = z.strictObject({
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
  .strictObject({
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
      .strictObject({
        enabled: z.boolean().default(true).describe('Run a local Kafka broker (false when kafka.brokers points elsewhere)'),
        version: z.string().default('3.9.2').describe('org.apache.kafka:kafka_2.13 version from Maven Central'),
        port: port.default(9092).describe('Broker listener port'),
        controllerPort: port.default(9093).describe('KRaft controller listener port'),
        heapMb: z.number().int().min(128).default(768).describe('Broker JVM heap (MiB)'),
      })
      .prefault({}),
    registry: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Run a local Apicurio registry'),
        version: z.string().default('3.3.3').describe('io.apicurio:apicurio-registry-app version from Maven Central'),
        port: port.default(8081).describe('HTTP port (Confluent API under /apis/ccompat/v7)'),
        managementPort: port.default(9001).describe('Quarkus management port, moved off 9000'),
        heapMb: z.number().int().min(128).default(384).describe('Registry JVM heap (MiB)'),
      })
      .prefault({}),
    warehouse: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Run the embedded ClickHouse engine endpoint (oracul warehouse serve)'),
        port: port.default(8123).describe('HTTP port speaking the ClickHouse HTTP interface'),
        maxBodyBytes: z.number().int().min(1024).default(268_435_456).describe("Writer's request body cap, decompressed (413)"),
        readonlyMaxBodyBytes: z.number().int().min(1024).default(1_048_576).describe("Read-only user's body cap, decompressed"),
        readonlyMaxExecutionTimeS: z.number().int().min(1).default(60).describe("Read-only queries' max_execution_time ceiling"),
        reservedWriterSlots: z
          .number()
          .int()
          .min(0)
          .max(2)
          .default(1)
          .describe('Engine slots (of 3) read-only queries never take'),
      })
      .prefault({}),
    startTimeoutS: z.number().int().min(5).default(180).describe('How long `stack up` waits for a component to become healthy'),
  })
  .prefault({});

export const kafkaSchema = z
  .strictObject({
    brokers: z.array(hostPort).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers'),
    clientId: z.string().default('oracul').describe('Kafka client id prefix'),
    schemaRegistryUrl: z
      .string()
      .url()
      .default('http://127.0.0.1:8081/apis/ccompat/v7')
      .describe('Confluent-compatible schema registry base URL'),
    schemaRegistryUsername: z.string().optional().describe('Registry basic-auth user'),
    schemaRegistryPassword: z.string().optional().describe('Registry basic-auth password (secret)'),
    ssl: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Connect to the brokers over TLS'),
        caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the brokers (default: Node.js CAs)'),
        certFile: z.string().min(1).optional().describe('PEM client certificate, for mutual TLS'),
        keyFile: z.string().min(1).optional().describe('PEM private key of certFile'),
        rejectUnauthorized: z.boolean().default(true).describe("Verify the brokers' certificates (never false in production)"),
      })
      .prefault({})
      .describe('TLS to the brokers (kafkajs `ssl`)'),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism (kafkajs `sasl.mechanism`)'),
        username: z.string().min(1).describe('SASL user'),
        password: z.string().min(1).describe('SASL password (secret)'),
      })
      .optional()
      .describe('SASL authentication to the brokers; unset = none'),
    topics: z.array(topicSchema).default([]).describe('Topics created by `oracul topics ensure`'),
    replicationFactor: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Overrides every topic's replicationFactor (and so its changelogs'); production: 3 (infra/deploy)"),
  })
  .transform((kafka) =>
    kafka.replicationFactor === undefined
      ? kafka
      : { ...kafka, topics: kafka.topics.map((t) => ({ ...t, replicationFactor: kafka.replicationFactor! })) },
  )
  .prefault({});

export const clickhouseSchema = z
  .strictObject({
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
    cluster: z
      .string()
      .regex(/^([A-Za-z_][A-Za-z0-9_]*)?$/)
      .default('')
      .describe(
        'ClickHouse cluster (remote_servers) for migrations: DDL runs ON CLUSTER with Replicated*MergeTree engines; empty = single server (docs/adr/0007)',
      ),
  })
  .prefault({});

export const chainSchema = z.strictObject({
  name: z.string().min(1).describe('Chain name, e.g. mainnet'),
  chainId: z.number().int().min(1).describe('EIP-155 chain id'),
  rpcUrls: z.array(z.string().url()).default([]).describe('JSON-RPC endpoints in fallback order (secret: may embed keys)'),
  confirmations: z.number().int().min(0).default(12).describe('Blocks behind head treated as final'),
});

export const tokenSchema = z.strictObject({
  symbol: z.string().min(1),
  coingeckoId: z.string().min(1),
  address,
  decimals: z.number().int().min(0).max(255),
  chain: z.string().default('mainnet'),
});

export const gatewaySchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Bind address'),
    port: port.default(4000).describe('HTTP port'),
    introspection: z.boolean().optional().describe('Allow schema introspection (default: on, off in the production profile)'),
    graphiql: z.boolean().optional().describe('Serve GraphiQL (default: on, off in the production profile)'),
    corsOrigins: z.array(z.string()).default([]).describe('Allowed CORS origins'),
    apiKeys: z
      .array(
        z.strictObject({
          id: z.string(),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          role: z.enum(['read', 'ops']),
          rateLimitPerSecond: z.number().int().min(1).optional().describe('Overrides gateway.rateLimitPerSecond for this key'),
        }),
      )
      .default([])
      .describe('API keys, stored as sha256 hashes'),
    apiKeyHeader: z.string().default('x-api-key').describe('Request header (or graphql-ws connection param) carrying the key'),
    chainId: z.number().int().min(1).default(1).describe('EIP-155 chain id the gateway serves'),
    rateLimitPerSecond: z.number().int().min(1).default(50).describe('Requests per second per API key (burst: one second)'),
    maxDepth: z.number().int().min(1).default(8).describe('Maximum query depth (GraphQL Armor)'),
    maxCost: z
      .number()
      .int()
      .min(1)
      .default(60_000)
      .describe('Maximum query cost (GraphQL Armor; list fields count `first` times: one full 500-row anomalies page ≈ 58 000)'),
    maxAliases: z.number().int().min(0).default(15).describe('Maximum aliases per operation'),
    maxTokens: z.number().int().min(1).default(1000).describe('Maximum tokens in a query document'),
    maxRequestBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(1_048_576)
      .describe('Largest request body, by its Content-Length (413); a body without one (chunked) is refused (411)'),
    maxRangeDays: z.number().int().min(1).default(366).describe('Longest from..to range, in days'),
    maxWarehouseQueriesPerOperation: z
      .number()
      .int()
      .min(1)
      .default(6)
      .describe('Most warehouse queries one GraphQL operation may send (checked statically, then counted while it runs)'),
    maxSubscriptionsPerKey: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('Concurrent subscriptions per API key, over every connection and transport (graphql-ws and SSE)'),
    maxSubscriptionsPerConnection: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Concurrent subscriptions per graphql-ws connection'),
    readinessIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(5_000)
      .describe('How often /readyz state (ClickHouse ping, Kafka) is refreshed in the background; requests never call them'),
    replayBufferSize: z.number().int().min(0).default(1000).describe('Events kept per subscription topic for reconnects'),
    cacheEntries: z.number().int().min(0).default(10_000).describe('Cached finalized-day query results (0 disables)'),
    cacheTtlS: z.number().int().min(1).default(600).describe('Upper bound on a cached result age; topic updates evict sooner'),
    recentCacheMs: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe(
        'How long identical reads of changing data (anomalies, topTokens, tokens, dataQuality) share one result (0 disables)',
      ),
    readBatch: z
      .strictObject({
        maxInFlight: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe('Day-range statements of one kind in flight; reads arriving meanwhile go out together in the next'),
        maxBatch: z.number().int().min(1).max(256).default(32).describe('Most day-range reads answered by one statement'),
      })
      .prefault({})
      .describe('Coalescing of concurrent tokenMetricsDaily / addressFlowsDaily reads into one warehouse statement'),
  })
  .prefault({});

export const alertsSchema = z
  .strictObject({
    slackWebhookUrl: z.string().url().optional().describe('Slack incoming webhook (secret, never logged)'),
    digestIntervalS: z.number().int().min(1).default(60).describe('Group alerts into one digest per interval'),
    minSeverity: z.enum(['low', 'medium', 'high']).default('high').describe('Lowest anomaly severity alerted'),
    graphqlUrl: z.string().url().optional().describe('GraphQL endpoint linked from alerts (e.g. http://127.0.0.1:4000/graphql)'),
    supersetUrl: z.string().url().optional().describe('Superset base URL linked from alerts'),
    rateLimitPerMinute: z.number().int().min(1).default(20).describe('Most messages a sink sends per minute'),
    maxDetailedAlertsPerHour: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('Alerts sent in full per rolling hour; the rest of a digest is summed up with links (a flood is one message)'),
    maxAttempts: z.number().int().min(1).default(5).describe('HTTP attempts per delivery before it is parked in the outbox'),
    requestTimeoutMs: z.number().int().min(100).default(10_000).describe('Per-request timeout of a sink'),
    outboxDir: z
      .string()
      .default('.infra/state/alerts-outbox')
      .describe('LMDB outbox of undelivered alerts (relative to repo root)'),
    outboxRetryIntervalS: z.number().int().min(1).default(60).describe('How often parked deliveries are retried'),
    consumerLagThreshold: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe('Consumer lag (messages) above which a pipeline alert fires'),
  })
  .prefault({});

export const anomaliesSchema = z
  .strictObject({
    historyDays: z.number().int().min(1).default(60).describe('Final days in the baseline of each entity and metric'),
    minHistoryDays: z.number().int().min(1).default(14).describe('Final days needed before a metric is scored'),
    boundZ: z.number().positive().default(5).describe('Detection bounds at center -/+ boundZ * spread (robust z)'),
    dayOfWeek: z.boolean().default(true).describe('Predict each day from the same weekday'),
    severity: z
      .strictObject({
        low: z.number().positive().default(5),
        medium: z.number().positive().default(7),
        high: z.number().positive().default(10),
      })
      .prefault({})
      .describe('|robust z| thresholds of the severities'),
    valueChangeRatio: z
      .number()
      .min(0)
      .default(0.05)
      .describe('An open anomaly gets a new version when its value moves by this fraction (or severity/status change)'),
    stateRetentionDays: z
      .number()
      .int()
      .min(1)
      .default(7)
      .describe('Days an anomaly id is remembered (detected_at, last version)'),
    tokens: z
      .strictObject({
        topN: z.number().int().min(0).default(0).describe('Score only the top-N tokens by USD volume per task (0 = all)'),
      })
      .prefault({}),
    addresses: z
      .strictObject({
        topN: z.number().int().min(1).default(1000).describe('Addresses (per token) scored per task: the top-N by USD volume'),
        candidateFactor: z.number().int().min(1).default(4).describe('Space-Saving candidates kept = topN * candidateFactor'),
        decayHalfLifeDays: z.number().positive().default(7).describe('Half-life of the volume that ranks addresses'),
      })
      .prefault({}),
    hourly: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Run the NAB streaming detector on tokens' hourly increments"),
        historyHours: z.number().int().min(24).default(336).describe('Hours each feature is ranked against (H)'),
        minHistoryHours: z.number().int().min(1).default(168).describe('Hours of history before an hour is scored'),
        highMinHistoryHours: z
          .number()
          .int()
          .min(0)
          .default(336)
          .describe('Hours of history before an hourly anomaly may be high (at most medium before)'),
        maxGapHours: z.number().int().min(0).default(168).describe('Most hours without updates filled in as zero'),
        severity: z
          .strictObject({
            low: z.number().gt(0).max(1).default(0.9125),
            medium: z.number().gt(0).max(1).default(0.95),
            high: z.number().gt(0).max(1).default(0.99),
          })
          .prefault({})
          .describe('Detector score (0-1) thresholds of the severities'),
      })
      .prefault({})
      .describe('Hourly streaming detector (docs/anomaly-detection.md, "streaming detector in the stream")'),
  })
  .prefault({});

export const dqSchema = z
  .strictObject({
    intervalS: z.number().int().min(1).max(3600).default(900).describe('Run every check this often (at most hourly)'),
    freshnessMaxLagMinutes: z.number().positive().default(10).describe('Latest raw block may trail the chain head by this much'),
    gapWindowBlocks: z.number().int().min(1).default(10_000).describe('Last N blocks checked for gaps and log/tx consistency'),
    transferCoverageMinRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.999)
      .describe('(erc20_transfers + erc20_rejects) / raw Transfer logs must reach this'),
    priceMaxStalenessMinutes: z.number().positive().default(120).describe('Latest price of a tracked token may be this old'),
  })
  .prefault({});

export const pricesSchema = z
  .strictObject({
    baseUrl: z.string().url().default('https://api.coingecko.com/api/v3').describe('CoinGecko-compatible API base URL'),
    apiKey: z.string().optional().describe('API key (secret)'),
    pollIntervalS: z.number().int().min(1).default(60).describe('Spot price poll interval'),
    stalenessLimitS: z.number().int().min(1).default(7200).describe('Older prices give null USD values'),
  })
  .prefault({});

/** When an aggregate emits updates of its open windows (processors/aggregates/windowing.ts). */
function updateCadenceSchema(boundaryMinutes: number, intervalS: number) {
  return z
    .strictObject({
      boundaryMinutes: z
        .number()
        .int()
        .min(1)
        .max(1440)
        .refine((m) => 1440 % m === 0, 'must divide a day (1440 minutes)')
        .default(boundaryMinutes)
        .describe('Pending updates are emitted whenever stream time enters a later slot of this many minutes'),
      intervalS: z
        .number()
        .min(0)
        .default(intervalS)
        .describe('Least wall-clock time between commits that emit pending updates (0: every commit)'),
    })
    .prefault({});
}

/**
 * `stream.commitIntervalMs` unless configured (also the stream worker's default). Kafka Streams commits every 100 ms
 * under exactly-once; a backfill's transactions here cost a few ms each.
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 1_000;

export const streamSchema = z
  .strictObject({
    commitIntervalMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(DEFAULT_COMMIT_INTERVAL_MS)
      .describe(
        'Processing time after which a stream task commits its Kafka transaction and takes the rest of a fetched batch in the next one (then heartbeats, so a rebalance is not held up by a backlog)',
      ),
    updates: z
      .strictObject({
        // Hourly: the token scorer's hourly detector reads the hourly increments.
        tokens: updateCadenceSchema(60, 0),
        // No boundary inside the day, at most one update per window per 10 s: address windows are most of the volume.
        addresses: updateCadenceSchema(1440, 10),
      })
      .prefault({}),
  })
  .prefault({});

export const ingestSchema = z
  .strictObject({
    stateDir: z
      .string()
      .optional()
      .describe(
        'LMDB state of the block source (checkpoints, recent hashes), relative to the repo root; default <stack.stateDir>/source',
      ),
    batchSize: z.number().int().min(1).default(25).describe('Blocks per fetch batch'),
    concurrency: z.number().int().min(1).default(8).describe('Batches fetched at once (published in block order)'),
    fetchWorkers: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe(
        'Backfill: worker threads that fetch, parse and Avro-encode batches beside the Kafka producer (0 = in the source thread, best on 2 cores shared with the broker); the RPC rate and in-flight limits are shared between them',
      ),
    transactionMaxBlocks: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe('Most blocks per Kafka transaction: fetched batches that are ready are published together up to this'),
    reorgMargin: z.number().int().min(0).default(64).describe('Block hashes kept beyond the confirmation depth for reorg checks'),
    pollIntervalMs: z.number().int().min(50).default(2000).describe('Live mode: head poll interval when caught up'),
    progressIntervalS: z.number().int().min(1).default(10).describe('Progress log interval'),
    rpcTimeoutMs: z.number().int().min(100).default(10_000).describe('Per HTTP request to an RPC endpoint'),
    rpcBatchSize: z.number().int().min(1).default(50).describe('JSON-RPC calls per HTTP request (halved if refused)'),
    rpcInitialRps: z.number().min(1).default(25).describe('Starting call rate per endpoint (adaptive)'),
    rpcMaxRps: z.number().min(1).default(500).describe('Ceiling of the adaptive call rate per endpoint'),
    rpcMinRps: z.number().min(0.1).default(1).describe('Floor of the adaptive call rate per endpoint (429s never push it lower)'),
    rpcMaxInFlight: z.number().int().min(1).default(8).describe('HTTP requests in flight per endpoint'),
    maxLogsRange: z.number().int().min(1).default(50).describe('Largest eth_getLogs block range'),
    compression: z.enum(['none', 'gzip']).default('none').describe("Compression of the raw topics' record batches"),
    sinkMaxRows: z.number().int().min(1).default(50_000).describe('Raw sinks: rows per ClickHouse insert'),
    sinkMaxWaitMs: z.number().int().min(10).default(1000).describe('Raw sinks: longest wait before inserting a partial batch'),
  })
  .prefault({});

export const metricsSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Bind address of the /metrics servers (loopback by default)'),
    port: z.number().int().min(0).max(65535).default(9464).describe('Prometheus /metrics port of `oracul start` (0 = off)'),
    workerPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9465)
      .describe('/metrics port of `oracul worker` (0 = off; one port per worker on a host: --metrics-port)'),
    gatewayPort: z.number().int().min(0).max(65535).default(9466).describe('/metrics port of `oracul gateway` (0 = off)'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  env: z.enum(['development', 'test', 'production']).default('development').describe('Deployment profile'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  stack: stackSchema,
  kafka: kafkaSchema,
  clickhouse: clickhouseSchema,
  chains: z.array(chainSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  gateway: gatewaySchema,
  alerts: alertsSchema,
  anomalies: anomaliesSchema,
  dq: dqSchema,
  prices: pricesSchema,
  stream: streamSchema,
  ingest: ingestSchema,
  metrics: metricsSchema,
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
