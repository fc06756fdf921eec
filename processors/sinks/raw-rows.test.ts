import { describe, expect, it } from 'vitest';
import type { LogBatch, PriceTick } from '../../schemas/index.ts';
import { blockRows, chDateTime64, logRows, priceRows, toDecimal18 } from './raw-rows.ts';

const envelope = {
  chain_id: 1,
  block_number: 19_000_000,
  block_hash: `0x${'ab'.repeat(32)}`,
  block_timestamp: 1_700_000_000_123,
  checkpoint: '0'.repeat(65),
  version: 7,
  observed_at: 1_700_000_100_000,
} as const;

describe('raw row mappers', () => {
  it('formats DateTime64(3) in UTC without guessing', () => {
    expect(chDateTime64(1_700_000_000_123)).toBe('2023-11-14 22:13:20.123');
  });
  it('a retraction re-keys the orphaned block with is_orphaned = 1 and its own version', () => {
    const rows = blockRows({ kind: 'reorg', ...envelope, version: 9, header: null });
    expect(rows).toEqual([
      expect.objectContaining({ block_hash: envelope.block_hash, block_number: 19_000_000, version: 9, is_orphaned: 1 }),
    ]);
    expect(blockRows({ kind: 'finalize', ...envelope, header: null })).toEqual([]);
  });
  it('one log row per log, the block envelope repeated', () => {
    const batch: LogBatch = {
      kind: 'block',
      ...envelope,
      part: 0,
      parts: 1,
      logs: [
        { tx_hash: `0x${'01'.repeat(32)}`, tx_index: 0, log_index: 0, address: `0x${'11'.repeat(20)}`, topics: [], data: '0x' },
        {
          tx_hash: `0x${'01'.repeat(32)}`,
          tx_index: 0,
          log_index: 1,
          address: `0x${'11'.repeat(20)}`,
          topics: [`0x${'22'.repeat(32)}`],
          data: '0x01',
        },
      ],
    };
    const rows = logRows(batch);
    expect(rows.map((r) => [r.log_index, r.block_timestamp, r.version, r.is_orphaned])).toEqual([
      [0, '2023-11-14 22:13:20.123', 7, 0],
      [1, '2023-11-14 22:13:20.123', 7, 0],
    ]);
  });
  it('prices keep at most 18 fractional digits, truncated; gaps stay null', () => {
    expect(toDecimal18('1.1234567890123456789999')).toBe('1.123456789012345678');
    expect(toDecimal18('42')).toBe('42');
    const gap: PriceTick = {
      chain_id: 1,
      token_address: `0x${'33'.repeat(20)}`,
      coingecko_id: 'weth',
      symbol: 'WETH',
      price_usd: null,
      price_timestamp: 0,
      source: 'coingecko:simple_price',
      fetched_at: 0,
    };
    expect(priceRows(gap)[0]!.price_usd).toBeNull();
  });
});
