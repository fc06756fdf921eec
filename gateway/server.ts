import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import DataLoader from 'dataloader';
import type { ExecutionArgs, ExecutionResult, GraphQLError, ValidationRule, execute, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { OraculConfig } from '../config/schema.ts';
import { PortInUseError } from '../core/errors.ts';
import { createKafka } from '../core/kafka/client.ts';
import { componentLogger, type Logger } from '../core/logger.ts';
import { createWarehouseClient } from '../dwh/client.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../schemas/index.ts';
import { ApiKeys, type Principal } from './auth.ts';
import { FinalizedCache } from './cache.ts';
import { GATEWAY_ERROR_CODES, GatewayUpstreamError, isGraphQLErrorLike, type GatewayErrorCode } from './errors.ts';
import { HealthProbe } from './health.ts';
import { SubscriptionSlots, WarehouseBudget, warehouseQueriesRule } from './limits.ts';
import { LiveFeed } from './live.ts';
import { ResponseCache, ResponseScope, cacheableOperation } from './response-cache.ts';
import type { GatewayContext } from './builder.ts';
import { buildSchema } from './schema/index.ts';
import { WarehouseReader, type TokenRow } from './warehouse.ts';

/** What the HTTP layer hands to Yoga for one request, and fills in for the request log. */
interface RequestInfo {
  principal: Principal;
  operationName: string | null;
  errorCodes: Set<string>;
  /** Response-cache key of the operation (HTTP queries), and what it read (set when its context is built). */
  responseKey?: string;
  scope?: ResponseScope;
  /** Answered from the response cache. */
  cached?: boolean;
}
interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The graphql-ws socket of a WebSocket operation (absent over HTTP). */
  socket?: object;
  principal: Principal;
  info: RequestInfo;
}

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

const LIMIT_MESSAGES: [RegExp, GatewayErrorCode][] = [
  [/Query depth limit/, GATEWAY_ERROR_CODES.depthLimit],
  [/Query Cost limit/, GATEWAY_ERROR_CODES.costLimit],
  [/Aliases limit/, GATEWAY_ERROR_CODES.aliasLimit],
  [/Token limit/, GATEWAY_ERROR_CODES.tokenLimit],
  [/Directives limit/, GATEWAY_ERROR_CODES.directiveLimit],
  [/introspection has been disabled/i, GATEWAY_ERROR_CODES.introspectionDisabled],
];

/** Gives every client-visible error a stable code: limits by their rule, other parse/validation errors INVALID_INPUT. */
export function withCode(error: GraphQLError): GraphQLError {
  const existing = error.extensions.code;
  if (typeof existing === 'string' && existing.startsWith('ORACUL_GATEWAY_')) return error;
  const code = LIMIT_MESSAGES.find(([pattern]) => pattern.test(error.message))?.[1] ?? GATEWAY_ERROR_CODES.invalidInput;
  return createGraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

function effectiveFlag(value: boolean | undefined, env: OraculConfig['env']): boolean {
  return value ?? env !== 'production';
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
  const keys = new ApiKeys(gw);
  if (keys.size === 0)
    logger.warn({ msg: 'no gateway.apiKeys configured: every GraphQL request is refused (oracul gateway key)' });
  const introspection = effectiveFlag(gw.introspection, config.env);
  const graphiql = effectiveFlag(gw.graphiql, config.env);

  const client = createWarehouseClient({ config, role: 'readonly' });
  const cache = new FinalizedCache({ maxEntries: gw.cacheEntries, ttlMs: gw.cacheTtlS * 1000 });
  const responses = new ResponseCache({ maxEntries: gw.cacheEntries, ttlMs: gw.cacheTtlS * 1000 });
  const reader = new WarehouseReader({ client, chainId: gw.chainId, logger, cache, recentCacheMs: gw.recentCacheMs });
  const kafka = createKafka({ config, logger, clientSuffix: 'gateway' });
  const serdes = params.serdes ?? createSchemaRegistrySerdes({ config });
  const live = new LiveFeed({
    kafka,
    serdes,
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

  const armor = new EnvelopArmor({
    maxDepth: { n: gw.maxDepth, exposeLimits: true, ignoreIntrospection: true },
    costLimit: { maxCost: gw.maxCost, exposeLimits: true, ignoreIntrospection: true },
    maxAliases: { n: gw.maxAliases, exposeLimits: true },
    maxTokens: { n: gw.maxTokens, exposeLimits: true },
    maxDirectives: { n: 20, exposeLimits: true },
    blockFieldSuggestion: { enabled: !introspection },
  });

  const codePlugin: Plugin<Record<string, unknown>, ServerContext> = {
    onParams({ params: p, context }) {
      if (context?.info) context.info.operationName = p.operationName ?? null;
    },
    onResultProcess({ result, setResult, serverContext }) {
      const tag = (r: ExecutionResult): ExecutionResult => {
        if (!r.errors?.length) return r;
        const errors = r.errors.map(withCode);
        for (const e of errors) serverContext?.info?.errorCodes.add(String(e.extensions.code));
        return { ...r, errors };
      };
      if (Array.isArray(result)) setResult(result.map((r) => tag(r as ExecutionResult)));
      else if (!(Symbol.asyncIterator in (result as object))) setResult(tag(result as ExecutionResult));
    },
  };
  // graphql's NoSchemaIntrospectionCustomRule, with errors from the graphql copy Yoga uses.
  const noIntrospection: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          createGraphQLError(
            `GraphQL introspection has been disabled, but the requested query contained the field "${node.name.value}".`,
            {
              nodes: [node],
            },
          ),
        );
      }
    },
  });
  const introspectionPlugin: Plugin = {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospection);
    },
  };
  // Whole results of operations that read only closed, final days (gateway/response-cache.ts). A hit skips
  // parsing, validation and execution: the document passed them when its result was stored (same limits,
  // same role), and auth and the rate limit ran before Yoga. Only error-free results are stored.
  const responseCachePlugin: Plugin<Record<string, unknown>, ServerContext> = {
    onParams({ params: p, context, setResult }) {
      const info = context?.info;
      if (!info || typeof p.query !== 'string') return;
      const key = ResponseCache.key(info.principal.role, p.operationName, p.query, p.variables);
      const hit = responses.get(key);
      if (hit) {
        info.cached = true;
        setResult(hit);
      } else info.responseKey = key;
    },
    onExecute({ args }) {
      const ctx = args.contextValue as Partial<GatewayContext>;
      if (!cacheableOperation(args.document, args.operationName)) ctx.scope?.uncacheable();
    },
    onResultProcess({ result, serverContext }) {
      const info = serverContext?.info;
      if (!info?.responseKey || !info.scope || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      responses.offer(info.responseKey, result as ExecutionResult, info.scope);
    },
  };
  // Refuses, before anything runs, an operation that would send too many warehouse queries.
  const warehouseLimitPlugin: Plugin = {
    onValidate({ addValidationRule }) {
      addValidationRule(warehouseQueriesRule(gw.maxWarehouseQueriesPerOperation));
    },
  };

  const yoga: YogaServerInstance<ServerContext, GatewayContext> = createYoga<ServerContext, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiql ? { subscriptionsProtocol: 'WS', title: 'Oracul' } : false,
    cors:
      gw.corsOrigins.length > 0
        ? { origin: [...gw.corsOrigins], allowedHeaders: ['content-type', gw.apiKeyHeader], methods: ['GET', 'POST', 'OPTIONS'] }
        : false,
    logging: {
      debug: (...args: unknown[]) => logger.debug({ msg: String(args[0]) }),
      info: (...args: unknown[]) => logger.debug({ msg: String(args[0]) }),
      warn: (...args: unknown[]) => logger.warn({ msg: String(args[0]) }),
      // Resolver failures are logged once by maskError / WarehouseReader; Yoga's own copy is debug.
      error: (...args: unknown[]) => logger.debug({ msg: 'yoga error', detail: args.map(String) }),
    },
    maskedErrors: {
      maskError: (error: unknown) => {
        const gql = isGraphQLErrorLike(error) ? error : undefined;
        const original = gql?.originalError ?? error;
        const code = gql?.extensions.code ?? (isGraphQLErrorLike(original) ? original.extensions.code : undefined);
        if (gql && typeof code === 'string' && code.startsWith('ORACUL_GATEWAY_')) return gql;
        // A rule that throws while validating (GraphQL Armor) or the parser: a client error, not a failure.
        if (isGraphQLErrorLike(original) && !original.originalError && !original.path) return withCode(original);
        const upstream = original instanceof GatewayUpstreamError;
        if (!upstream) logger.error({ msg: 'unexpected gateway error', err: original });
        return createGraphQLError(upstream ? 'upstream unavailable; retry later' : 'internal error', {
          nodes: gql?.nodes,
          path: gql?.path,
          extensions: { code: upstream ? GATEWAY_ERROR_CODES.unavailable : GATEWAY_ERROR_CODES.internal },
        });
      },
    },
    plugins: [
      responseCachePlugin,
      ...armor.protect().plugins,
      ...(introspection ? [] : [introspectionPlugin]),
      warehouseLimitPlugin,
      codePlugin,
    ],
    context: ({ principal, socket, req, info }: Pick<ServerContext, 'principal' | 'socket' | 'req' | 'info'>): GatewayContext => {
      const budget = new WarehouseBudget(gw.maxWarehouseQueriesPerOperation);
      const scope = new ResponseScope();
      if (info) info.scope = scope;
      return {
        scope,
        principal,
        reader,
        live,
        health,
        budget,
        subscriptions,
        // A WebSocket operation counts against its socket; an HTTP (SSE) one against its TCP connection.
        connection: socket ?? req.socket,
        maxRangeDays: gw.maxRangeDays,
        loaders: {
          tokenByAddress: new DataLoader<string, TokenRow | null>(
            async (addresses) => {
              const rows = await reader.tokensByAddress(addresses, budget);
              const byAddress = new Map(rows.map((r) => [r.address, r]));
              return addresses.map((a) => byAddress.get(a) ?? null);
            },
            { maxBatchSize: 500 },
          ),
        },
      };
    },
  });

  // Yoga's node listener sends the response; it takes extra server context after (req, res) (untyped there).
  const serveYoga = yoga.requestListener as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    context: Pick<ServerContext, 'principal' | 'info'>,
  ) => Promise<void>;

  const allowedOrigin = (origin: string | undefined): string | undefined =>
    origin && (gw.corsOrigins.includes(origin) || gw.corsOrigins.includes('*')) ? origin : undefined;

  const sendJson = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const origin = allowedOrigin(req.headers.origin);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const errorBody = (code: GatewayErrorCode, message: string) => ({ errors: [{ message, extensions: { code } }] });

  const presentedKey = (req: IncomingMessage): string | undefined => {
    const value = req.headers[gw.apiKeyHeader.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(req, res, 200, { status: 'ok' });
    if (path === '/readyz') {
      // Unauthenticated (probes carry no key), so cheap and terse: the background check's state, up/down only.
      const ready = health.ready();
      return sendJson(
        req,
        res,
        ready.ready ? 200 : 503,
        {
          status: ready.ready ? 'ready' : 'not ready',
          checkAgeMs: ready.checkAgeMs,
          components: ready.components.map(({ name, status }) => ({ name, status })),
        },
        { 'cache-control': 'no-store' },
      );
    }
    if (path !== '/graphql') return sendJson(req, res, 404, { error: 'not found' });
    const anonymous: Principal = { keyId: '-', role: 'read' };
    // CORS preflight and the GraphiQL page itself need no key (the page sends it with each request).
    const wantsPage =
      req.method === 'GET' && graphiql && (req.headers.accept ?? '').includes('text/html') && !(req.url ?? '').includes('query=');
    if (req.method === 'OPTIONS' || wantsPage) {
      const info: RequestInfo = { principal: anonymous, operationName: null, errorCodes: new Set() };
      await serveYoga(req, res, { principal: anonymous, info });
      return;
    }
    const auth = keys.authenticate(presentedKey(req));
    const logRequest = (principal: Principal, info: RequestInfo | undefined, status: number) =>
      logger.info({
        msg: 'request',
        key_id: principal.keyId,
        role: principal.role,
        method: req.method,
        operation_name: info?.operationName ?? null,
        status,
        error_codes: info ? [...info.errorCodes] : [],
        response_cache: info?.cached === true,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      });
    if (!auth.ok) {
      logRequest(anonymous, undefined, 401);
      return sendJson(
        req,
        res,
        401,
        errorBody(GATEWAY_ERROR_CODES.unauthenticated, `missing or invalid API key (header ${gw.apiKeyHeader})`),
        {
          'www-authenticate': `ApiKey header="${gw.apiKeyHeader}"`,
        },
      );
    }
    const principal = auth.principal;
    const rate = await keys.consume(principal);
    if (!rate.ok) {
      logRequest(principal, undefined, 429);
      return sendJson(req, res, 429, errorBody(GATEWAY_ERROR_CODES.rateLimited, 'rate limit exceeded for this API key'), {
        'retry-after': String(rate.retryAfterS),
      });
    }
    const info: RequestInfo = { principal, operationName: null, errorCodes: new Set() };
    res.once('close', () => logRequest(principal, info, res.statusCode));
    await serveYoga(req, res, { principal, info });
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      logger.error({ msg: 'request handler failed', err: error });
      if (!res.headersSent) sendJson(req, res, 500, errorBody(GATEWAY_ERROR_CODES.internal, 'internal error'));
      else res.end();
    });
  });

  // graphql-ws on the same path: the key comes in connection_init's payload or the upgrade request's header.
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const wsServer = useServer<Record<string, unknown> | undefined, { principal: Principal }>(
    {
      onConnect: (ctx) => {
        const fromParams = ctx.connectionParams?.[gw.apiKeyHeader] ?? ctx.connectionParams?.apiKey;
        const headerValue = ctx.extra.request.headers[gw.apiKeyHeader.toLowerCase()];
        const presented = typeof fromParams === 'string' ? fromParams : Array.isArray(headerValue) ? headerValue[0] : headerValue;
        const result = keys.authenticate(presented);
        if (!result.ok) {
          logger.info({ msg: 'websocket refused', key_id: '-', reason: GATEWAY_ERROR_CODES.unauthenticated });
          return false;
        }
        (ctx.extra as { principal?: Principal }).principal = result.principal;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const principal = ctx.extra.principal as Principal;
        const rate = await keys.consume(principal);
        if (!rate.ok) {
          return [
            createGraphQLError('rate limit exceeded for this API key', { extensions: { code: GATEWAY_ERROR_CODES.rateLimited } }),
          ];
        }
        const info: RequestInfo = { principal, operationName: payload.operationName ?? null, errorCodes: new Set() };
        const enveloped = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
          info,
        });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [withCode(isGraphQLErrorLike(error) ? error : createGraphQLError(String(error)))];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors.map(withCode);
        logger.info({
          msg: 'websocket operation',
          key_id: principal.keyId,
          role: principal.role,
          operation_name: info.operationName,
        });
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        return args;
      },
      execute: (args) =>
        (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as ReturnType<typeof execute>,
      subscribe: (args) =>
        (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as ReturnType<typeof subscribe>,
    },
    wss,
  );

  await live.start();
  health.start();

  const host = params.host ?? gw.host;
  const port = params.port ?? gw.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, 'gateway') : error);
    });
    server.listen(port, host, () => resolve());
  }).catch(async (error: unknown) => {
    await health.close();
    await live.stop().catch(() => undefined);
    await client.close().catch(() => undefined);
    throw error;
  });
  const bound = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${bound}`;
  logger.info({ msg: 'gateway listening', url: `${origin}/graphql`, introspection, graphiql, api_keys: keys.size });

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/graphql`,
    wsUrl: `ws://${host}:${bound}/graphql`,
    origin,
    live,
    reader,
    responses,
    health,
    close() {
      closing ??= (async () => {
        await wsServer.dispose();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await live.stop().catch((error: unknown) => logger.warn({ msg: 'live feed stop failed', err: error }));
        await health.close();
        await client.close();
      })();
      return closing;
    },
  };
}
