import { describe, expect, it } from 'vitest';
import type { LogBatch, PriceTick } from '../../schemas/index.ts';
import { PRICES_SPOT_COLUMNS, RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from './raw-columns.ts';
import { blockRows, chDateTime64, logRows, priceRows, toDecimal18, transactionRows } from './raw-rows.ts';

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
  it('every raw row has exactly the RowBinary columns its sink declares (RowBinary carries no names)', () => {
    const header = {
      parent_hash: `0x${'cd'.repeat(32)}`,
      miner: `0x${'11'.repeat(20)}`,
      gas_limit: 30_000_000,
      gas_used: 1,
      base_fee_per_gas: '7',
      size_bytes: 1,
      transaction_count: 1,
      log_count: 1,
      blob_gas_used: null,
      excess_blob_gas: null,
    } as const;
    const names = (columns: readonly { name: string }[]) => columns.map((c) => c.name).sort();
    for (const row of [
      ...blockRows({ kind: 'block', ...envelope, header }),
      ...blockRows({ kind: 'reorg', ...envelope, header: null }),
    ]) {
      expect(Object.keys(row).sort()).toEqual(names(RAW_BLOCKS_COLUMNS));
    }
    const transaction = {
      tx_hash: `0x${'01'.repeat(32)}`,
      tx_index: 0,
      from_address: `0x${'11'.repeat(20)}`,
      to_address: null,
      value: '1',
      nonce: 0,
      gas: 21_000,
      gas_price: null,
      max_fee_per_gas: null,
      max_priority_fee_per_gas: null,
      tx_type: 2,
      input: '0x',
      status: 1,
      gas_used: 21_000,
      effective_gas_price: null,
      contract_address: null,
    } as const;
    const [tx] = transactionRows({ kind: 'block', ...envelope, part: 0, parts: 1, transactions: [transaction] });
    expect(Object.keys(tx!).sort()).toEqual(names(RAW_TRANSACTIONS_COLUMNS));
    const log = {
      tx_hash: transaction.tx_hash,
      tx_index: 0,
      log_index: 0,
      address: transaction.from_address,
      topics: [] as `0x${string}`[],
      data: '0x' as const,
    };
    const [l] = logRows({ kind: 'block', ...envelope, part: 0, parts: 1, logs: [log] });
    expect(Object.keys(l!).sort()).toEqual(names(RAW_LOGS_COLUMNS));
    const [price] = priceRows({
      chain_id: 1,
      token_address: `0x${'33'.repeat(20)}`,
      coingecko_id: 'weth',
      symbol: 'WETH',
      price_usd: '1.5',
      price_timestamp: 0,
      source: 'coingecko:simple_price',
      fetched_at: 0,
    });
    expect(Object.keys(price!).sort()).toEqual(names(PRICES_SPOT_COLUMNS));
  });
});
