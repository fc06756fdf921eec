import { describe, expect, it } from 'vitest';
import { FinalizedCache } from './cache.ts';
import { isGraphQLErrorLike } from './errors.ts';
import { ReplayBuffer } from './live.ts';
import {
  checkFirst,
  checkRange,
  decodeCursor,
  encodeCursor,
  parseAddress,
  parseBigInt,
  parseDate,
  serializeBigInt,
  serializeDateTime,
} from './scalars.ts';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return isGraphQLErrorLike(error) ? error.extensions.code : 'NOT_GRAPHQL';
  }
  return 'NO_ERROR';
}

describe('Address', () => {
  it('normalises lowercase, uppercase and valid EIP-55 input to lowercase', () => {
    expect(parseAddress('0xdAC17F958D2ee523a2206206994597C13D831ec7')).toBe('0xdac17f958d2ee523a2206206994597c13d831ec7');
    expect(parseAddress('0xDAC17F958D2EE523A2206206994597C13D831EC7')).toBe('0xdac17f958d2ee523a2206206994597c13d831ec7');
  });
  it('rejects bad checksums, lengths, characters and non-strings with INVALID_ADDRESS', () => {
    for (const bad of [
      '0xdAC17F958D2ee523a2206206994597C13D831eC7',
      '0x12',
      'dac17f958d2ee523a2206206994597c13d831ec7',
      `0x${'g'.repeat(40)}`,
      42,
      null,
    ]) {
      expect(codeOf(() => parseAddress(bad))).toBe('ORACUL_GATEWAY_INVALID_ADDRESS');
    }
  });
});

describe('Date', () => {
  it('accepts existing ISO days in ClickHouse range', () => {
    expect(parseDate('2024-02-29')).toBe('2024-02-29');
    expect(parseDate('1970-01-01')).toBe('1970-01-01');
  });
  it('rejects impossible days, other formats and out-of-range days', () => {
    for (const bad of ['2023-02-29', '2026-13-01', '2026-1-1', '2026-01-01T00:00:00Z', '1969-12-31', '2150-01-01', 20_000]) {
      expect(codeOf(() => parseDate(bad))).toBe('ORACUL_GATEWAY_INVALID_DATE');
    }
  });
});

describe('BigInt', () => {
  it('round-trips uint256 extremes exactly as decimal strings', () => {
    const max = (2n ** 256n - 1n).toString();
    expect(parseBigInt(max)).toBe(2n ** 256n - 1n);
    expect(serializeBigInt(max)).toBe(max);
    expect(serializeBigInt(2n ** 255n)).toBe((2n ** 255n).toString());
    expect(parseBigInt('-5')).toBe(-5n);
  });
  it('rejects floats, hex, overflow and junk', () => {
    for (const bad of ['1.5', '0x10', (2n ** 256n).toString(), '1e3', '', ' 1', 1.5, '01']) {
      expect(codeOf(() => parseBigInt(bad))).toBe('ORACUL_GATEWAY_INVALID_BIGINT');
    }
  });
});

describe('ranges, first, cursors, timestamps', () => {
  it('bounds ranges', () => {
    expect(codeOf(() => checkRange('2026-01-01', '2026-12-31', 366))).toBe('NO_ERROR');
    expect(codeOf(() => checkRange('2024-01-01', '2024-12-31', 366))).toBe('NO_ERROR'); // 366 days (leap year)
    expect(codeOf(() => checkRange('2024-01-01', '2025-01-01', 366))).toBe('ORACUL_GATEWAY_RANGE_TOO_LARGE');
    expect(codeOf(() => checkRange('2026-01-02', '2026-01-01', 366))).toBe('ORACUL_GATEWAY_INVALID_RANGE');
  });
  it('bounds first to 1..500', () => {
    expect(checkFirst(undefined, 50)).toBe(50);
    expect(checkFirst(500, 50)).toBe(500);
    for (const bad of [0, -1, 501]) expect(codeOf(() => checkFirst(bad, 50))).toBe('ORACUL_GATEWAY_INVALID_FIRST');
  });
  it('cursors round-trip and are tied to their field', () => {
    const cursor = encodeCursor('anomaly', ['2026-01-01', '2026-01-01 00:00:00.000', 'abc']);
    expect(decodeCursor('anomaly', cursor, () => true)).toEqual(['2026-01-01', '2026-01-01 00:00:00.000', 'abc']);
    expect(codeOf(() => decodeCursor('token', cursor, () => true))).toBe('ORACUL_GATEWAY_INVALID_CURSOR');
    expect(codeOf(() => decodeCursor('anomaly', "' OR 1=1", () => true))).toBe('ORACUL_GATEWAY_INVALID_CURSOR');
    expect(codeOf(() => decodeCursor('anomaly', cursor, () => false))).toBe('ORACUL_GATEWAY_INVALID_CURSOR');
  });
  it('ClickHouse DateTime64 text and epoch ms serialise to ISO UTC', () => {
    expect(serializeDateTime('2026-01-02 03:04:05.678')).toBe('2026-01-02T03:04:05.678Z');
    expect(serializeDateTime(Date.UTC(2026, 0, 2))).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('FinalizedCache', () => {
  const row = (is_final: boolean) => ({ is_final });
  it('caches only closed, final ranges and evicts ranges covering an updated day', () => {
    let now = 1_000;
    const cache = new FinalizedCache({ maxEntries: 10, ttlMs: 60_000, dirtyMs: 5_000, now: () => now, admitOnSecondRead: false });
    cache.offer('k1', 'token:a', '2026-01-01', '2026-01-10', '2026-02-01', [row(true)]);
    cache.offer('k2', 'token:a', '2026-01-20', '2026-01-25', '2026-02-01', [row(true)]);
    cache.offer('open', 'token:a', '2026-01-20', '2026-02-01', '2026-02-01', [row(true)]);
    cache.offer('notfinal', 'token:b', '2026-01-01', '2026-01-02', '2026-02-01', [row(false)]);
    expect(cache.size).toBe(2);
    cache.invalidate('token:a', '2026-01-05');
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k2')).toHaveLength(1);
    // The sink may not have written the new version yet: no caching for a while.
    cache.offer('k1', 'token:a', '2026-01-01', '2026-01-10', '2026-02-01', [row(true)]);
    expect(cache.get('k1')).toBeUndefined();
    now += 6_000;
    cache.offer('k1', 'token:a', '2026-01-01', '2026-01-10', '2026-02-01', [row(true)]);
    expect(cache.get('k1')).toHaveLength(1);
  });
});

describe('FinalizedCache admission', () => {
  it('keeps a closed, final range from its second read; the first is cacheable but only remembered', () => {
    const cache = new FinalizedCache({ maxEntries: 10, ttlMs: 60_000 });
    const offer = () => cache.offer('k', 'token:a', '2026-01-01', '2026-01-10', '2026-02-01', [{ is_final: true }]);
    expect(offer()).toBe(true);
    expect(cache.get('k')).toBeUndefined();
    expect(offer()).toBe(true);
    expect(cache.get('k')).toHaveLength(1);
    expect(cache.offer('open', 'token:a', '2026-01-20', '2026-02-01', '2026-02-01', [{ is_final: true }])).toBe(false);
  });
});

describe('ReplayBuffer', () => {
  it('keeps the last N events and replays after an id, or everything when the id is gone', () => {
    const buffer = new ReplayBuffer<{ eventId: string }>(3);
    for (let i = 0; i < 5; i += 1) buffer.push({ eventId: `0:${i}` });
    expect(buffer.after('0:3').map((e) => e.eventId)).toEqual(['0:4']);
    expect(buffer.after('0:0').map((e) => e.eventId)).toEqual(['0:2', '0:3', '0:4']);
  });
});
