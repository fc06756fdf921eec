import { describe, expect, it } from 'vitest';
import type { LogBatch, TransactionBatch } from '../../schemas/index.ts';
import { SinkRecordInvalidError } from './errors.ts';
import { blockRows, logRows, transactionRows } from './raw-rows.ts';
import { isAddress20, isHash32, isHexData, valuePrefix } from './raw-validate.ts';

/** The schema types say `0x…`; these tests feed what a foreign producer could send anyway. */
type Hex = `0x${string}`;
const raw = (v: string): Hex => v as Hex;
const HASH = raw(`0x${'ab'.repeat(32)}`);
const ADDRESS = raw(`0x${'11'.repeat(20)}`);

describe('raw field formats', () => {
  it('accepts lowercase 0x hex of the exact width and refuses everything else', () => {
    expect(isHash32(HASH)).toBe(true);
    for (const bad of [
      'not-a-hash',
      HASH.toUpperCase(),
      `0X${'ab'.repeat(32)}`,
      `${HASH}00`,
      HASH.slice(0, 65),
      `0x${'ag'.repeat(32)}`,
      null,
      7,
    ])
      expect(isHash32(bad), String(bad)).toBe(false);
    expect(isAddress20(ADDRESS)).toBe(true);
    for (const bad of ['NOT_AN_ADDRESS', `0x${'AA'.repeat(20)}`, HASH, '0x', `0x${'11'.repeat(19)}1`])
      expect(isAddress20(bad), bad).toBe(false);
    for (const good of ['0x', '0x00', `0x${'fe'.repeat(1000)}`]) expect(isHexData(good), good).toBe(true);
    for (const bad of ['zz', '', '0', '0xabc', '0xZZ', 'ab12', '0x0G']) expect(isHexData(bad), bad).toBe(false);
  });

  it('keeps a prefix of long values only', () => {
    expect(valuePrefix('short')).toBe('short');
    expect(valuePrefix(`0x${'f'.repeat(100)}`)).toBe(`0x${'f'.repeat(22)}…`);
  });
});

const envelope = {
  chain_id: 1,
  block_number: 42,
  block_hash: HASH,
  block_timestamp: 1_700_000_000_000,
  checkpoint: 'c',
  version: 1,
  observed_at: 1_700_000_000_000,
  part: 0,
  parts: 1,
};

function logs(overrides: Partial<LogBatch['logs'][number]>[]): LogBatch {
  return {
    ...envelope,
    kind: 'block',
    logs: overrides.map((o, i) => ({
      tx_hash: HASH,
      tx_index: 0,
      log_index: i,
      address: ADDRESS,
      topics: [HASH],
      data: '0x',
      ...o,
    })),
  };
}

function invalid(fn: () => unknown): SinkRecordInvalidError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SinkRecordInvalidError) return error;
    throw error;
  }
  throw new Error('expected SinkRecordInvalidError');
}

describe('raw row mappers refuse malformed records with the field, a value prefix and the rule', () => {
  it('raw_logs: address, data, topics, tx hash, block hash', () => {
    expect(logRows(logs([{}, {}])).length).toBe(2);
    const address = invalid(() => logRows(logs([{}, { address: raw('NOT_AN_ADDRESS') }])));
    expect(address.code).toBe('ORACUL_SINK_RECORD_INVALID');
    expect(address.details).toMatchObject({
      table: 'raw_logs',
      field: 'logs[1].address',
      value_prefix: 'NOT_AN_ADDRESS',
      rule: 'address20',
    });
    expect(address.message).toBe(
      'raw_logs: block 42 logs[1].address "NOT_AN_ADDRESS" breaks rule address20 (0x + 40 lowercase hex digits (a 20-byte address))',
    );
    expect(invalid(() => logRows(logs([{ data: raw('zz') }]))).details).toMatchObject({
      field: 'logs[0].data',
      rule: 'hex-data',
    });
    expect(invalid(() => logRows(logs([{ data: raw('0xabc') }]))).details).toMatchObject({
      field: 'logs[0].data',
      rule: 'hex-data',
    });
    expect(invalid(() => logRows(logs([{ topics: [HASH, raw('0x1234')] }]))).details).toMatchObject({
      field: 'logs[0].topics[1]',
      value_prefix: '0x1234',
      rule: 'hash32',
    });
    expect(invalid(() => logRows(logs([{ topics: [HASH, HASH, HASH, HASH, HASH] }]))).details).toMatchObject({
      field: 'logs[0].topics',
      rule: 'max-4-topics',
    });
    expect(invalid(() => logRows(logs([{ tx_hash: raw('0x12') }]))).details).toMatchObject({
      field: 'logs[0].tx_hash',
      rule: 'hash32',
    });
    expect(invalid(() => logRows({ ...logs([{}]), block_hash: raw('not-a-hash') })).details).toMatchObject({
      field: 'block_hash',
      value_prefix: 'not-a-hash',
      rule: 'hash32',
    });
  });

  it('raw_transactions and raw_blocks', () => {
    const tx: TransactionBatch = {
      ...envelope,
      kind: 'block',
      transactions: [
        {
          tx_hash: HASH,
          tx_index: 0,
          from_address: ADDRESS,
          to_address: null,
          value: '0',
          nonce: 0,
          gas: 21_000,
          gas_price: null,
          max_fee_per_gas: null,
          max_priority_fee_per_gas: null,
          tx_type: 0,
          input: raw(`0x${'AB'.repeat(40)}`),
          status: 1,
          gas_used: 21_000,
          effective_gas_price: null,
          contract_address: null,
        },
      ],
    };
    const input = invalid(() => transactionRows(tx));
    expect(input.details).toMatchObject({
      field: 'transactions[0].input',
      value_prefix: `0x${'AB'.repeat(11)}…`,
      value_length: 82,
    });
    expect(transactionRows({ ...tx, transactions: [{ ...tx.transactions[0]!, input: '0x' }] })).toHaveLength(1);
    expect(
      invalid(() =>
        transactionRows({ ...tx, transactions: [{ ...tx.transactions[0]!, input: '0x', to_address: raw('0xdead') }] }),
      ).details,
    ).toMatchObject({ field: 'transactions[0].to_address', rule: 'address20' });
    const header = {
      parent_hash: HASH,
      miner: raw('NOT_AN_ADDRESS'),
      gas_limit: 1,
      gas_used: 1,
      base_fee_per_gas: null,
      size_bytes: 1,
      transaction_count: 0,
      log_count: 0,
      blob_gas_used: null,
      excess_blob_gas: null,
    };
    const { part: _p, parts: _ps, ...blockEnvelope } = envelope;
    expect(invalid(() => blockRows({ ...blockEnvelope, kind: 'block', header })).details).toMatchObject({
      table: 'raw_blocks',
      field: 'header.miner',
      rule: 'address20',
    });
    // A finality marker writes no row, so nothing of it is checked.
    expect(blockRows({ ...blockEnvelope, block_hash: raw('x'), kind: 'finalize', header: null })).toEqual([]);
  });
});
