import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './auth.ts';
import type { ResponseScope } from './response-cache.ts';

/** What the HTTP layer hands to Yoga for one request, and fills in for the request log. */
export interface RequestInfo {
  principal: Principal;
  operationName: string | null;
  errorCodes: Set<string>;
  /** Response-cache key of the operation (HTTP queries), and what it read (set when its context is built). */
  responseKey?: string;
  scope?: ResponseScope;
  /** Answered from the response cache. */
  cached?: boolean;
}

/** Yoga's server context: the node request and response, plus who calls (authenticated before Yoga). */
export interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The graphql-ws socket of a WebSocket operation (absent over HTTP). */
  socket?: object;
  principal: Principal;
  info: RequestInfo;
}
