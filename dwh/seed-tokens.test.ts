import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { readTokenSeed } from './seed-tokens.ts';

const HEADER = 'chain,chain_id,address,symbol,name,decimals';
const csv = (...lines: string[]) => {
  const file = join(mkdtempSync(join(tmpdir(), 'oracul-seed-')), 'seed.csv');
  writeFileSync(file, [HEADER, ...lines].join('\n'));
  return file;
};

describe('readTokenSeed', () => {
  it('reads the repo seed: the seven tracked mainnet tokens with their decimals', () => {
    const rows = readTokenSeed();
    expect(rows.map((r) => `${r.symbol}:${r.decimals}`)).toEqual([
      'WETH:18',
      'USDC:6',
      'USDT:6',
      'DAI:18',
      'WBTC:8',
      'LINK:18',
      'UNI:18',
    ]);
    expect(rows.every((r) => r.chain === 'mainnet' && r.chainId === 1)).toBe(true);
  });

  it('agrees with config/tokens.yml and config/chains.yml (symbol, address, decimals, chain)', () => {
    const config = loadConfig({ env: {} });
    const seed = readTokenSeed();
    for (const token of config.tokens) {
      const row = seed.find((r) => r.address === token.address);
      expect(row, token.symbol).toMatchObject({ symbol: token.symbol, decimals: token.decimals, chain: token.chain });
      expect(config.chains.find((c) => c.name === row!.chain)?.chainId, token.symbol).toBe(row!.chainId);
    }
  });

  it.each([
    [
      'a checksummed (mixed-case) address',
      'mainnet,1,0xC02aaa39b223FE8D0A0e5C4F27eAD9083C756Cc2,WETH,Wrapped Ether,18',
      /lowercase/,
    ],
    ['decimals above 255', 'mainnet,1,0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2,WETH,Wrapped Ether,256', /decimals/],
    ['a missing column', 'mainnet,1,0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2,WETH,18', /expected 6 columns/],
    ['quoting', 'mainnet,1,0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2,WETH,"Wrapped, Ether",18', /quoted/],
  ])('rejects %s with ORACUL_MIGRATION_INVALID and the line', (_label, line, message) => {
    const file = csv(line);
    expect(() => readTokenSeed(file)).toThrow(message);
    expect(() => readTokenSeed(file)).toThrow(/seed\.csv:2/);
  });

  it('rejects duplicates and a wrong header', () => {
    const weth = 'mainnet,1,0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2,WETH,Wrapped Ether,18';
    expect(() => readTokenSeed(csv(weth, weth))).toThrow(/duplicate/);
    const file = join(mkdtempSync(join(tmpdir(), 'oracul-seed-')), 'bad.csv');
    writeFileSync(file, 'address,symbol\n');
    expect(() => readTokenSeed(file)).toThrow(/header must be/);
  });
});
