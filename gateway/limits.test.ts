import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import { describe, expect, it } from 'vitest';
import { releasingOnEnd, SubscriptionSlots, WarehouseBudget, warehouseQueriesRule } from './limits.ts';
import { buildSchema } from './schema/index.ts';

// The copy of graphql Pothos built the schema with (CommonJS); the test runner may load a second (ESM) one.
const { parse, validate } = createRequire(import.meta.url)('graphql') as typeof GraphQL;

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as { extensions?: { code?: unknown } }).extensions?.code;
  }
  return 'no error';
}

describe('SubscriptionSlots', () => {
  it('caps per key across connections and per connection; a release (once) frees the slot', () => {
    const slots = new SubscriptionSlots(3, 2);
    const a = {};
    const b = {};
    const a1 = slots.acquire('k', a);
    slots.acquire('k', a);
    expect(codeOf(() => slots.acquire('k', a))).toBe('ORACUL_GATEWAY_SUBSCRIPTION_LIMIT');
    slots.acquire('k', b);
    expect(codeOf(() => slots.acquire('k', b))).toBe('ORACUL_GATEWAY_SUBSCRIPTION_LIMIT');
    expect(codeOf(() => slots.acquire('k', undefined))).toBe('ORACUL_GATEWAY_SUBSCRIPTION_LIMIT');
    // Another key has its own count.
    expect(codeOf(() => slots.acquire('other', {}))).toBe('no error');
    a1();
    a1();
    expect(slots.held('k')).toBe(2);
    expect(codeOf(() => slots.acquire('k', a))).toBe('no error');
    expect(slots.held('k')).toBe(3);
  });
});

describe('releasingOnEnd', () => {
  async function* numbers(): AsyncGenerator<number> {
    yield 1;
    yield 2;
  }

  it('releases once when the stream completes, is returned or thrown into', async () => {
    let released = 0;
    const completed = releasingOnEnd(numbers(), () => (released += 1));
    const seen: number[] = [];
    for await (const n of completed) seen.push(n);
    expect(seen).toEqual([1, 2]);
    expect(released).toBe(1);

    released = 0;
    const returned = releasingOnEnd(numbers(), () => (released += 1));
    await returned.next();
    await returned.return!();
    expect(released).toBe(1);

    released = 0;
    const thrown = releasingOnEnd(numbers(), () => (released += 1));
    await expect(thrown.throw!(new Error('boom'))).rejects.toThrow('boom');
    expect(released).toBe(1);
  });
});

describe('WarehouseBudget', () => {
  it('refuses the query past the limit, before it is counted; lifted, it does not', () => {
    const budget = new WarehouseBudget(2);
    budget.charge('a');
    budget.charge('b');
    expect(codeOf(() => budget.charge('c'))).toBe('ORACUL_GATEWAY_WAREHOUSE_LIMIT');
    expect(budget.count).toBe(2);
    budget.lift();
    budget.charge('c');
    expect(budget.count).toBe(3);
  });
});

describe('warehouseQueriesRule', () => {
  const schema = buildSchema();
  const ADDRESS = '0x1111111111111111111111111111111111111111';
  const flows = (alias: string, extra = '') =>
    `${alias}: addressFlowsDaily(address: "${ADDRESS}", from: "2026-01-01", to: "2026-01-02") { date ${extra} }`;
  const check = (query: string, max = 4) =>
    validate(schema, parse(query), [warehouseQueriesRule(max)]).map((e) => [e.extensions.code, e.extensions.queries]);

  it('counts root fields, their token lookups, aliases, fragments and inline fragments', () => {
    expect(check(`{ ${flows('a')} ${flows('b')} ${flows('c')} ${flows('d')} }`)).toEqual([]);
    expect(check(`{ ${flows('a')} ${flows('b')} ${flows('c')} ${flows('d')} ${flows('e')} }`)).toEqual([
      ['ORACUL_GATEWAY_WAREHOUSE_LIMIT', 5],
    ]);
    // A token lookup is a query of its own.
    expect(check(`{ ${flows('a', 'token { symbol }')} ${flows('b')} ${flows('c')} }`)).toEqual([]);
    expect(check(`{ ${flows('a', 'token { symbol }')} ${flows('b')} ${flows('c')} ${flows('d')} }`)).toEqual([
      ['ORACUL_GATEWAY_WAREHOUSE_LIMIT', 5],
    ]);
    // Through a fragment at the root, and a token lookup inside a nested fragment.
    expect(
      check(
        `query { ...Root ... on Query { ${flows('c')} ${flows('d')} } } fragment Root on Query { ${flows('a', '...T')} ${flows('b')} } fragment T on AddressFlowDaily { token { symbol } }`,
      ),
    ).toEqual([['ORACUL_GATEWAY_WAREHOUSE_LIMIT', 5]]);
    // health sends two queries.
    expect(check(`{ health { latestBlockNumber } ${flows('a')} ${flows('b')} ${flows('c')} }`)).toEqual([
      ['ORACUL_GATEWAY_WAREHOUSE_LIMIT', 5],
    ]);
    // Fields that never reach the warehouse are free.
    expect(check(`{ __typename ${flows('a')} }`, 1)).toEqual([]);
  });

  it('does not count subscriptions, and survives a fragment cycle (reported by its own rule)', () => {
    expect(check('subscription { anomalyDetected { eventId anomaly { token { symbol } } } }', 1)).toEqual([]);
    expect(() =>
      validate(schema, parse(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A ${flows('x')} }`), [
        warehouseQueriesRule(4),
      ]),
    ).not.toThrow();
  });
});
