import type { ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { GATEWAY_ERROR_CODES, type GatewayErrorCode } from '../errors.ts';
import type { ServerContext } from '../server-context.ts';

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

/** Codes every error of a result (withCode) and records the codes and the operation name for the request log. */
export function useErrorCodes(): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onParams({ params, context }) {
      if (context?.info) context.info.operationName = params.operationName ?? null;
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
}
