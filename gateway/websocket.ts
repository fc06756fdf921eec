import type { Server } from 'node:http';
import type { ExecutionArgs, GraphQLError, execute, subscribe } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { createGraphQLError } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { ApiKeys, Principal } from './auth.ts';
import { GATEWAY_ERROR_CODES, isGraphQLErrorLike } from './errors.ts';
import { presentedKey } from './http.ts';
import { withCode } from './plugins/use-error-codes.ts';
import type { RequestInfo } from './server-context.ts';
import type { GatewayYoga } from './yoga.ts';

export interface WebSocketParameters {
  gw: OraculConfig['gateway'];
  keys: ApiKeys;
  yoga: GatewayYoga;
  logger: Logger;
}

/** The graphql-ws endpoint and its socket server, to close on shutdown. */
export interface GraphqlWs {
  close(): Promise<void>;
}

type WsContext = Context<Record<string, unknown> | undefined, Extra & Partial<{ principal: Principal }>>;

/**
 * graphql-ws on the same /graphql path: the key comes in connection_init's payload or the upgrade request's
 * header; each subscribe is rate-limited, then parsed, validated and run through Yoga's envelope (same plugins).
 */
export function serveGraphqlWs(server: Server, params: WebSocketParameters): GraphqlWs {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const wsServer = useServer<Record<string, unknown> | undefined, { principal: Principal }>(
    {
      onConnect: (ctx) => authenticateSocket(params, ctx),
      onSubscribe: (ctx, _id, payload) => prepareOperation(params, ctx, payload),
      execute: (args) =>
        (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as ReturnType<typeof execute>,
      subscribe: (args) =>
        (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as ReturnType<typeof subscribe>,
    },
    wss,
  );
  return {
    async close() {
      await wsServer.dispose();
      wss.close();
    },
  };
}

/** Accepts the connection when its key is valid, and remembers the principal on the socket. */
function authenticateSocket({ gw, keys, logger }: WebSocketParameters, ctx: WsContext): boolean {
  const fromParams = ctx.connectionParams?.[gw.apiKeyHeader] ?? ctx.connectionParams?.apiKey;
  const presented = typeof fromParams === 'string' ? fromParams : presentedKey(ctx.extra.request, gw.apiKeyHeader);
  const result = keys.authenticate(presented);
  if (!result.ok) {
    logger.info({ msg: 'websocket refused', key_id: '-', reason: GATEWAY_ERROR_CODES.unauthenticated });
    return false;
  }
  ctx.extra.principal = result.principal;
  return true;
}

/** The execution arguments of one subscribe message, or the errors that refuse it (rate limit, parse, validation). */
async function prepareOperation(
  { keys, yoga, logger }: WebSocketParameters,
  ctx: WsContext,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
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
  logger.info({ msg: 'websocket operation', key_id: principal.keyId, role: principal.role, operation_name: info.operationName });
  return {
    schema: enveloped.schema,
    operationName: payload.operationName,
    document,
    variableValues: payload.variables,
    contextValue: await enveloped.contextFactory(),
    rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
  };
}
