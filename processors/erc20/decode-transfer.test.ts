import { describe, expect, it } from 'vitest';
import { decodeTransferLog, type TransferDecodeResult } from './decode-transfer.ts';
import { decodeTransferWithViem } from './decode-transfer-with-viem.ts';
import type { EvmLog } from './log.ts';
import { REJECT_REASONS, type RejectReason } from './reject-reason.ts';
import { toTransfer } from './transfer.ts';
import { encodeCheckpoint } from '../../schemas/checkpoint.ts';
import { TRANSFER_TOPIC, ZERO_ADDRESS } from './transfer-event.ts';

const A = '0x1b63142628311395ceafeea5667e7c9026c862ca';
const B = '0xac4df82fe37ea2187bc8c011a23d743b4f39019a';
const word = (value: bigint): string => value.toString(16).padStart(64, '0');
const topicOf = (address: string): string => '0x' + '0'.repeat(24) + address.slice(2);
const dataOf = (...values: bigint[]): string => '0x' + values.map(word).join('');

/** Decodes with both paths and checks they agree. */
function decode(topics: readonly string[], data: string): TransferDecodeResult {
  const fast = decodeTransferLog(topics, data);
  expect(decodeTransferWithViem(topics, data)).toEqual(fast);
  return fast;
}

const reject = (reason: RejectReason): TransferDecodeResult => ({ kind: 'rejected', reason });

describe('decodeTransferLog', () => {
  it('decodes the standard form', () => {
    expect(decode([TRANSFER_TOPIC, topicOf(A), topicOf(B)], dataOf(100000n))).toEqual({
      kind: 'transfer',
      from: A,
      to: B,
      amount: 100000n,
      form: 'standard',
    });
  });

  it('keeps amounts of 2^255 and 2^256−1 exact', () => {
    for (const amount of [2n ** 255n, 2n ** 256n - 1n, 0n, 2n ** 53n + 1n]) {
      expect(decode([TRANSFER_TOPIC, topicOf(A), topicOf(B)], dataOf(amount))).toMatchObject({ kind: 'transfer', amount });
    }
  });

  it('decodes the legacy unindexed form (1 topic, 96 bytes) and tags it', () => {
    const data = '0x' + word(BigInt(A)) + word(BigInt(B)) + word(2n ** 255n);
    expect(decode([TRANSFER_TOPIC], data)).toEqual({
      kind: 'transfer',
      from: A,
      to: B,
      amount: 2n ** 255n,
      form: 'legacy',
    });
  });

  it('accepts uppercase hex and returns lowercase addresses', () => {
    const upper = (s: string): string => '0x' + s.slice(2).toUpperCase();
    expect(decode([upper(TRANSFER_TOPIC), upper(topicOf(A)), upper(topicOf(B))], upper(dataOf(255n)))).toMatchObject({
      from: A,
      to: B,
      amount: 255n,
    });
  });

  it('ignores other events and empty topics', () => {
    expect(decode([], '0x')).toEqual({ kind: 'not_transfer' });
    const approval = '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
    expect(decode([approval, topicOf(A), topicOf(B)], dataOf(1n))).toEqual({ kind: 'not_transfer' });
  });

  describe('rejects, one reason each', () => {
    const cases: [RejectReason, readonly string[], string][] = [
      ['erc721_four_topics', [TRANSFER_TOPIC, topicOf(A), topicOf(B), '0x' + word(7n)], '0x'],
      ['bad_topic_count', [TRANSFER_TOPIC, topicOf(A)], dataOf(BigInt(B), 1n)],
      ['bad_data_length', [TRANSFER_TOPIC, topicOf(A), topicOf(B)], '0x'],
      ['bad_data_length', [TRANSFER_TOPIC, topicOf(A), topicOf(B)], dataOf(1n) + '00'],
      ['bad_data_length', [TRANSFER_TOPIC, topicOf(A), topicOf(B)], dataOf(1n, 2n)],
      ['bad_data_length', [TRANSFER_TOPIC], dataOf(BigInt(A), BigInt(B))],
      ['bad_data_length', [TRANSFER_TOPIC], dataOf(BigInt(A), BigInt(B), 1n, 0n)],
      ['non_zero_padding_in_address_topic', [TRANSFER_TOPIC, '0x' + 'f'.repeat(24) + A.slice(2), topicOf(B)], dataOf(1n)],
      ['non_zero_padding_in_address_topic', [TRANSFER_TOPIC, topicOf(A), '0x' + word(2n ** 160n + 1n)], dataOf(1n)],
      ['non_zero_padding_in_address_word', [TRANSFER_TOPIC], dataOf(2n ** 200n, BigInt(B), 1n)],
      ['non_zero_padding_in_address_word', [TRANSFER_TOPIC], dataOf(BigInt(A), 2n ** 255n, 1n)],
      ['malformed_hex', [TRANSFER_TOPIC, topicOf(A), topicOf(B)], '0x' + 'zz'.repeat(32)],
      ['malformed_hex', [TRANSFER_TOPIC, topicOf(A), topicOf(B)], dataOf(1n).slice(0, -1)],
      ['malformed_hex', [TRANSFER_TOPIC, topicOf(A).slice(0, 40), topicOf(B)], dataOf(1n)],
      ['malformed_hex', [TRANSFER_TOPIC], '0x' + 'g'.repeat(192)],
    ];
    for (const [reason, topics, data] of cases) {
      it(`${reason}: ${topics.length} topics, ${data.length} data chars`, () => {
        expect(decode(topics, data)).toEqual(reject(reason));
      });
    }
    it('covers every declared reason', () => {
      expect(new Set(cases.map(([reason]) => reason))).toEqual(new Set(REJECT_REASONS));
    });
  });

  it('an anonymous-event collision with a non-address "topic" is rejected, not decoded', () => {
    // e.g. `event X(bytes32 indexed a, bytes32 indexed b, bytes32 indexed c) anonymous` with a = Transfer hash
    const hash = '0x' + 'ab'.repeat(32);
    expect(decode([TRANSFER_TOPIC, hash, topicOf(B)], dataOf(1n))).toEqual(reject('non_zero_padding_in_address_topic'));
  });
});

describe('toTransfer', () => {
  const log: EvmLog = {
    chain_id: 1,
    block_number: 483920,
    block_hash: '0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae',
    block_timestamp: 1446561880_000,
    tx_hash: '0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8',
    tx_index: 0,
    log_index: 0,
    address: '0xf4eced2f682ce333f96f2d8966c613ded8fc95dd',
    topics: [],
    data: '0x',
  };
  const decoded = (from: string, to: string, amount: bigint) =>
    ({ kind: 'transfer', from, to, amount, form: 'standard' }) as const;

  it('flags mints and burns by the zero address', () => {
    const mint = toTransfer(log, decoded(ZERO_ADDRESS, A, 5n), undefined);
    const burn = toTransfer(log, decoded(A, ZERO_ADDRESS, 5n), undefined);
    const plain = toTransfer(log, decoded(A, B, 5n), undefined);
    expect([mint.is_mint, mint.is_burn, burn.is_mint, burn.is_burn, plain.is_mint, plain.is_burn]).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
    ]);
  });

  it('scales by known decimals, exactly, and leaves unknown decimals null', () => {
    const meta = { chain_id: 1, address: log.address, symbol: 'X', name: null, decimals: 18, source: 'seed' } as const;
    const max = toTransfer(log, decoded(A, B, 2n ** 256n - 1n), meta);
    expect(max.amount_decimal).toBe('115792089237316195423570985008687907853269984665640564039457.584007913129639935');
    expect(toTransfer(log, decoded(A, B, 2n ** 255n), { ...meta, decimals: 0 }).amount_decimal).toBe((2n ** 255n).toString());
    const unknown = toTransfer(log, decoded(A, B, 10n ** 18n), { ...meta, decimals: null });
    expect([unknown.amount_decimal, unknown.decimals]).toEqual([null, null]);
    expect(toTransfer(log, decoded(A, B, 1n), undefined).amount_decimal).toBeNull();
  });

  it('carries the contract checkpoint (block time in ms, chain, block, tx, log)', () => {
    expect(toTransfer(log, decoded(A, B, 1n), undefined).checkpoint).toBe(
      '1446561880000' + '1'.padStart(16, '0') + '483920'.padStart(16, '0') + '0'.repeat(20),
    );
  });

  it('builds the checkpoint exactly as encodeCheckpoint does, errors included', () => {
    const cases: Partial<EvmLog>[] = [
      { block_timestamp: 0, chain_id: 0, block_number: 0, tx_index: 0, log_index: 0 },
      {
        block_timestamp: 9_999_999_999_999,
        chain_id: 2 ** 53 - 1,
        block_number: 2 ** 53 - 1,
        tx_index: 9_999_999_999,
        log_index: 9_999_999_999,
      },
      { block_timestamp: 1_714_521_600_000, chain_id: 8453, block_number: 19_000_001, tx_index: 299, log_index: 1023 },
    ];
    for (const fields of cases) {
      const l = { ...log, ...fields };
      expect(toTransfer(l, decoded(A, B, 1n), undefined).checkpoint).toBe(
        encodeCheckpoint({
          timestampMs: l.block_timestamp,
          chainId: l.chain_id,
          blockNumber: l.block_number,
          txIndex: l.tx_index,
          logIndex: l.log_index,
        }),
      );
    }
    for (const bad of [
      { tx_index: 10_000_000_000 },
      { log_index: -1 },
      { block_timestamp: 10_000_000_000_000 },
      { chain_id: 1.5 },
    ])
      expect(() => toTransfer({ ...log, ...bad }, decoded(A, B, 1n), undefined)).toThrow(RangeError);
  });
});
