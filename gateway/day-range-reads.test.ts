import { describe, expect, it } from 'vitest';
import { dayRangeLoaders, newestPerDay, splitLines, type FlowRange, type TokenRange } from './day-range-reads.ts';
import type { SqlName } from './sql.ts';

/** Latest rows of a serving table, as the statements of gateway/sql.ts answer them (one row per key here). */
interface Stored {
  entity: string;
  date: string;
  token: string;
}

const day = (i: number) => `2026-01-${String(i).padStart(2, '0')}`;
const TOKENS = ['0xa', '0xb', '0xc'];
const ADDRESSES = ['0x1', '0x2'];
const tokenRows: Stored[] = TOKENS.flatMap((t) =>
  Array.from({ length: 20 }, (_, i) => ({ entity: t, date: day(i + 1), token: t })),
);
const flowRows: Stored[] = ADDRESSES.flatMap((a) =>
  Array.from({ length: 20 }, (_, i) => TOKENS.map((t) => ({ entity: a, date: day(i + 1), token: t }))).flat(),
);

/** The statements' semantics over the rows above: the entities, the hull, the common token, LIMIT n BY entity. */
function engine(sent: { name: SqlName; params: Record<string, unknown> }[]) {
  return async (name: SqlName, params: Record<string, unknown>): Promise<string> => {
    sent.push({ name, params });
    const flows = name === 'addressFlowsDaily';
    const entities = (flows ? params.addresses : params.tokens) as string[];
    const { from, to } = params as { from: string; to: string };
    const token = flows ? (params.token as string) : '';
    const limit = flows ? (params.limit as number) : Infinity;
    const counts = new Map<string, number>();
    return (flows ? flowRows : tokenRows)
      .filter((r) => entities.includes(r.entity) && r.date >= from && r.date <= to && (token === '' || r.token === token))
      .filter((r) => {
        const n = (counts.get(r.entity) ?? 0) + 1;
        counts.set(r.entity, n);
        return n <= limit;
      })
      .flatMap((r) => {
        const json = JSON.stringify({ e: r.entity, d: r.date, t: r.token, note: 'a\tb' });
        return flows ? [`${r.entity}\t${r.date}\t${r.token}\t${json}`] : storedVersions(r, json);
      })
      .map((line) => `${line}\n`)
      .join('');
  };
}

/**
 * The token statement sends every stored version, in no order: the latest (version 10, inserted last) and, around
 * it, an older version, a version-9 row (shorter text, larger number than '10' as text), a same-version row inserted
 * earlier; the 5th day of each month has a newer deleted version, so that day is gone.
 */
const DELETED_DAY = day(5);
function storedVersions(r: Stored, json: string): string[] {
  const line = (version: string, insertedAt: string, deleted: 0 | 1, row: string) =>
    `${r.entity}\t${r.date}\t${version}\t${insertedAt}\t${deleted}\t${row}`;
  const stale = JSON.stringify({ stale: true });
  const lines = [
    line('9', '2026-02-01 00:00:00.000', 0, stale),
    line('10', '2026-02-01 00:00:00.999', 0, json),
    line('10', '2026-02-01 00:00:00.100', 0, stale),
    line('2', '2026-02-02 00:00:00.000', 0, stale),
  ];
  if (r.date === DELETED_DAY) lines.push(line('11', '2026-02-03 00:00:00.000', 1, stale));
  return r.date.endsWith('1') ? lines.reverse() : lines;
}

/** What one statement per read answers: the reference. */
const expectedTokens = (k: TokenRange) =>
  tokenRows
    .filter((r) => r.entity === k.token && r.date >= k.from && r.date <= k.to && r.date !== DELETED_DAY)
    .map((r) => ({ e: r.entity, d: r.date, t: r.token, note: 'a\tb' }));
const expectedFlows = (k: FlowRange, limit: number) =>
  flowRows
    .filter((r) => r.entity === k.address && r.date >= k.from && r.date <= k.to && (k.token === '' || r.token === k.token))
    .slice(0, limit)
    .map((r) => ({ e: r.entity, d: r.date, t: r.token, note: 'a\tb' }));

describe('dayRangeLoaders', () => {
  it('answers concurrent token reads with one statement over the hull, each read its own days', async () => {
    const sent: { name: SqlName; params: Record<string, unknown> }[] = [];
    const { tokens } = dayRangeLoaders(engine(sent), '1', { maxInFlight: 1, maxBatch: 16, maxFlowRows: 1000 });
    const reads: TokenRange[] = [
      { token: '0xa', from: day(1), to: day(5) },
      { token: '0xb', from: day(10), to: day(12) },
      { token: '0xc', from: day(3), to: day(3) },
      { token: '0xa', from: day(1), to: day(5) }, // identical: shares the entry
      { token: '0xa', from: day(6), to: day(20) }, // same token, other days: a second statement
      { token: '0xd', from: day(1), to: day(2) }, // no rows
    ];
    const answers = await Promise.all(reads.map((k) => tokens.load(k)));
    answers.forEach((rows, i) => expect(rows, JSON.stringify(reads[i])).toEqual(expectedTokens(reads[i]!)));
    expect(sent.map((s) => [s.params.tokens, s.params.from, s.params.to])).toEqual([
      [['0xa', '0xb', '0xc', '0xd'], day(1), day(12)],
      [['0xa'], day(6), day(20)],
    ]);
  });

  it('filters flows by each read token, and sends a read alone again when the limit cut its address in a wider hull', async () => {
    const sent: { name: SqlName; params: Record<string, unknown> }[] = [];
    const limit = 10;
    const { flows } = dayRangeLoaders(engine(sent), '1', { maxInFlight: 1, maxBatch: 16, maxFlowRows: limit });
    const reads: FlowRange[] = [
      { address: '0x1', from: day(15), to: day(20), token: '0xb' }, // 6 rows, past the hull's first 10
      { address: '0x2', from: day(1), to: day(2), token: '' }, // 6 rows
    ];
    const answers = await Promise.all(reads.map((k) => flows.load(k)));
    answers.forEach((rows, i) => expect(rows, JSON.stringify(reads[i])).toEqual(expectedFlows(reads[i]!, limit)));
    expect(answers[0]).toHaveLength(6);
    expect(sent.map((s) => [s.params.addresses, s.params.token])).toEqual([
      [['0x1', '0x2'], ''],
      [['0x1'], '0xb'],
    ]);
  });

  it('gives every read of a failed statement its error', async () => {
    const { tokens } = dayRangeLoaders(() => Promise.reject(new Error('engine down')), '1', {
      maxInFlight: 1,
      maxBatch: 16,
      maxFlowRows: 10,
    });
    const answers = await Promise.allSettled([tokens.load({ token: '0xa', from: day(1), to: day(2) })]);
    expect(answers[0]).toMatchObject({ status: 'rejected', reason: { message: 'engine down' } });
  });
});

describe('splitLines', () => {
  it('groups lines by entity in order, keeps the row text whole', () => {
    const lines = splitLines('0x1\t2026-01-01\t0xa\t{"s":"x\\ty"}\n0x1\t2026-01-02\t0xb\t{}\n0x2\t2026-01-01\t0xa\t{}\n', 3);
    expect(lines.get('0x1')).toEqual([
      { date: '2026-01-01', token: '0xa', json: '{"s":"x\\ty"}' },
      { date: '2026-01-02', token: '0xb', json: '{}' },
    ]);
    expect(lines.get('0x2')).toHaveLength(1);
    expect(splitLines('', 2).size).toBe(0);
  });

  it('refuses a line without its key columns', () => {
    expect(() => splitLines('0xa\t{"d":1}\n', 2)).toThrow(/without its 2 key columns/);
  });
});

describe('newestPerDay', () => {
  const line = (date: string, version: string, insertedAt: string, deleted = false) => ({
    date,
    token: '0xa',
    json: `${date}/${version}/${insertedAt}`,
    version,
    insertedAt,
    deleted,
  });

  it('keeps lines already in date order with one version per day, except deleted days', () => {
    const lines = [line(day(1), '3', 'a'), line(day(2), '1', 'a', true), line(day(3), '7', 'a')];
    expect(newestPerDay(lines).map((l) => l.date)).toEqual([day(1), day(3)]);
  });

  it('keeps per day the highest version (as a number), then the later insert, in date order', () => {
    const lines = [line(day(2), '9', 'b'), line(day(1), '1', 'a'), line(day(2), '10', 'a'), line(day(2), '10', 'c')];
    expect(newestPerDay(lines).map((l) => l.json)).toEqual([`${day(1)}/1/a`, `${day(2)}/10/c`]);
  });
});
