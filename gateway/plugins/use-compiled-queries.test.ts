import { createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { gatewayError, GATEWAY_ERROR_CODES } from '../errors.ts';
import { buildSchema } from '../schema/index.ts';
import { useCompiledQueries } from './use-compiled-queries.ts';

const TOKEN = '0x00000000000000000000000000000000000000a1';
const ROW = {
  date: '2026-01-01',
  chain_id: '1',
  token_address: TOKEN,
  symbol: 'TKN',
  decimals: 18,
  volume_raw: '115792089237316195423570985008687907853269984665640564039457584007913129639935',
  volume_usd: '12.345678901234567890',
  minted_raw: '0',
  burned_raw: '1',
  transfer_count: '3',
  priced_transfer_count: '2',
  tx_count: '3',
  unique_addresses: '4',
  price_open: null,
  price_high: null,
  price_low: null,
  price_close: '1.0001',
  price_source: null,
  price_staleness_ms: null,
  version: '1767225600000',
  is_final: true,
  emitted_at: '2026-01-01 23:59:59.999',
  inserted_at: '2026-01-02 00:00:01.000',
};

/** Yoga over the gateway schema, with or without compiled queries, and a reader that answers ROW or fails. */
function yogaWith(plugins: Plugin[], read: () => Promise<unknown[]>) {
  const yoga = createYoga({
    schema: buildSchema(),
    plugins,
    maskedErrors: false,
    context: () => ({ reader: { tokenMetricsDaily: read }, maxRangeDays: 366 }),
  });
  return async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await yoga.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as unknown;
  };
}

/** The same request through graphql-js and through the compiled query. */
async function both(read: () => Promise<unknown[]>, query: string, variables?: Record<string, unknown>) {
  const interpreted = await yogaWith([], read)(query, variables);
  const compiled = await yogaWith([useCompiledQueries()], read)(query, variables);
  return { interpreted, compiled };
}

const METRICS = `query M($t: Address!, $f: Date!, $to: Date!) {
  tokenMetricsDaily(token: $t, from: $f, to: $to) { date volumeRaw volumeUsd transferCount priceOpen priceClose isFinal version emittedAt insertedAt }
}`;

describe('useCompiledQueries', () => {
  it('answers a query exactly as graphql-js does: scalars serialised, nulls, uint256 text', async () => {
    const { interpreted, compiled } = await both(async () => [ROW, ROW], METRICS, {
      t: TOKEN,
      f: '2026-01-01',
      to: '2026-01-02',
    });
    expect(compiled).toEqual(interpreted);
    expect(JSON.stringify(compiled)).toContain(ROW.volume_raw);
  });

  it('leaves variable errors to graphql-js: same messages and codes', async () => {
    for (const variables of [
      { t: 'nope', f: '2026-01-01', to: '2026-01-02' },
      { t: TOKEN, f: '2026-13-01', to: '2026-01-02' },
      { t: TOKEN, f: '2026-01-01' },
    ]) {
      const { interpreted, compiled } = await both(async () => [ROW], METRICS, variables);
      expect(compiled).toEqual(interpreted);
    }
  });

  it('gives field errors the message, path, locations and code graphql-js gives them', async () => {
    const failing = () => Promise.reject(gatewayError(GATEWAY_ERROR_CODES.rangeTooLarge, 'too long'));
    const query = '{\n  a: tokenMetricsDaily(token: "' + TOKEN + '", from: "2026-01-01", to: "2026-01-02") { date }\n}';
    const { interpreted, compiled } = await both(failing, query);
    expect(compiled).toEqual(interpreted);
    expect(compiled).toMatchObject({ errors: [{ path: ['a'], locations: [{ line: 2, column: 3 }] }] });
  });
});
