import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../core/errors.ts';

/**
 * Stable codes of every error a gateway client can see, in `errors[].extensions.code`
 * (and in the JSON body of 401 / 429 responses). Clients branch on these, never on messages.
 */
export const GATEWAY_ERROR_CODES = {
  /** `Address` input is not 0x + 40 hex characters. */
  invalidAddress: 'ORACUL_GATEWAY_INVALID_ADDRESS',
  /** `Date` input is not an existing ISO day (YYYY-MM-DD). */
  invalidDate: 'ORACUL_GATEWAY_INVALID_DATE',
  /** `BigInt` input is not a base-10 integer string within 256 bits. */
  invalidBigInt: 'ORACUL_GATEWAY_INVALID_BIGINT',
  /** `from` is after `to`. */
  invalidRange: 'ORACUL_GATEWAY_INVALID_RANGE',
  /** `from`..`to` spans more days than gateway.maxRangeDays. */
  rangeTooLarge: 'ORACUL_GATEWAY_RANGE_TOO_LARGE',
  /** `first` is below 1 or above 500. */
  invalidFirst: 'ORACUL_GATEWAY_INVALID_FIRST',
  /** `after` is not a cursor this gateway issued for this field. */
  invalidCursor: 'ORACUL_GATEWAY_INVALID_CURSOR',
  /** Other malformed input (wrong type, unknown field or enum value, syntax error). */
  invalidInput: 'ORACUL_GATEWAY_INVALID_INPUT',
  /** No API key, or a key that matches no configured hash (HTTP 401). */
  unauthenticated: 'ORACUL_GATEWAY_UNAUTHENTICATED',
  /** The key's role may not use this field (ops-only fields with a read key). */
  forbidden: 'ORACUL_GATEWAY_FORBIDDEN',
  /** A request body over gateway.maxRequestBodyBytes (HTTP 413), without a Content-Length (411) or with a malformed one (400). */
  badRequestBody: 'ORACUL_GATEWAY_BAD_REQUEST_BODY',
  /** Too many requests for this key (HTTP 429, Retry-After set). */
  rateLimited: 'ORACUL_GATEWAY_RATE_LIMITED',
  /** Query depth above gateway.maxDepth. */
  depthLimit: 'ORACUL_GATEWAY_DEPTH_LIMIT',
  /** Query cost above gateway.maxCost. */
  costLimit: 'ORACUL_GATEWAY_COST_LIMIT',
  /** More aliases than gateway.maxAliases. */
  aliasLimit: 'ORACUL_GATEWAY_ALIAS_LIMIT',
  /** More tokens in the document than gateway.maxTokens. */
  tokenLimit: 'ORACUL_GATEWAY_TOKEN_LIMIT',
  /** Too many directives. */
  directiveLimit: 'ORACUL_GATEWAY_DIRECTIVE_LIMIT',
  /** The operation would send more warehouse queries than gateway.maxWarehouseQueriesPerOperation. */
  warehouseLimit: 'ORACUL_GATEWAY_WAREHOUSE_LIMIT',
  /** Too many open subscriptions for this key (gateway.maxSubscriptionsPerKey) or connection (…PerConnection). */
  subscriptionLimit: 'ORACUL_GATEWAY_SUBSCRIPTION_LIMIT',
  /** Introspection is disabled by configuration. */
  introspectionDisabled: 'ORACUL_GATEWAY_INTROSPECTION_DISABLED',
  /** ClickHouse or Kafka could not answer; retry later. The server error is logged, never returned. */
  unavailable: 'ORACUL_GATEWAY_UPSTREAM_UNAVAILABLE',
  /** Anything unexpected; details are in the gateway log under the same request. */
  internal: 'ORACUL_GATEWAY_INTERNAL',
} as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[keyof typeof GATEWAY_ERROR_CODES];

/**
 * A client-facing error: a GraphQLError whose extensions carry the stable code. Built with
 * graphql-yoga's createGraphQLError so it is an instance of the `graphql` copy Yoga, Pothos and
 * graphql-ws use (a bundler may hand this module the ESM copy of graphql: never `new GraphQLError` here).
 */
export function gatewayError(code: GatewayErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, { extensions: { code, ...extra } });
}

/** Duck-typed check: `instanceof GraphQLError` fails across two copies of graphql. */
export function isGraphQLErrorLike(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError' && 'extensions' in error;
}

/** A warehouse or Kafka call failed: retryable, logged with its cause, shown to clients as UPSTREAM_UNAVAILABLE. */
export class GatewayUpstreamError extends RetryableError {
  override readonly name = 'GatewayUpstreamError';
  constructor(message: string, options?: OraculErrorOptions) {
    super(GATEWAY_ERROR_CODES.unavailable, message, options);
  }
}

/** Gateway startup failed (port, config). */
export class GatewayStartError extends NonRetryableError {
  override readonly name = 'GatewayStartError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_GATEWAY_START_FAILED', message, options);
  }
}
