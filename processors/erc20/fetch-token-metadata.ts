import {
  BaseError,
  ContractFunctionRevertedError,
  ExecutionRevertedError,
  RawContractError,
  toFunctionSelector,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { RetryableError } from '../../core/errors.ts';
import { decodeDecimalsResult, decodeTextResult, type MetadataDecodeResult } from './decode-metadata-result.ts';
import type { TokenMetadata } from './token-metadata.ts';

/** The one client method metadata needs, so tests and the runtime can pass any viem client (or a fake). */
export type TokenCallClient = Pick<PublicClient, 'call'>;

/** The RPC endpoint failed for a reason other than the call reverting: try again later. */
export class TokenMetadataFetchError extends RetryableError {
  override readonly name = 'TokenMetadataFetchError';
  constructor(address: string, method: string, cause: unknown) {
    super('ORACUL_TOKEN_METADATA_FETCH', `eth_call ${method} on ${address} failed`, { cause, details: { address, method } });
  }
}

/** Standard selector first, then the uppercase variant some early tokens shipped (e.g. `SYMBOL()`, `DECIMALS()`). */
export const METADATA_CALLS = {
  decimals: ['decimals()', 'DECIMALS()'],
  symbol: ['symbol()', 'SYMBOL()'],
  name: ['name()', 'NAME()'],
} as const;

const SELECTORS = new Map<string, Hex>(
  Object.values(METADATA_CALLS)
    .flat()
    .map((signature) => [signature, toFunctionSelector(signature)]),
);

/** A revert means "not implemented / not this variant"; anything else is a transport failure. */
export function isRevert(error: unknown): boolean {
  if (error instanceof BaseError) {
    const hit = error.walk(
      (e) => e instanceof ExecutionRevertedError || e instanceof RawContractError || e instanceof ContractFunctionRevertedError,
    );
    if (hit !== null) return true;
  }
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (/revert/i.test(e.message)) return true;
  return false;
}

async function firstDecoded<T>(
  client: TokenCallClient,
  address: Address,
  signatures: readonly string[],
  decode: (hex: string | undefined) => MetadataDecodeResult<T>,
  blockNumber: bigint | undefined,
): Promise<{ value: T; signature: string; encoding: 'uint' | 'string' | 'bytes32' } | null> {
  for (const signature of signatures) {
    let data: Hex | undefined;
    try {
      ({ data } = await client.call({
        to: address,
        data: SELECTORS.get(signature),
        ...(blockNumber === undefined ? {} : { blockNumber }),
      }));
    } catch (error) {
      if (isRevert(error)) continue;
      throw new TokenMetadataFetchError(address, signature, error);
    }
    const decoded = decode(data);
    if (decoded.ok) return { value: decoded.value, signature, encoding: decoded.encoding };
  }
  return null;
}

/** How `symbol()` answered (`erc20.tokens.symbol_encoding`): an ABI string, a bytes32, or only the uppercase getter. */
export type SymbolEncoding = 'string' | 'bytes32' | 'SYMBOL';

/** Metadata read from the contract, with how its symbol was encoded. */
export interface RpcTokenMetadata extends TokenMetadata {
  readonly source: 'rpc';
  readonly symbol_encoding: SymbolEncoding | null;
}

/**
 * Reads decimals, symbol and name from the contract, trying the uppercase variants when the standard call
 * reverts or returns garbage. A value that cannot be decoded is null (so USD values of the token stay null).
 * @throws TokenMetadataFetchError when the endpoint fails (retryable); reverts are not errors.
 * @example await fetchTokenMetadata(publicClient, { chainId: 1, address: '0x86fa…dfb0' })
 */
export async function fetchTokenMetadata(
  client: TokenCallClient,
  params: { readonly chainId: number; readonly address: string; readonly blockNumber?: bigint },
): Promise<RpcTokenMetadata> {
  const address = params.address.toLowerCase() as Address;
  const decimals = await firstDecoded(client, address, METADATA_CALLS.decimals, decodeDecimalsResult, params.blockNumber);
  const symbol = await firstDecoded(
    client,
    address,
    METADATA_CALLS.symbol,
    (hex) => decodeTextResult(hex, 64),
    params.blockNumber,
  );
  const name = await firstDecoded(client, address, METADATA_CALLS.name, (hex) => decodeTextResult(hex, 256), params.blockNumber);
  return {
    chain_id: params.chainId,
    address,
    symbol: symbol?.value ?? null,
    name: name?.value ?? null,
    decimals: decimals?.value ?? null,
    source: 'rpc',
    symbol_encoding: symbol === null ? null : symbolEncodingOf(symbol),
  };
}

/** Only the uppercase getter answered: `SYMBOL`; otherwise how `symbol()` encoded its answer. */
function symbolEncodingOf(symbol: { signature: string; encoding: 'uint' | 'string' | 'bytes32' }): SymbolEncoding {
  if (symbol.signature === 'SYMBOL()') return 'SYMBOL';
  return symbol.encoding === 'bytes32' ? 'bytes32' : 'string';
}
