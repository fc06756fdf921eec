// Relay connections from one helper: every paginated field's <Name>Connection / <Name>Edge pair, forward only.
import type { ArgBuilder, ObjectRef } from '@pothos/core';
import { builder, type GatewayTypes } from '../builder.ts';
import { decodeCursor, encodeCursor } from '../scalars.ts';
import { firstArgument } from './arguments.ts';

export interface PageInfoShape {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface EdgeShape<T> {
  cursor: string;
  node: T;
}
export interface ConnectionShape<T> {
  edges: EdgeShape<T>[];
  pageInfo: PageInfoShape;
}

const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  description: 'Relay pagination state of a connection (forward pagination only).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'True when more items follow endCursor.' }),
    hasPreviousPage: t.boolean({ description: 'Always false: connections page forward only.', resolve: () => false }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'Cursor of the last edge; pass it as `after` for the next page. Null on an empty page.',
    }),
    startCursor: t.string({
      nullable: true,
      description: 'Not tracked (forward pagination only); always null.',
      resolve: () => null,
    }),
  }),
});

/** The descriptions of a connection's types and fields (every one is documented: gateway/schema.test.ts). */
export interface ConnectionDescriptions {
  /** Of the <Name>Connection type. */
  connection: string;
  /** Of the <Name>Edge type. */
  edge: string;
  /** Of the edge's node field. */
  node: string;
  /** Of the connection's edges field. */
  edges: string;
  /** Of the connection's nodes field (the nodes without cursors). */
  nodes: string;
}

/** `<name>Connection { edges: [<name>Edge!]!, nodes: [node!]!, pageInfo: PageInfo! }` and `<name>Edge { cursor, node }`. */
export function connectionType<T>(
  name: string,
  node: ObjectRef<GatewayTypes, T>,
  describe: ConnectionDescriptions,
): ObjectRef<GatewayTypes, ConnectionShape<T>> {
  const Edge = builder.objectRef<EdgeShape<T>>(`${name}Edge`).implement({
    description: describe.edge,
    fields: (t) => ({
      cursor: t.exposeString('cursor', { description: 'Opaque cursor of this edge.' }),
      node: t.expose('node', { type: node, description: describe.node }),
    }),
  });
  return builder.objectRef<ConnectionShape<T>>(`${name}Connection`).implement({
    description: describe.connection,
    fields: (t) => ({
      edges: t.field({ type: [Edge], description: describe.edges, resolve: (c) => c.edges }),
      nodes: t.field({ type: [node], description: describe.nodes, resolve: (c) => c.edges.map((e) => e.node) }),
      pageInfo: t.field({ type: PageInfo, description: 'Pagination state.', resolve: (c) => c.pageInfo }),
    }),
  });
}

/**
 * One page from the rows read past the cursor with `limit: first + 1`: the extra row only tells that more follow.
 * Cursors are `kind`-tagged (decodeCursor refuses another field's cursor).
 */
function pageOf<T>(
  rows: readonly T[],
  first: number,
  kind: string,
  cursorOf: (node: T) => readonly (string | number)[],
): ConnectionShape<T> {
  const edges = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(kind, cursorOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/**
 * The paging of one connection field, from its cursor kind, its default page size and what a node's cursor holds:
 * the `first` / `after` arguments, the decoding of `after` and the read of one page.
 */
export function connectionPaging<T>(kind: string, firstDefault: number, cursorOf: (node: T) => readonly (string | number)[]) {
  const first = firstArgument('Page size', firstDefault);
  return {
    /** `first` and `after`, the last arguments of the field. */
    args: (arg: ArgBuilder<GatewayTypes>) => ({
      first: first.declare(arg),
      after: arg.string({ description: 'endCursor of the previous page.' }),
    }),
    /** The parts of the `after` cursor when they pass `check`; undefined for the first page. */
    after: (cursor: string | null | undefined, check: (parts: unknown[]) => boolean): unknown[] | undefined =>
      cursor ? decodeCursor(kind, cursor, check) : undefined,
    /** One page: `requested` checked, then `limit` = page size + 1 rows read past the cursor. */
    page: async (
      requested: number | null | undefined,
      readRows: (limit: number) => Promise<readonly T[]>,
    ): Promise<ConnectionShape<T>> => {
      const size = first.check(requested);
      return pageOf(await readRows(size + 1), size, kind, cursorOf);
    },
  };
}
