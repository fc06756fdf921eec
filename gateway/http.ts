import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { ApiKeys, Principal } from './auth.ts';
import { GATEWAY_ERROR_CODES, type GatewayErrorCode } from './errors.ts';
import type { HealthProbe } from './health.ts';
import type { RequestInfo, ServerContext } from './server-context.ts';
import type { GatewayYoga } from './yoga.ts';

export interface HttpHandlerParameters {
  gw: OraculConfig['gateway'];
  graphiql: boolean;
  keys: ApiKeys;
  health: HealthProbe;
  yoga: GatewayYoga;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ANONYMOUS: Principal = { keyId: '-', role: 'read' };

/**
 * The node:http request handler: /healthz and /readyz (no key), then /graphql: the API key and the per-key
 * rate limit are checked before Yoga sees the request, and every request is logged once with its outcome.
 */
export function createHttpHandler(params: HttpHandlerParameters): Handler {
  const { gw, graphiql, yoga } = params;
  // Yoga's node listener sends the response; it takes extra server context after (req, res) (untyped there).
  const serveYoga = yoga.requestListener as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    context: Pick<ServerContext, 'principal' | 'info'>,
  ) => Promise<void>;
  const sendJson = jsonSender(gw.corsOrigins);
  return async (req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(req, res, 200, { status: 'ok' });
    if (path === '/readyz') return sendReadiness(params.health, sendJson, req, res);
    if (path !== '/graphql') return sendJson(req, res, 404, { error: 'not found' });
    // CORS preflight and the GraphiQL page itself need no key (the page sends it with each request).
    if (req.method === 'OPTIONS' || (graphiql && wantsGraphiqlPage(req))) {
      return serveYoga(req, res, { principal: ANONYMOUS, info: requestInfo(ANONYMOUS) });
    }
    const logRequest = requestLogger(params.logger, req, started);
    const principal = await admit(params, sendJson, logRequest, req, res);
    if (!principal) return;
    const refusal = bodyRefusal(req, gw.maxRequestBodyBytes);
    if (refusal) {
      logRequest(principal, undefined, refusal.status);
      return sendJson(req, res, refusal.status, errorBody(GATEWAY_ERROR_CODES.badRequestBody, refusal.message));
    }
    const info = requestInfo(principal);
    res.once('close', () => logRequest(principal, info, res.statusCode));
    await serveYoga(req, res, { principal, info });
  };
}

/** The caller's principal when the key is valid and within its rate limit; otherwise answers 401 or 429 and logs. */
async function admit(
  { gw, keys }: HttpHandlerParameters,
  sendJson: JsonSender,
  logRequest: RequestLogger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Principal | undefined> {
  const auth = keys.authenticate(presentedKey(req, gw.apiKeyHeader));
  if (!auth.ok) {
    logRequest(ANONYMOUS, undefined, 401);
    const message = `missing or invalid API key (header ${gw.apiKeyHeader})`;
    sendJson(req, res, 401, errorBody(GATEWAY_ERROR_CODES.unauthenticated, message), {
      'www-authenticate': `ApiKey header="${gw.apiKeyHeader}"`,
    });
    return undefined;
  }
  const rate = await keys.consume(auth.principal);
  if (!rate.ok) {
    logRequest(auth.principal, undefined, 429);
    sendJson(req, res, 429, errorBody(GATEWAY_ERROR_CODES.rateLimited, 'rate limit exceeded for this API key'), {
      'retry-after': String(rate.retryAfterS),
    });
    return undefined;
  }
  return auth.principal;
}

const CONTENT_LENGTH = /^\d+$/;

/**
 * The body limit, checked on the headers before Yoga reads anything: a Content-Length over the limit is 413, a
 * malformed one 400, and a body without one (chunked) 411, so Yoga need not count a stream's bytes as it reads them
 * (its own check, which cost ~5 % of the gateway's CPU per request, is off: createGatewayYoga).
 */
function bodyRefusal(req: IncomingMessage, limit: number): { status: number; message: string } | undefined {
  const length = req.headers['content-length'];
  if (length === undefined) {
    return req.headers['transfer-encoding'] === undefined
      ? undefined
      : { status: 411, message: 'a request body needs a Content-Length header' };
  }
  if (!CONTENT_LENGTH.test(length)) return { status: 400, message: 'malformed Content-Length header' };
  return Number(length) > limit ? { status: 413, message: `request body over ${limit} bytes` } : undefined;
}

/** Unauthenticated (probes carry no key), so cheap and terse: the background check's state, up/down only. */
function sendReadiness(health: HealthProbe, sendJson: JsonSender, req: IncomingMessage, res: ServerResponse): void {
  const ready = health.ready();
  const body = {
    status: ready.ready ? 'ready' : 'not ready',
    checkAgeMs: ready.checkAgeMs,
    components: ready.components.map(({ name, status }) => ({ name, status })),
  };
  sendJson(req, res, ready.ready ? 200 : 503, body, { 'cache-control': 'no-store' });
}

function wantsGraphiqlPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !(req.url ?? '').includes('query=');
}

function requestInfo(principal: Principal): RequestInfo {
  return { principal, operationName: null, errorCodes: new Set() };
}

/** The key presented in the API-key header (the first one when repeated). */
export function presentedKey(req: IncomingMessage, header: string): string | undefined {
  const value = req.headers[header.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function errorBody(code: GatewayErrorCode, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

type RequestLogger = (principal: Principal, info: RequestInfo | undefined, status: number) => void;

/** The `request` log line of one HTTP request. */
function requestLogger(logger: Logger, req: IncomingMessage, started: number): RequestLogger {
  return (principal, info, status) =>
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
}

export type JsonSender = (
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
) => void;

/** Writes a JSON response, with the CORS origin header when the request's origin is allowed. */
export function jsonSender(corsOrigins: readonly string[]): JsonSender {
  const allowedOrigin = (origin: string | undefined): string | undefined =>
    origin && (corsOrigins.includes(origin) || corsOrigins.includes('*')) ? origin : undefined;
  return (req, res, status, body, headers = {}) => {
    const origin = allowedOrigin(req.headers.origin);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
}
