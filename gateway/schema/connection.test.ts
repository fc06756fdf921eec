import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../scalars.ts';
import { connectionPaging } from './connection.ts';

const paging = connectionPaging<{ id: string }>('item', 2, (node) => [node.id]);
const rowsOf = (...ids: string[]) => ids.map((id) => ({ id }));

async function codeOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return (error as { extensions?: { code?: unknown } }).extensions?.code;
  }
  return 'NO_ERROR';
}

describe('connectionPaging', () => {
  it('reads page size + 1 rows and keeps the extra one only as hasNextPage', async () => {
    const limits: number[] = [];
    const page = await paging.page(undefined, async (limit) => (limits.push(limit), rowsOf('a', 'b', 'c')));
    expect(limits).toEqual([3]);
    expect(page.edges.map((e) => e.node.id)).toEqual(['a', 'b']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('item', ['b']) });
  });

  it('ends on a short page; an empty page has no endCursor', async () => {
    expect((await paging.page(5, async () => rowsOf('a'))).pageInfo).toEqual({
      hasNextPage: false,
      endCursor: encodeCursor('item', ['a']),
    });
    expect((await paging.page(1, async () => [])).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('checks first before reading', async () => {
    let read = false;
    const code = await codeOf(() => paging.page(501, async () => ((read = true), [])));
    expect(code).toBe('ORACUL_GATEWAY_INVALID_FIRST');
    expect(read).toBe(false);
  });

  it('decodes its own cursors only, and none on the first page', async () => {
    const isId = (p: unknown[]) => p.length === 1 && typeof p[0] === 'string';
    expect(paging.after(undefined, isId)).toBeUndefined();
    expect(paging.after('', isId)).toBeUndefined();
    expect(paging.after(encodeCursor('item', ['b']), isId)).toEqual(['b']);
    expect(await codeOf(() => paging.after(encodeCursor('token', ['b']), isId))).toBe('ORACUL_GATEWAY_INVALID_CURSOR');
    expect(await codeOf(() => paging.after(encodeCursor('item', [1]), isId))).toBe('ORACUL_GATEWAY_INVALID_CURSOR');
  });
});
