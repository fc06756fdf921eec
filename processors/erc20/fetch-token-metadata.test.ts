import { readdirSync } from 'node:fs';
import { ExecutionRevertedError, toFunctionSelector, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { fetchTokenMetadata, isRevert, TokenMetadataFetchError, type TokenCallClient } from './fetch-token-metadata.ts';
import { etlPath, readRpcResult } from './testing/shared-data.ts';

const word = (value: bigint): string => value.toString(16).padStart(64, '0');
const bytes32 = (text: string): Hex => `0x${Buffer.from(text).toString('hex').padEnd(64, '0')}`;
const sel = (signature: string): Hex => toFunctionSelector(signature);

/** A fake `call` answering from a selector → result table; a missing selector reverts like a real node. */
function fakeClient(answers: Record<string, Hex | Error>, seen: string[] = []): TokenCallClient {
  const call = async ({ data }: { data?: Hex | undefined }) => {
    seen.push(String(data));
    const answer = answers[String(data)];
    if (answer === undefined) throw new ExecutionRevertedError({ message: 'execution reverted' });
    if (answer instanceof Error) throw answer;
    return { data: answer };
  };
  return { call } as unknown as TokenCallClient;
}

describe('fetchTokenMetadata', () => {
  const address = '0x9F8F72AA9304C8B593D555F12EF6589CC3A579A2';

  it('uses the uppercase variants when the standard calls revert', async () => {
    const seen: string[] = [];
    const client = fakeClient(
      { [sel('DECIMALS()')]: `0x${word(8n)}`, [sel('SYMBOL()')]: bytes32('OLD'), [sel('name()')]: bytes32('Old Token') },
      seen,
    );
    expect(await fetchTokenMetadata(client, { chainId: 1, address })).toEqual({
      chain_id: 1,
      address: address.toLowerCase(),
      symbol: 'OLD',
      name: 'Old Token',
      decimals: 8,
      source: 'rpc',
      symbol_encoding: 'SYMBOL',
    });
    expect(seen).toEqual([sel('decimals()'), sel('DECIMALS()'), sel('symbol()'), sel('SYMBOL()'), sel('name()')]);
  });

  it('falls through garbage to the variant, and to null when nothing decodes', async () => {
    const client = fakeClient({ [sel('decimals()')]: `0x${word(1000n)}`, [sel('symbol()')]: '0x', [sel('SYMBOL()')]: '0x1234' });
    expect(await fetchTokenMetadata(client, { chainId: 1, address })).toMatchObject({
      decimals: null,
      symbol: null,
      name: null,
      symbol_encoding: null,
    });
  });

  it('a transport failure is a retryable error, not a null', async () => {
    const client = fakeClient({ [sel('decimals()')]: new Error('socket hang up') });
    const error = await fetchTokenMetadata(client, { chainId: 1, address }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenMetadataFetchError);
    expect((error as TokenMetadataFetchError).retryable).toBe(true);
    expect(isRevert(new Error('VM Exception while processing transaction: revert'))).toBe(true);
    expect(isRevert(new Error('ECONNRESET'))).toBe(false);
  });

  it('replays the recorded mainnet calls of EOS (bytes32 symbol)', async () => {
    const dir = etlPath('test_export_tokens_job', 'token_with_alternative_return_type');
    const answers: Record<string, Hex> = {};
    for (const f of readdirSync(dir).filter((name) => name.startsWith('web3_response.eth_call_data_'))) {
      answers[f.split('_')[4] as string] = readRpcResult<Hex>(`${dir}/${f}`);
    }
    expect(
      await fetchTokenMetadata(fakeClient(answers), { chainId: 1, address: '0x86fa049857e0209aa7d9e616f7eb3b3b78ecfdb0' }),
    ).toEqual({
      chain_id: 1,
      address: '0x86fa049857e0209aa7d9e616f7eb3b3b78ecfdb0',
      symbol: 'EOS',
      name: null,
      decimals: 18,
      source: 'rpc',
      symbol_encoding: 'bytes32',
    });
  });
});
