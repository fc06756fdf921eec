import { flat } from '../engine/windowKey.ts';

/** Symbol, name and decimals of one token. Null means unknown (not fetched, not implemented, or garbage). */
export interface TokenMetadata {
  readonly chain_id: number;
  /** Lowercase 0x address. */
  readonly address: string;
  readonly symbol: string | null;
  readonly name: string | null;
  readonly decimals: number | null;
  /** `seed`: the curated CSV (dwh/seeds/erc20_token_metadata.csv); `rpc`: read from the contract once. */
  readonly source: 'seed' | 'rpc';
}

// Memo of the last key: consecutive logs of a token reuse one flat string (hashed once as a Map key).
let lastChain = NaN;
let lastAddress = '';
let lastKey = '';

/** Key of a token in the token table and of its records: `<chainId>:<address>`. */
export function tokenKey(chainId: number, address: string): string {
  if (address === lastAddress && chainId === lastChain) return lastKey;
  lastChain = chainId;
  lastAddress = address;
  lastKey = flat(`${chainId}:${address}`);
  return lastKey;
}

/**
 * Token metadata by `<chainId>:<address>`: the decoder stage's global table of `erc20.tokens` (seed rows and
 * RPC-resolved rows; a later row of a token replaces the earlier). The stage's tasks in one worker share it, filled
 * from the topic before any task starts, never written to a task's state or changelog (ADR 0024); a decoder driven
 * without the engine fills its own from the token inputs piped to it.
 */
export class TokenTable {
  private readonly tokens = new Map<string, TokenMetadata>();

  /** Adds a token's row (an `erc20.tokens` record), replacing an earlier row of the token. */
  add(t: TokenMetadata): void {
    const address = t.address.toLowerCase();
    this.tokens.set(tokenKey(t.chain_id, address), {
      chain_id: t.chain_id,
      address,
      symbol: t.symbol,
      name: t.name,
      decimals: t.decimals,
      source: t.source,
    });
  }

  /** The metadata of a token by its key ({@link tokenKey}). */
  get(key: string): TokenMetadata | undefined {
    return this.tokens.get(key);
  }

  get size(): number {
    return this.tokens.size;
  }
}
