import { describe, expect, it } from 'vitest';
import { createTestDriver } from '../core/testDriver.ts';
import type { EvmLog } from './log.ts';
import { tokenKey } from './tokenMetadata.ts';
import type { Erc20Reject, Erc20Transfer } from './transfer.ts';
import { TRANSFER_TOPIC } from './transferEvent.ts';
import { createTransferProcessor } from './transferProcessor.ts';

const TOKEN = '0xf4eced2f682ce333f96f2d8966c613ded8fc95dd';
const word = (value: bigint): string => value.toString(16).padStart(64, '0');
const topicOf = (address: string): string => '0x' + '0'.repeat(24) + address.slice(2);

function log(overrides: Partial<EvmLog>): EvmLog {
  return {
    chain_id: 1,
    block_number: 100,
    block_hash: '0x' + 'aa'.repeat(32),
    block_timestamp: 1_700_000_000,
    tx_hash: '0x' + 'bb'.repeat(32),
    tx_index: 0,
    log_index: 0,
    address: TOKEN,
    topics: [TRANSFER_TOPIC, topicOf('0x' + '11'.repeat(20)), topicOf('0x' + '22'.repeat(20))],
    data: '0x' + word(1_500_000n),
    removed: false,
    ...overrides,
  };
}

describe('transfer processor', () => {
  it('emits transfers keyed by token, with metadata when known', () => {
    const driver = createTestDriver(createTransferProcessor(), {
      initialState: {
        tokens: [[tokenKey(1, TOKEN), { chain_id: 1, address: TOKEN, symbol: 'TKN', name: null, decimals: 6, source: 'seed' }]],
      },
    });
    const [out] = driver.pipe(log({}));
    expect(out?.topic).toBe('erc20.transfers');
    expect(out?.key).toBe(`1:${TOKEN}`);
    expect(out?.value).toMatchObject({
      amount_raw: 1_500_000n,
      amount_decimal: '1.5',
      symbol: 'TKN',
      decimals: 6,
      removed: false,
    } satisfies Partial<Erc20Transfer>);
  });

  it('ignores other events without state changes', () => {
    const driver = createTestDriver(createTransferProcessor());
    expect(driver.pipe(log({ topics: ['0x' + '00'.repeat(32)] }))).toEqual([]);
    expect(driver.stats.stateChanges).toBe(0);
  });

  it('counts rejects per reason, and uncounts retracted ones', () => {
    const driver = createTestDriver(createTransferProcessor());
    const erc721 = log({
      topics: [TRANSFER_TOPIC, topicOf('0x' + '11'.repeat(20)), topicOf('0x' + '22'.repeat(20)), '0x' + word(7n)],
      data: '0x',
    });
    driver.pipe(erc721);
    driver.pipe({ ...erc721, log_index: 1 });
    driver.pipe(log({ data: '0x' }));
    driver.pipe({ ...erc721, removed: true });
    expect(driver.store('reject_counts').entries()).toEqual([
      ['bad_data_length', 1],
      ['erc721_four_topics', 1],
    ]);
    const rejects = driver.outputs('erc20.rejects').map((o) => o.value as Erc20Reject);
    expect(rejects.map((r) => [r.reason, r.topic_count, r.data_bytes, r.removed])).toEqual([
      ['erc721_four_topics', 4, 0, false],
      ['erc721_four_topics', 4, 0, false],
      ['bad_data_length', 3, 0, false],
      ['erc721_four_topics', 4, 0, true],
    ]);
  });

  it('passes retractions through as removed transfers', () => {
    const driver = createTestDriver(createTransferProcessor());
    const [out] = driver.pipe(log({ removed: true }));
    expect(out?.value).toMatchObject({ removed: true, amount_decimal: null });
  });
});
