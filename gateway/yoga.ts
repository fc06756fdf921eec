import DataLoader from 'dataloader';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { GatewayContext } from './builder.ts';
import type { HealthProbe } from './health.ts';
import { WarehouseBudget, type SubscriptionSlots } from './limits.ts';
import type { LiveFeed } from './live.ts';
import { useArmor } from './plugins/use-armor.ts';
import { useCompiledQueries } from './plugins/use-compiled-queries.ts';
import { useErrorCodes } from './plugins/use-error-codes.ts';
import { maskedErrors } from './plugins/use-masked-errors.ts';
import { useNoIntrospection } from './plugins/use-no-introspection.ts';
import { useResponseCache } from './plugins/use-response-cache.ts';
import { useWarehouseLimit } from './plugins/use-warehouse-limit.ts';
import { ResponseScope, type ResponseCache } from './response-cache.ts';
import { buildSchema } from './schema/index.ts';
import type { ServerContext } from './server-context.ts';
import type { TokenRow, WarehouseReader } from './warehouse.ts';

export type GatewayYoga = YogaServerInstance<ServerContext, GatewayContext>;

/** What the resolvers reach through the context, shared by every operation. */
export interface GatewayServices {
  reader: WarehouseReader;
  live: LiveFeed;
  health: HealthProbe;
  responses: ResponseCache;
  subscriptions: SubscriptionSlots;
}

export interface GatewayYogaParameters {
  gw: OraculConfig['gateway'];
  introspection: boolean;
  graphiql: boolean;
  logger: Logger;
  services: GatewayServices;
}

/** graphql-yoga over the gateway schema, with the gateway's plugins in order: response cache first, compiled queries before error codes, error codes last. */
export function createGatewayYoga({ gw, introspection, graphiql, logger, services }: GatewayYogaParameters): GatewayYoga {
  return createYoga<ServerContext, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    // Checked on the headers before Yoga (gateway/http.ts, gateway.maxRequestBodyBytes): every body has a length.
    maxRequestBodySize: false,
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
    maskedErrors: maskedErrors(logger),
    plugins: [
      useResponseCache(services.responses),
      ...useArmor(gw, introspection),
      ...(introspection ? [] : [useNoIntrospection()]),
      useWarehouseLimit(gw.maxWarehouseQueriesPerOperation),
      useCompiledQueries(),
      useErrorCodes(),
    ],
    context: (serverContext: Pick<ServerContext, 'principal' | 'socket' | 'req' | 'info'>) =>
      operationContext(gw, services, serverContext),
  });
}

/** The context of one operation: its own warehouse budget, response scope and token loader. */
function operationContext(
  gw: OraculConfig['gateway'],
  { reader, live, health, subscriptions }: GatewayServices,
  { principal, socket, req, info }: Pick<ServerContext, 'principal' | 'socket' | 'req' | 'info'>,
): GatewayContext {
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
    loaders: { tokenByAddress: tokenLoader(reader, budget) },
  };
}

/** Batches the `token` fields of one operation into tokensByAddress queries of up to 500 addresses. */
function tokenLoader(reader: WarehouseReader, budget: WarehouseBudget): DataLoader<string, TokenRow | null> {
  return new DataLoader<string, TokenRow | null>(
    async (addresses) => {
      const rows = await reader.tokensByAddress(addresses, budget);
      const byAddress = new Map(rows.map((r) => [r.address, r]));
      return addresses.map((a) => byAddress.get(a) ?? null);
    },
    { maxBatchSize: 500 },
  );
}
