import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../builder.ts';
import { ResponseCache, cacheableOperation } from '../response-cache.ts';
import type { ServerContext } from '../server-context.ts';

/**
 * Whole results of operations that read only closed, final days (gateway/response-cache.ts). A hit skips
 * parsing, validation and execution: the document passed them when its result was stored (same limits,
 * same role), and auth and the rate limit ran before Yoga. Only error-free results are stored.
 */
export function useResponseCache(responses: ResponseCache): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onParams({ params, context, setResult }) {
      const info = context?.info;
      if (!info || typeof params.query !== 'string') return;
      const key = ResponseCache.key(info.principal.role, params.operationName, params.query, params.variables);
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
}
