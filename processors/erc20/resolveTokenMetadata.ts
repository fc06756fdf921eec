import { tokenKey, type TokenMetadata } from './tokenMetadata.ts';

/** Where fetched metadata is kept so each token is fetched once (an LMDB store in the runtime; a Map in tests). */
export interface TokenMetadataCache {
  get(key: string): TokenMetadata | undefined;
  set(key: string, value: TokenMetadata): void;
}

export interface TokenMetadataResolver {
  /** Seed first, then the cache, then the chain (once per token, concurrent callers share the fetch). */
  resolve(chainId: number, address: string): Promise<TokenMetadata>;
}

export interface CreateTokenMetadataResolverParameters {
  /** Rows of the curated seed (dwh/seeds/erc20_token_metadata.csv), already parsed. They win over the chain. */
  readonly seed?: Iterable<TokenMetadata>;
  /** e.g. `(chainId, address) => fetchTokenMetadata(client, { chainId, address })`. */
  readonly fetchFromChain: (chainId: number, address: string) => Promise<TokenMetadata>;
  readonly cache?: TokenMetadataCache;
}

/**
 * Token metadata resolution with a seed and a cache (for a caller that resolves tokens as it meets them; the stream
 * runtime does not: its decoder reads the `tokens` store, fed by erc20.tokens and `oracul tokens resolve`). A token whose calls reverted resolves to nulls and is cached as such: we do not
 * hammer a contract that has no `decimals()`, and its USD values stay null rather than assuming 18.
 */
export function createTokenMetadataResolver(params: CreateTokenMetadataResolverParameters): TokenMetadataResolver {
  const seed = new Map<string, TokenMetadata>();
  for (const row of params.seed ?? [])
    seed.set(tokenKey(row.chain_id, row.address.toLowerCase()), { ...row, address: row.address.toLowerCase(), source: 'seed' });
  const cache = params.cache ?? new Map<string, TokenMetadata>();
  const inFlight = new Map<string, Promise<TokenMetadata>>();
  return {
    resolve(chainId, rawAddress) {
      const address = rawAddress.toLowerCase();
      const key = tokenKey(chainId, address);
      const known = seed.get(key) ?? cache.get(key);
      if (known !== undefined) return Promise.resolve(known);
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = params
          .fetchFromChain(chainId, address)
          .then((metadata) => {
            cache.set(key, metadata);
            return metadata;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
  };
}
