import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { MigrationInvalidError } from './errors.ts';
import { quoteIdentifier } from './load-migrations.ts';

/** dwh/seeds/erc20_token_metadata.csv: curated metadata of the tracked tokens. */
export const TOKEN_SEED_FILE = join(dirname(fileURLToPath(import.meta.url)), 'seeds', 'erc20_token_metadata.csv');

const HEADER = ['chain', 'chain_id', 'address', 'symbol', 'name', 'decimals'] as const;

export interface TokenSeedRow {
  /** Chain name as in config/chains.yml. */
  chain: string;
  chainId: number;
  address: `0x${string}`;
  symbol: string;
  name: string;
  decimals: number;
}

/** Parses and validates the seed CSV (plain comma-separated, no quoting: token names here need none). */
export function readTokenSeed(file: string = TOKEN_SEED_FILE): TokenSeedRow[] {
  const lines = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n');
  const header = lines[0]?.split(',').map((s) => s.trim());
  if (header?.join(',') !== HEADER.join(',')) {
    throw new MigrationInvalidError(`${file}: header must be ${HEADER.join(',')}`, { details: { file, header } });
  }
  const rows: TokenSeedRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 2}`;
    const invalid = (reason: string) => new MigrationInvalidError(`${where}: ${reason}`, { details: { file, line: i + 2 } });
    if (line.includes('"')) throw invalid('quoted fields are not supported');
    const cells = line.split(',').map((s) => s.trim());
    if (cells.length !== HEADER.length) throw invalid(`expected ${HEADER.length} columns, got ${cells.length}`);
    const [chain, chainId, address, symbol, name, decimals] = cells as [string, string, string, string, string, string];
    if (!/^[1-9]\d*$/.test(chainId)) throw invalid(`chain_id ${JSON.stringify(chainId)} is not a positive integer`);
    if (!/^0x[0-9a-f]{40}$/.test(address)) throw invalid(`address ${JSON.stringify(address)} is not lowercase 0x + 40 hex`);
    if (!/^\d+$/.test(decimals) || Number(decimals) > 255) throw invalid(`decimals ${JSON.stringify(decimals)} is not 0..255`);
    if (!chain || !symbol || !name) throw invalid('chain, symbol and name are required');
    const row: TokenSeedRow = {
      chain,
      chainId: Number(chainId),
      address: address as `0x${string}`,
      symbol,
      name,
      decimals: Number(decimals),
    };
    if (rows.some((r) => r.chainId === row.chainId && r.address === row.address)) throw invalid(`duplicate token ${address}`);
    rows.push(row);
  });
  return rows;
}

export interface SeedTokensParameters {
  client: ClickHouseClient;
  database: string;
  file?: string;
  /** Clock for the row version (epoch ms); injectable for tests. */
  now?: () => number;
}

/**
 * Upserts the seed rows into `tokens`, inserting only rows whose content differs
 * from the current latest version: a second run inserts nothing, and an edited
 * seed row wins because its version (now) is the newest.
 */
export async function seedTokens(params: SeedTokensParameters): Promise<{ inserted: number; unchanged: number }> {
  const rows = readTokenSeed(params.file);
  if (rows.length === 0) return { inserted: 0, unchanged: 0 };
  const table = `${quoteIdentifier(params.database)}.tokens`;
  const rs = await params.client.query({
    query: `SELECT chain_id, address, symbol, name, decimals, source FROM ${table} FINAL WHERE address IN {addresses:Array(String)}`,
    query_params: { addresses: rows.map((r) => r.address) },
    format: 'JSONEachRow',
  });
  const current = await rs.json<{
    chain_id: string | number;
    address: string;
    symbol: string | null;
    name: string | null;
    decimals: number | null;
    source: string;
  }>();
  const same = (r: TokenSeedRow) =>
    current.some(
      (c) =>
        Number(c.chain_id) === r.chainId &&
        c.address === r.address &&
        c.symbol === r.symbol &&
        c.name === r.name &&
        c.decimals === r.decimals &&
        c.source === 'seed',
    );
  const changed = rows.filter((r) => !same(r));
  if (changed.length > 0) {
    const version = (params.now ?? Date.now)();
    await params.client.insert({
      table,
      values: changed.map((r) => ({
        chain_id: r.chainId,
        address: r.address,
        symbol: r.symbol,
        name: r.name,
        decimals: r.decimals,
        source: 'seed',
        symbol_encoding: null,
        updated_at: version,
        version,
      })),
      format: 'JSONEachRow',
    });
  }
  return { inserted: changed.length, unchanged: rows.length - changed.length };
}
