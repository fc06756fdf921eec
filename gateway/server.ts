import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OraculConfig } from '../config/schema.ts';
import { PortInUseError } from '../core/errors.ts';
import { createKafka } from '../core/kafka/client.ts';
import { componentLogger, type Logger } from '../core/logger.ts';
import { createWarehouseClient } from '../dwh/client.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../schemas/index.ts';
import { ApiKeys } from './auth.ts';
import { FinalizedCache } from './cache.ts';
import { GATEWAY_ERROR_CODES } from './errors.ts';
import { HealthProbe } from './health.ts';
import { createHttpHandler, errorBody, jsonSender } from './http.ts';
import { SubscriptionSlots } from './limits.ts';
import { LiveFeed } from './live.ts';
import { ResponseCache } from './response-cache.ts';
import { WarehouseReader } from './warehouse.ts';
import { textStatements, type TextStatements } from './text-statements.ts';
import { serveGraphqlWs, type GraphqlWs } from './websocket.ts';
import { createGatewayYoga, type GatewayServices } from './yoga.ts';

export interface StartGatewayParameters {
  config: OraculConfig;
  logger: Logger;
  /** Override gateway.host / gateway.port (0 = any free port, for tests). */
  host?: string;
  port?: number;
  /** Serdes for the subscribed topics; default: the schema registry of kafka.schemaRegistryUrl. */
  serdes?: Serdes;
}

export interface Gateway {
  /** http://host:port/graphql */
  readonly url: string;
  /** ws://host:port/graphql */
  readonly wsUrl: string;
  readonly origin: string;
  readonly live: LiveFeed;
  readonly reader: WarehouseReader;
  readonly responses: ResponseCache;
  readonly health: HealthProbe;
  close(): Promise<void>;
}

/** The gateway's long-lived parts: the warehouse client and caches, the live feed, the health probe. */
interface Runtime extends GatewayServices {
  client: ReturnType<typeof createWarehouseClient>;
  /** The day-range statements' own connections. */
  statements: TextStatements;
}

/**
 * Starts the GraphQL gateway: graphql-yoga over node:http (queries, mutations-free, SSE
 * subscriptions) and graphql-ws on the same /graphql path, /healthz and /readyz,
 * API-key auth and per-key rate limits before Yoga, GraphQL Armor limits inside it.
 */
export async function startGateway(params: StartGatewayParameters): Promise<Gateway> {
  const { config } = params;
  const gw = config.gateway;
  const logger = componentLogger(params.logger, 'gateway');
  const keys = apiKeys(gw, logger);
  const introspection = effectiveFlag(gw.introspection, config.env);
  const graphiql = effectiveFlag(gw.graphiql, config.env);
  const runtime = createRuntime(params, logger);
  const yoga = createGatewayYoga({ gw, introspection, graphiql, logger, services: runtime });
  const server = httpServer(createHttpHandler({ gw, graphiql, keys, health: runtime.health, yoga, logger }), gw, logger);
  const ws = serveGraphqlWs(server, { gw, keys, yoga, logger });

  await runtime.live.start();
  runtime.health.start();
  const host = params.host ?? gw.host;
  const port = await listen(server, host, params.port ?? gw.port, runtime);
  const origin = `http://${host}:${port}`;
  logger.info({ msg: 'gateway listening', url: `${origin}/graphql`, introspection, graphiql, api_keys: keys.size });
  return {
    url: `${origin}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    origin,
    live: runtime.live,
    reader: runtime.reader,
    responses: runtime.responses,
    health: runtime.health,
    close: once(() => shutdown(server, ws, runtime, logger)),
  };
}

function effectiveFlag(value: boolean | undefined, env: OraculConfig['env']): boolean {
  return value ?? env !== 'production';
}

function apiKeys(gw: OraculConfig['gateway'], logger: Logger): ApiKeys {
  const keys = new ApiKeys(gw);
  if (keys.size === 0)
    logger.warn({ msg: 'no gateway.apiKeys configured: every GraphQL request is refused (oracul gateway key)' });
  return keys;
}

/**
 * The warehouse reader with its caches, the live feed (whose mart updates invalidate both caches), the health
 * probe and the subscription slots. Nothing is started yet.
 */
function createRuntime(params: StartGatewayParameters, logger: Logger): Runtime {
  const { config } = params;
  const gw = config.gateway;
  const client = createWarehouseClient({ config, role: 'readonly' });
  const statements = textStatements(config.clickhouse);
  const cache = new FinalizedCache({ maxEntries: gw.cacheEntries, ttlMs: gw.cacheTtlS * 1000 });
  const responses = new ResponseCache({
    maxEntries: gw.cacheEntries,
    ttlMs: gw.cacheTtlS * 1000,
    // Bound before any request: the reader is built next.
    servesRecent: (read) => reader.servesRecent(read),
  });
  const reader = new WarehouseReader({
    client,
    chainId: gw.chainId,
    logger,
    cache,
    recentCacheMs: gw.recentCacheMs,
    readBatch: gw.readBatch,
    sendText: statements.send,
  });
  const kafka = createKafka({ config, logger, clientSuffix: 'gateway' });
  const live = new LiveFeed({
    kafka,
    serdes: params.serdes ?? createSchemaRegistrySerdes({ config }),
    logger: componentLogger(logger, 'gateway-live'),
    clientId: config.kafka.clientId,
    replayBufferSize: gw.replayBufferSize,
    onMartUpdate: (entity, day) => {
      cache.invalidate(entity, day);
      responses.invalidate(entity, day);
    },
  });
  const health = new HealthProbe({ config, kafka, reader, live, logger });
  const subscriptions = new SubscriptionSlots(gw.maxSubscriptionsPerKey, gw.maxSubscriptionsPerConnection);
  return { client, statements, reader, responses, live, health, subscriptions };
}

/** node:http around the handler; a handler that throws answers 500 (or ends a response already under way). */
function httpServer(handler: ReturnType<typeof createHttpHandler>, gw: OraculConfig['gateway'], logger: Logger): Server {
  const sendJson = jsonSender(gw.corsOrigins);
  return createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      logger.error({ msg: 'request handler failed', err: error });
      if (!res.headersSent) sendJson(req, res, 500, errorBody(GATEWAY_ERROR_CODES.internal, 'internal error'));
      else res.end();
    });
  });
}

/** Listens on host:port (0 = any free port) and returns the bound port; on failure stops what was started. */
async function listen(server: Server, host: string, port: number, runtime: Runtime): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, 'gateway') : error);
    });
    server.listen(port, host, () => resolve());
  }).catch(async (error: unknown) => {
    await runtime.health.close();
    await runtime.live.stop().catch(() => undefined);
    await runtime.client.close().catch(() => undefined);
    runtime.statements.close();
    throw error;
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, drops open connections, then stops the live feed, the health probe and the warehouse client. */
async function shutdown(server: Server, ws: GraphqlWs, runtime: Runtime, logger: Logger): Promise<void> {
  await ws.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await runtime.live.stop().catch((error: unknown) => logger.warn({ msg: 'live feed stop failed', err: error }));
  await runtime.health.close();
  await runtime.client.close();
  runtime.statements.close();
}

/** `fn` run at most once; every call returns the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
