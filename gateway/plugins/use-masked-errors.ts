import { createGraphQLError } from 'graphql-yoga';
import type { Logger } from '../../core/logger.ts';
import { GATEWAY_ERROR_CODES, GatewayUpstreamError, isGraphQLErrorLike } from '../errors.ts';
import { withCode } from './use-error-codes.ts';

/**
 * Yoga's masked-errors options (Yoga installs its useMaskedErrors plugin with them): gateway errors and client
 * errors keep their message and code; an upstream failure becomes UNAVAILABLE, anything else INTERNAL (logged once).
 */
export function maskedErrors(logger: Logger): { maskError: (error: unknown) => Error } {
  return {
    maskError: (error: unknown) => {
      const gql = isGraphQLErrorLike(error) ? error : undefined;
      const original = gql?.originalError ?? error;
      const code = gql?.extensions?.code ?? (isGraphQLErrorLike(original) ? original.extensions?.code : undefined);
      if (gql && typeof code === 'string' && code.startsWith('ORACUL_GATEWAY_')) return gql;
      // A rule that throws while validating (GraphQL Armor) or the parser: a client error, not a failure.
      if (isGraphQLErrorLike(original) && !original.originalError && !original.path) return withCode(original);
      const upstream = original instanceof GatewayUpstreamError;
      if (!upstream) logger.error({ msg: 'unexpected gateway error', err: original });
      return createGraphQLError(upstream ? 'upstream unavailable; retry later' : 'internal error', {
        nodes: gql?.nodes,
        source: gql?.source,
        positions: gql?.positions,
        path: gql?.path,
        extensions: { code: upstream ? GATEWAY_ERROR_CODES.unavailable : GATEWAY_ERROR_CODES.internal },
      });
    },
  };
}
