import {
  plainObject,
  plainToNullableNumber,
  plainToNullableString,
  plainToNumber,
  plainToString,
  type StateCodec,
} from '../engine/state.ts';
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

/** Key of a token in the `tokens` store and of its records: `<chainId>:<address>`. */
export function tokenKey(chainId: number, address: string): string {
  if (address === lastAddress && chainId === lastChain) return lastKey;
  lastChain = chainId;
  lastAddress = address;
  lastKey = flat(`${chainId}:${address}`);
  return lastKey;
}

export const TOKEN_METADATA_STORE = 'tokens';

export const tokenMetadataCodec: StateCodec<TokenMetadata> = {
  encode: (m) => ({
    chain_id: m.chain_id,
    address: m.address,
    symbol: m.symbol,
    name: m.name,
    decimals: m.decimals,
    source: m.source,
  }),
  decode: (plain, key) => {
    const o = plainObject(plain, TOKEN_METADATA_STORE, key);
    const source = plainToString(o.source, TOKEN_METADATA_STORE, key);
    return {
      chain_id: plainToNumber(o.chain_id, TOKEN_METADATA_STORE, key),
      address: plainToString(o.address, TOKEN_METADATA_STORE, key),
      symbol: plainToNullableString(o.symbol, TOKEN_METADATA_STORE, key),
      name: plainToNullableString(o.name, TOKEN_METADATA_STORE, key),
      decimals: plainToNullableNumber(o.decimals, TOKEN_METADATA_STORE, key),
      source: source === 'seed' ? 'seed' : 'rpc',
    };
  },
};
