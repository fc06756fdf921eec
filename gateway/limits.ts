import type { FragmentDefinitionNode, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { GATEWAY_ERROR_CODES, gatewayError } from './errors.ts';

// Limits that count work rather than requests (issue 15, finding 4): open subscriptions per key and
// per connection, and warehouse queries per operation.

/**
 * Open subscriptions per API key (every connection and transport together) and per
 * connection (a graphql-ws socket; an SSE request is its own connection). A slot is taken
 * when a subscription starts and given back when it completes or its connection closes.
 */
export class SubscriptionSlots {
  private readonly byKey = new Map<string, number>();
  private readonly byConnection = new Map<object, number>();

  constructor(
    private readonly perKey: number,
    private readonly perConnection: number,
  ) {}

  /** Takes a slot or throws SUBSCRIPTION_LIMIT; the returned function gives it back (once). */
  acquire(keyId: string, connection: object | undefined): () => void {
    const held = this.byKey.get(keyId) ?? 0;
    if (held >= this.perKey) {
      throw gatewayError(
        GATEWAY_ERROR_CODES.subscriptionLimit,
        `this API key already has ${held} open subscriptions (gateway.maxSubscriptionsPerKey); close one first`,
        { limit: this.perKey },
      );
    }
    const onConnection = connection === undefined ? 0 : (this.byConnection.get(connection) ?? 0);
    if (onConnection >= this.perConnection) {
      throw gatewayError(
        GATEWAY_ERROR_CODES.subscriptionLimit,
        `this connection already has ${onConnection} open subscriptions (gateway.maxSubscriptionsPerConnection); close one first`,
        { limit: this.perConnection },
      );
    }
    this.byKey.set(keyId, held + 1);
    if (connection !== undefined) this.byConnection.set(connection, onConnection + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.byKey, keyId);
      if (connection !== undefined) decrement(this.byConnection, connection);
    };
  }

  held(keyId: string): number {
    return this.byKey.get(keyId) ?? 0;
  }
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}

/**
 * `iterator` that calls `release` exactly once when it ends: completed, returned (the client
 * unsubscribed or its connection closed) or thrown into.
 */
export function releasingOnEnd<T>(iterator: AsyncIterableIterator<T>, release: () => void): AsyncIterableIterator<T> {
  const guarded: AsyncIterableIterator<T> = {
    async next() {
      try {
        const result = await iterator.next();
        if (result.done) release();
        return result;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return(value?: unknown) {
      release();
      return (await iterator.return?.(value)) ?? { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      release();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]: () => guarded,
  };
  return guarded;
}

/**
 * The warehouse queries one operation may still send. The reader charges it right before a
 * query goes out (cache hits and calls shared with an identical query in flight are free);
 * past the limit the query is refused with WAREHOUSE_LIMIT and never sent.
 */
export class WarehouseBudget {
  private used = 0;

  constructor(private limit: number) {}

  charge(statement: string): void {
    if (this.used >= this.limit) {
      throw gatewayError(
        GATEWAY_ERROR_CODES.warehouseLimit,
        `operation needs more than ${this.limit} warehouse queries (gateway.maxWarehouseQueriesPerOperation); split it`,
        { limit: this.limit, statement },
      );
    }
    this.used += 1;
  }

  /**
   * No limit: for subscriptions, whose queries (token lookups of pushed events) follow the
   * Kafka topic, not the client's document; their number is bounded by the subscription caps.
   */
  lift(): void {
    this.limit = Number.POSITIVE_INFINITY;
  }

  get count(): number {
    return this.used;
  }
}

/** Warehouse queries each root Query field sends, before the `token` lookups of its rows. */
const ROOT_FIELD_QUERIES: Readonly<Record<string, number>> = {
  tokens: 1,
  tokenMetricsDaily: 1,
  addressFlowsDaily: 1,
  topTokens: 1,
  anomalies: 1,
  dataQuality: 1,
  // latestBlock and latestDataQuality (component states come from the readiness state).
  health: 2,
};

/**
 * Validation rule: refuses a query operation whose root fields would send more than `max`
 * warehouse queries (each root field its own, plus at least one token lookup batch when it
 * selects `token` anywhere), before anything runs. Aliases and fragments count like fields;
 * @skip/@include are not evaluated (the count is an upper bound). What only the data can tell
 * (lookup batches of more than 500 tokens) is counted at run time by WarehouseBudget.
 */
export function warehouseQueriesRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      if (node.operation !== 'query') return;
      const queries = rootQueries(node.selectionSet, context, new Set());
      if (queries > max) {
        context.reportError(
          createGraphQLError(
            `operation would send ${queries} warehouse queries, more than ${max} (gateway.maxWarehouseQueriesPerOperation); split it`,
            { nodes: [node], extensions: { code: GATEWAY_ERROR_CODES.warehouseLimit, limit: max, queries } },
          ),
        );
      }
    },
  });
}

function fragment(context: ValidationContext, name: string, seen: Set<string>): FragmentDefinitionNode | undefined {
  // A fragment cycle is reported by NoFragmentCyclesRule; here it must only not loop.
  if (seen.has(name)) return undefined;
  seen.add(name);
  return context.getFragment(name) ?? undefined;
}

function rootQueries(selectionSet: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === 'Field') {
      const own = ROOT_FIELD_QUERIES[selection.name.value];
      if (own === undefined) continue;
      const lookups = selection.selectionSet && selectsField(selection.selectionSet, 'token', context, new Set()) ? 1 : 0;
      total += own + lookups;
    } else if (selection.kind === 'InlineFragment') {
      total += rootQueries(selection.selectionSet, context, seen);
    } else {
      const definition = fragment(context, selection.name.value, seen);
      if (definition) total += rootQueries(definition.selectionSet, context, seen);
    }
  }
  return total;
}

function selectsField(selectionSet: SelectionSetNode, name: string, context: ValidationContext, seen: Set<string>): boolean {
  return selectionSet.selections.some((selection) => {
    if (selection.kind === 'Field') {
      return (
        selection.name.value === name || (!!selection.selectionSet && selectsField(selection.selectionSet, name, context, seen))
      );
    }
    if (selection.kind === 'InlineFragment') return selectsField(selection.selectionSet, name, context, seen);
    const definition = fragment(context, selection.name.value, seen);
    return definition !== undefined && selectsField(definition.selectionSet, name, context, seen);
  });
}
