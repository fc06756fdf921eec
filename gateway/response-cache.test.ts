import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ResponseCache, ResponseScope, cacheableOperation } from './response-cache.ts';

const cacheable = (query: string, operationName?: string) => cacheableOperation(parse(query), operationName);

describe('cacheableOperation', () => {
  it('accepts day-range reads only, through aliases and fragments', () => {
    expect(cacheable('{ tokenMetricsDaily(token: "0x1", from: "a", to: "b") { date volumeRaw } }')).toBe(true);
    expect(cacheable('{ a: addressFlowsDaily(address: "0x1", from: "a", to: "b") { date } __typename }')).toBe(true);
    expect(
      cacheable(
        'query Q { ...F } fragment F on Query { tokenMetricsDaily(token: "0x1", from: "a", to: "b") { ...G } } fragment G on TokenMetricsDaily { date }',
      ),
    ).toBe(true);
    // Shared lists: valid while the reader serves the same rows (checked at each hit).
    expect(cacheable('{ anomalies(first: 5) { edges { cursor node { anomalyId } } } topTokens(day: "a") { volumeRaw } }')).toBe(
      true,
    );
  });

  it('refuses other root fields, token lookups, introspection, subscriptions and unknown fragments', () => {
    expect(cacheable('{ health { status } }')).toBe(false);
    expect(cacheable('{ anomalies { edges { cursor } } latestBlock { number } }')).toBe(false);
    expect(cacheable('{ tokenMetricsDaily(token: "0x1", from: "a", to: "b") { date } health { status } }')).toBe(false);
    expect(cacheable('{ tokenMetricsDaily(token: "0x1", from: "a", to: "b") { date token { symbol } } }')).toBe(false);
    expect(
      cacheable(
        '{ tokenMetricsDaily(token: "0x1", from: "a", to: "b") { ...T } } fragment T on TokenMetricsDaily { token { symbol } }',
      ),
    ).toBe(false);
    expect(cacheable('{ tokenMetricsDaily(token: "0x1", from: "a", to: "b") { date } __schema { types { name } } }')).toBe(false);
    expect(cacheable('{ ...Missing }')).toBe(false);
    expect(cacheable('subscription { tokenMetricsUpdated { eventId } }')).toBe(false);
  });

  it('judges the named operation of a multi-operation document', () => {
    const doc = 'query A { tokenMetricsDaily(token: "0x1", from: "a", to: "b") { date } } query B { health { status } }';
    expect(cacheable(doc, 'A')).toBe(true);
    expect(cacheable(doc, 'B')).toBe(false);
  });
});

describe('ResponseCache', () => {
  const result = { data: { tokenMetricsDaily: [{ date: '2026-01-02' }] } };
  const finalized = (entity: string, from: string, to: string) => {
    const scope = new ResponseScope();
    scope.finalized(entity, from, to);
    return scope;
  };

  it('keeps a result only when every read was finalized and nothing failed', () => {
    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, admitOnSecondRead: false });
    cache.offer('a', result, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    expect(cache.get('a')).toMatchObject(result);
    const mixed = finalized('token:0x1', '2026-01-01', '2026-01-31');
    mixed.uncacheable();
    cache.offer('b', result, mixed);
    cache.offer('c', result, new ResponseScope()); // read nothing: nothing to vouch for it
    cache.offer('d', { ...result, errors: [new Error('x') as never] }, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, undefined, undefined]);
    expect(cache.hits).toBe(1);
  });

  it('hands Yoga the JSON text it stored: a hit is not serialised again', () => {
    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, admitOnSecondRead: false });
    cache.offer('a', result, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    const hit = cache.get('a') as { stringify?: (r: unknown) => string };
    expect(hit.stringify?.(hit)).toBe(JSON.stringify(result));
    // Extensions are Yoga's to strip (extensions.http), so such a result is serialised by Yoga each time.
    const withExtensions = { ...result, extensions: { http: { status: 200 } } };
    cache.offer('b', withExtensions, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    expect(cache.get('b')).toBe(withExtensions);
  });

  it('keeps a result that read a shared list only while the reader still serves the same rows', () => {
    const rows = [{ anomaly_id: 'a1' }];
    let served: readonly unknown[] = rows;
    const checked: string[] = [];
    const servesRecent = ({ key, rows: read }: { key: string; rows: readonly unknown[] }) => {
      checked.push(key);
      return read === served;
    };
    const listScope = () => {
      const scope = new ResponseScope();
      scope.recent('anomaliesPage|{}', rows);
      return scope;
    };
    // Without a way to check the list at a hit, such a result is not kept.
    const blind = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, admitOnSecondRead: false });
    blind.offer('a', result, listScope());
    expect(blind.get('a')).toBeUndefined();

    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, admitOnSecondRead: false, servesRecent });
    cache.offer('a', result, listScope());
    expect(cache.get('a')).toMatchObject(result);
    expect(checked).toEqual(['anomaliesPage|{}']);
    served = [{ anomaly_id: 'a2' }]; // the list was refreshed
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps a result from its second run within the TTL: one-off reads never fill the heap', () => {
    let now = 1_000;
    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 1_000, now: () => now });
    const scope = () => finalized('token:0x1', '2026-01-01', '2026-01-31');
    cache.offer('a', result, scope());
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.offer('a', result, scope());
    expect(cache.get('a')).toMatchObject(result);
    // A second run after the first one's sighting expired counts as a first run.
    cache.offer('b', result, scope());
    now += 1_001;
    cache.offer('b', result, scope());
    expect(cache.get('b')).toBeUndefined();
    cache.offer('b', result, scope());
    expect(cache.get('b')).toMatchObject(result);
    // A run that could not be kept (an error) is not a sighting.
    cache.offer('c', { ...result, errors: [new Error('x') as never] }, scope());
    cache.offer('c', result, scope());
    expect(cache.get('c')).toBeUndefined();
  });

  it('a new version of (entity, day) drops exactly the results that read it', () => {
    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, admitOnSecondRead: false });
    cache.offer('jan', result, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    cache.offer('feb', result, finalized('token:0x1', '2026-02-01', '2026-02-28'));
    cache.offer('other', result, finalized('token:0x2', '2026-01-01', '2026-01-31'));
    cache.invalidate('token:0x1', '2026-01-15');
    expect(cache.get('jan')).toBeUndefined();
    expect(cache.get('feb')).toMatchObject(result);
    expect(cache.get('other')).toMatchObject(result);
  });

  it('keys by role, operation name, document and variables; expires after its TTL; 0 entries disables it', () => {
    expect(ResponseCache.key('read', null, '{ a }', { x: 1 })).not.toBe(ResponseCache.key('ops', null, '{ a }', { x: 1 }));
    expect(ResponseCache.key('read', null, '{ a }', { x: 1 })).not.toBe(ResponseCache.key('read', null, '{ a }', { x: 2 }));
    let now = 1_000;
    const cache = new ResponseCache({ maxEntries: 10, ttlMs: 1_000, now: () => now, admitOnSecondRead: false });
    cache.offer('a', result, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    now = 2_001;
    expect(cache.get('a')).toBeUndefined();
    const off = new ResponseCache({ maxEntries: 0, ttlMs: 1_000 });
    off.offer('a', result, finalized('token:0x1', '2026-01-01', '2026-01-31'));
    expect(off.get('a')).toBeUndefined();
  });

  it('bounds the total size of the kept results (their JSON), oldest out first', () => {
    const big = (n: number) => ({ data: { addressFlowsDaily: Array.from({ length: n }, (_, i) => ({ date: String(i) })) } });
    const cache = new ResponseCache({ maxEntries: 100, ttlMs: 60_000, maxBytes: 4_000, admitOnSecondRead: false });
    cache.offer('a', big(100), finalized('address:0x1', '2026-01-01', '2026-01-31')); // ~1.5 KB
    cache.offer('b', big(100), finalized('address:0x2', '2026-01-01', '2026-01-31'));
    cache.offer('c', big(150), finalized('address:0x3', '2026-01-01', '2026-01-31'));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
    cache.offer('huge', big(1_000), finalized('address:0x4', '2026-01-01', '2026-01-31'));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
  });
});
