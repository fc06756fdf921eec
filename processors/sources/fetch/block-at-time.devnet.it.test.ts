import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type Devnet } from '../../../scripts/platform/devnet/node.ts';
import { blockRangeOfDays } from './block-at-time.ts';

/** Date → block resolution for `oracul backfill --from <date>` against a real node with time-warped blocks. */
describe('blockRangeOfDays on a Hardhat devnet', () => {
  let devnet: Devnet;
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(devnet.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result;
  };
  const at = (iso: string): number => Date.parse(iso) / 1000;

  beforeAll(async () => {
    devnet = await startDevnet({ initialDate: new Date('2026-01-01T00:00:00Z'), automine: false });
    // Blocks 1..6: two on Jan 2 (the first exactly at midnight), none on Jan 3, three on Jan 4, one on Jan 5.
    for (const time of [
      '2026-01-02T00:00:00Z',
      '2026-01-02T23:59:59Z',
      '2026-01-04T00:00:01Z',
      '2026-01-04T12:00:00Z',
      '2026-01-04T23:59:59Z',
      '2026-01-05T00:00:00Z',
    ]) {
      await rpc('evm_setNextBlockTimestamp', [at(time)]);
      await rpc('evm_mine');
    }
  }, 180_000);
  afterAll(async () => devnet?.stop());

  it('maps UTC days to their first and last blocks; empty days and days after the head give null', async () => {
    expect(await blockRangeOfDays([devnet.url], '2026-01-02', '2026-01-02')).toEqual({ from: 1, to: 2 });
    expect(await blockRangeOfDays([devnet.url], '2026-01-02', '2026-01-04')).toEqual({ from: 1, to: 5 });
    expect(await blockRangeOfDays([devnet.url], '2026-01-04', '2026-01-09')).toEqual({ from: 3, to: 6 });
    expect(await blockRangeOfDays([devnet.url], '2026-01-03', '2026-01-03')).toBeNull();
    expect(await blockRangeOfDays([devnet.url], '2026-01-06', '2026-01-07')).toBeNull();
  });
});
