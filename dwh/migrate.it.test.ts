import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../scripts/test/test-config.ts';
import { createLogger } from '../core/logger.ts';
import { createWarehouseClient } from './client.ts';
import { migrate } from './migrate.ts';
import { migrationStatus } from './migration-status.ts';

// The warehouse (`oracul warehouse serve`) of the integration stack started by scripts/test/global-setup.ts.
const config = testConfig();
const client = createWarehouseClient({ config, withoutDatabase: true });
const database = `oracul_it_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
const logger = createLogger({ level: 'silent', pretty: false });

afterAll(async () => {
  await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await client.close();
});

describe('oracul migrate over HTTP (@clickhouse/client → warehouse endpoint)', () => {
  it('applies every migration once; the second run applies and seeds nothing', async () => {
    const first = await migrate({ client, database, logger });
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.seededTokens).toBe(7);

    const second = await migrate({ client, database, logger });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length, seededTokens: 0 });
    expect((await migrationStatus({ client, database })).every((s) => s.state === 'applied')).toBe(true);
  });

  it('round-trips a UInt256 above 2^128 through erc20_transfers with query parameters', async () => {
    const amount = (2n ** 255n + 1n).toString();
    await client.insert({
      table: `${database}.erc20_transfers`,
      format: 'JSONEachRow',
      values: [
        {
          chain_id: 1,
          block_number: 1,
          block_hash: `0x${'aa'.repeat(32)}`,
          block_timestamp: 1_700_000_000_000,
          tx_hash: `0x${'bb'.repeat(32)}`,
          tx_index: 0,
          log_index: 0,
          token_address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
          from_address: '0x1111111111111111111111111111111111111111',
          to_address: '0x2222222222222222222222222222222222222222',
          amount_raw: amount,
          amount_decimal: null,
          decimals: null,
          symbol: null,
          is_mint: false,
          is_burn: false,
          form: 'standard',
          version: 1,
          is_orphaned: 0,
        },
      ],
    });
    const rs = await client.query({
      query: `SELECT amount_raw FROM ${database}.erc20_transfers FINAL WHERE token_address = {token:String} AND amount_raw > {min:UInt256}`,
      query_params: { token: '0xdac17f958d2ee523a2206206994597c13d831ec7', min: (2n ** 128n).toString() },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ amount_raw: amount }]);
  });
});
