// Token: the tracked ERC-20 contracts (table tokens) and the tokens connection.
import { builder } from '../builder.ts';
import type { TokenRow } from '../warehouse.ts';
import { connectionPaging, connectionType } from './connection.ts';

export const Token = builder.objectRef<TokenRow>('Token').implement({
  description: 'A tracked ERC-20 token contract with its latest metadata (table tokens).',
  fields: (t) => ({
    chainId: t.int({ description: 'EIP-155 chain id (1 = Ethereum mainnet).', resolve: (r) => Number(r.chain_id) }),
    address: t.field({ type: 'Address', description: 'Token contract address.', resolve: (r) => r.address }),
    symbol: t.exposeString('symbol', { nullable: true, description: 'Token symbol; null when unknown.' }),
    name: t.exposeString('name', { nullable: true, description: 'Token name; null when unknown.' }),
    decimals: t.exposeInt('decimals', {
      nullable: true,
      description: 'Token decimals; null when unknown (USD values are then null, 18 is never assumed).',
    }),
    source: t.exposeString('source', {
      description: 'Where the metadata came from: seed (curated CSV) or rpc (contract reads).',
    }),
    symbolEncoding: t.exposeString('symbol_encoding', {
      nullable: true,
      description: 'How the symbol was encoded on chain for rpc rows: string, bytes32 or SYMBOL.',
    }),
    updatedAt: t.field({ type: 'DateTime', description: 'When this metadata was last changed.', resolve: (r) => r.updated_at }),
    version: t.field({
      type: 'BigInt',
      description: 'Metadata version (epoch ms of the change); the highest wins.',
      resolve: (r) => r.version,
    }),
  }),
});

const TokenConnection = connectionType('Token', Token, {
  connection: 'A page of tracked tokens, ordered by address.',
  edge: 'A token and its cursor.',
  node: 'The token.',
  edges: 'Tokens of this page.',
  nodes: 'The same tokens without cursors.',
});

/** The `token` field of the types that carry a token address: a batched lookup in tokens. */
export const tokenField = {
  type: Token,
  nullable: true,
  description: 'Metadata of the token (batched lookup); null when the token is not in the tokens table.',
} as const;

const tokensPaging = connectionPaging<TokenRow>('token', 100, (node) => [node.address]);

/** The address after which the page starts ('' for the first page). */
function tokensAfter(after: string | null | undefined): string {
  const isAddressCursor = (p: unknown[]) => p.length === 1 && typeof p[0] === 'string' && /^0x[0-9a-f]{40}$/.test(p[0]);
  return (tokensPaging.after(after, isAddressCursor)?.[0] as string | undefined) ?? '';
}

builder.queryFields((t) => ({
  tokens: t.field({
    type: TokenConnection,
    description: 'Tracked tokens with metadata, ordered by address.',
    args: tokensPaging.args(t.arg),
    resolve: (_root, args, ctx) =>
      tokensPaging.page(args.first, (limit) => ctx.reader.tokensPage(tokensAfter(args.after), limit, ctx.budget, ctx.scope)),
  }),
}));
