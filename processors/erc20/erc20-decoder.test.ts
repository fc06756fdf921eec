import { describe, expect, it } from 'vitest';
import type { LogBatch, Transfer, TransferBatch, TransferReject } from '../../schemas/generated/types.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { createErc20DecoderProcessor, type Erc20DecoderInput } from './erc20-decoder.ts';
import { legsOfBatch, transfersOfBatch } from './transfer-batch.ts';
import { TRANSFER_TOPIC } from './transfer-event.ts';

const TOKEN = '0x' + 'ab'.repeat(20);
const A = '0x' + '11'.repeat(20);
const B = '0x' + '22'.repeat(20);
const ZERO = '0x' + '00'.repeat(20);
const word = (address: string): `0x${string}` => `0x${'0'.repeat(24)}${address.slice(2)}`;
const amount = (n: bigint): `0x${string}` => `0x${n.toString(16).padStart(64, '0')}`;

function block(
  number: number,
  hashSuffix: string,
  logs: LogBatch['logs'],
  kind: LogBatch['kind'] = 'block',
  version = number,
): Erc20DecoderInput {
  return {
    kind: 'logs',
    batch: {
      kind,
      chain_id: 1,
      block_number: number,
      block_hash: `0x${'0'.repeat(62)}${hashSuffix}`,
      block_timestamp: 1_700_000_000_000 + number * 12_000,
      checkpoint: 'x',
      version,
      observed_at: 0,
      part: 0,
      parts: 1,
      logs,
    },
  };
}

const transferLog = (logIndex: number, from: string, to: string, value: bigint): LogBatch['logs'][number] => ({
  tx_hash: `0x${'f'.repeat(63)}${logIndex}`,
  tx_index: 0,
  log_index: logIndex,
  address: TOKEN as `0x${string}`,
  topics: [TRANSFER_TOPIC as `0x${string}`, word(from), word(to)],
  data: amount(value),
});

describe("erc20-decoder (block logs → transfers, the hops' batches, rejects)", () => {
  it('emits the transfer by token and once per distinct non-zero participant, with metadata from the global table', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    driver.pipe({
      kind: 'token',
      token: {
        chain_id: 1,
        address: TOKEN as `0x${string}`,
        symbol: 'TKN',
        name: null,
        decimals: 6,
        source: 'seed',
        symbol_encoding: null,
        fetched_at: 0,
        version: 1,
      },
    });
    const out = driver.pipe(
      block(10, 'a1', [transferLog(0, A, B, 2_500_000n), transferLog(1, ZERO, A, 1n), transferLog(2, A, A, 5n)]),
    );
    const byTopic = (t: string): typeof out => out.filter((o) => o.topic === t);
    expect(byTopic('erc20.transfers')).toHaveLength(3);
    const first = byTopic('erc20.transfers')[0]?.value as Transfer;
    expect(first).toMatchObject({
      kind: 'transfer',
      amount_raw: '2500000',
      amount_decimal: '2.5',
      symbol: 'TKN',
      decimals: 6,
      version: 10,
      block_timestamp: 1_700_000_120_000,
    });
    // A→B: two copies; mint to A: one (zero skipped); self-transfer A→A: one. A copy is a by-address batch row
    // (one batch per partition, keyed by its first row's participant); `both` = one row for two participants.
    const participantKeys = byTopic('erc20.transfer-batches.by-address').flatMap((o) => {
      const batch = o.value as TransferBatch;
      const legs = legsOfBatch(batch);
      return transfersOfBatch(batch).flatMap((t, i) => {
        const keys = [`1:${t.from_address}:${TOKEN}`, `1:${t.to_address}:${TOKEN}`];
        return legs[i] === 'out' ? [keys[0]] : legs[i] === 'in' ? [keys[1]] : [...new Set(keys)];
      });
    });
    expect(participantKeys.sort()).toEqual([`1:${A}:${TOKEN}`, `1:${B}:${TOKEN}`, `1:${A}:${TOKEN}`, `1:${A}:${TOKEN}`].sort());
    // The by-token batch carries the three transfers, as erc20.transfers does.
    const byToken = byTopic('erc20.transfer-batches.by-token').flatMap((o) => transfersOfBatch(o.value as TransferBatch));
    expect(byToken).toEqual(byTopic('erc20.transfers').map((o) => o.value));
  });

  it('rejects ERC-721 logs with a reason and retracts a reorged block with the reorg record version', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    const nft = {
      ...transferLog(1, A, B, 0n),
      topics: [TRANSFER_TOPIC as `0x${string}`, word(A), word(B), amount(7n)],
      data: '0x' as `0x${string}`,
    };
    driver.pipe(block(20, 'b1', [transferLog(0, A, B, 9n), nft], 'block', 5));
    expect(driver.store('reject_counts').get('erc721_four_topics')).toBe(1);
    expect((driver.outputs('erc20.rejects')[0]?.value as TransferReject).reason).toBe('erc721_four_topics');
    driver.drainOutputs();
    const out = driver.pipe(block(20, 'b1', [], 'reorg', 8));
    const retracted = out.filter((o) => o.topic === 'erc20.transfers').map((o) => o.value as Transfer);
    expect(retracted).toEqual([expect.objectContaining({ kind: 'retraction', amount_raw: '9', version: 8, block_number: 20 })]);
    const retractedRows = out
      .filter((o) => o.topic === 'erc20.transfer-batches.by-token')
      .flatMap((o) => transfersOfBatch(o.value as TransferBatch));
    expect(retractedRows).toEqual(retracted);
    expect(out.filter((o) => o.topic === 'erc20.rejects').map((o) => (o.value as TransferReject).kind)).toEqual(['retraction']);
    expect(driver.store('reject_counts').get('erc721_four_topics')).toBe(0);
    // Retracting twice does nothing: the block's logs were forgotten.
    expect(driver.pipe(block(20, 'b1', [], 'reorg', 9))).toEqual([]);
  });

  it('decodes a block part delivered twice once (the source publishes at least once), and again after a reorg back', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    expect(driver.pipe(block(50, 'e1', [transferLog(0, A, B, 3n)])).filter((o) => o.topic === 'erc20.transfers')).toHaveLength(1);
    expect(driver.pipe(block(50, 'e1', [transferLog(0, A, B, 3n)]))).toEqual([]);
    // Orphaned, then canonical again (a reorg back to the first branch): the re-ingested block counts once more.
    expect(driver.pipe(block(50, 'e1', [], 'reorg', 60)).map((o) => (o.value as Transfer).kind)).toContain('retraction');
    const again = driver.pipe(block(50, 'e1', [transferLog(0, A, B, 3n)], 'block', 61));
    expect(again.filter((o) => o.topic === 'erc20.transfers').map((o) => (o.value as Transfer).kind)).toEqual(['transfer']);
  });

  it('forgets blocks once finalized, so a reorg below finality retracts nothing', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    driver.pipe(block(30, 'c1', [transferLog(0, A, B, 1n)]));
    driver.pipe(block(31, 'c2', [transferLog(0, A, B, 1n)]));
    driver.pipe(block(30, 'c1', [], 'finalize'));
    expect([...driver.store('recent').range({})].map(([k]) => k)).toEqual([expect.stringMatching(/^0000000000000031\|/)]);
    expect(driver.pipe(block(30, 'c1', [], 'reorg', 99))).toEqual([]);
  });

  it('ignores other events without state changes, and counts each reject reason (retractions uncount)', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    expect(driver.pipe(block(60, 'f1', [{ ...transferLog(0, A, B, 1n), topics: [`0x${'00'.repeat(32)}`] }]))).toEqual([]);
    expect(driver.stats.stateChanges).toBe(0);
    const nft = {
      ...transferLog(1, A, B, 0n),
      topics: [TRANSFER_TOPIC as `0x${string}`, word(A), word(B), amount(7n)],
      data: '0x' as const,
    };
    const badData = { ...transferLog(2, A, B, 0n), data: '0x' as const };
    driver.pipe(block(61, 'f2', [nft, { ...nft, log_index: 3 }, badData]));
    driver.pipe(block(62, 'f3', [nft]));
    driver.pipe(block(62, 'f3', [], 'reorg', 99));
    expect(driver.store('reject_counts').entries()).toEqual([
      ['bad_data_length', 1],
      ['erc721_four_topics', 2],
    ]);
    const rejects = driver.outputs('erc20.rejects').map((o) => o.value as TransferReject);
    expect(rejects.map((r) => [r.reason, r.topics.length, r.data, r.kind])).toEqual([
      ['erc721_four_topics', 4, '0x', 'rejection'],
      ['erc721_four_topics', 4, '0x', 'rejection'],
      ['bad_data_length', 3, '0x', 'rejection'],
      ['erc721_four_topics', 4, '0x', 'rejection'],
      ['erc721_four_topics', 4, '0x', 'retraction'],
    ]);
  });

  it('leaves unknown tokens with null decimals (never 18 by default)', () => {
    const driver = createTestDriver(createErc20DecoderProcessor());
    const out = driver.pipe(block(40, 'd1', [transferLog(0, A, B, 10n ** 18n)]));
    expect(out[0]?.value).toMatchObject({ decimals: null, amount_decimal: null, symbol: null });
  });
});
