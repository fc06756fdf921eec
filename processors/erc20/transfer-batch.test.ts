import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { readAvroSchema } from '../../schemas/avro-schema.ts';
import type { LogBatch, Transfer, TransferBatch } from '../../schemas/generated/types.ts';
import { partitionOfKey } from '../../schemas/topic-keys.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { generateSyntheticStream } from '../engine/testing/syntheticTransferStream.ts';
import { createErc20DecoderProcessor, type Erc20DecoderInput } from './erc20-decoder.ts';
import {
  DEFAULT_HOP_PARTITIONS,
  legsOfBatch,
  MalformedTransferBatchError,
  transfersOfBatch,
  type HopPartitions,
} from './transfer-batch.ts';
import { TRANSFER_TOPIC, ZERO_ADDRESS } from './transfer-event.ts';

const batchType = avro.Type.forSchema(readAvroSchema('erc20.transfer-batches') as avro.Schema);
/** Through Avro and back, as the hop carries it. */
const overTheWire = (batch: TransferBatch): TransferBatch => batchType.fromBuffer(batchType.toBuffer(batch)) as TransferBatch;

const tokenKey = (t: Transfer): string => `${t.chain_id}:${t.token_address}`;
const legKey = (t: Transfer, address: string): string => `${t.chain_id}:${address}:${t.token_address}`;

/** What one decoder call produced: the per-transfer records in order, and the batches of both hops. */
function decodeCall(driver: ReturnType<typeof createDecoder>, input: Erc20DecoderInput) {
  const out = driver.pipe(input);
  return {
    transfers: out.filter((o) => o.topic === 'erc20.transfers').map((o) => o.value as Transfer),
    byToken: out
      .filter((o) => o.topic === 'erc20.transfer-batches.by-token')
      .map((o) => ({ key: o.key!, value: o.value as TransferBatch })),
    byAddress: out
      .filter((o) => o.topic === 'erc20.transfer-batches.by-address')
      .map((o) => ({ key: o.key!, value: o.value as TransferBatch })),
  };
}

const createDecoder = (hopPartitions?: HopPartitions) => createTestDriver(createErc20DecoderProcessor({ hopPartitions }));

/** The expected legs of a partition, as (log_index, direction) in the order the per-participant records had. */
function expectedLegs(transfers: readonly Transfer[], partition: number, partitions: number): string[] {
  const legs: string[] = [];
  for (const t of transfers) {
    if (t.from_address !== ZERO_ADDRESS && partitionOfKey(legKey(t, t.from_address), partitions) === partition)
      legs.push(`${t.log_index}:out`);
    if (t.to_address !== ZERO_ADDRESS && partitionOfKey(legKey(t, t.to_address), partitions) === partition)
      legs.push(`${t.log_index}:in`);
  }
  return legs;
}

function legsOf(batch: TransferBatch): string[] {
  const legs = legsOfBatch(batch);
  return transfersOfBatch(batch).flatMap((t, i) =>
    legs[i] === 'both' ? [`${t.log_index}:out`, `${t.log_index}:in`] : [`${t.log_index}:${legs[i]}`],
  );
}

describe('transfer batches of the internal hops', () => {
  it('declares the partition counts of config/kafka.yml', () => {
    const topics = loadConfig({ env: {} }).kafka.topics;
    const partitionsOf = (name: string): number | undefined => topics.find((t) => t.name === name)?.partitions;
    expect(partitionsOf('erc20.transfer-batches.by-token')).toBe(DEFAULT_HOP_PARTITIONS.byToken);
    expect(partitionsOf('erc20.transfer-batches.by-address')).toBe(DEFAULT_HOP_PARTITIONS.byAddress);
    // Same count as the aggregate topics, so a token's (an address's) marts stay with its task.
    expect(partitionsOf('token.metrics.daily')).toBe(DEFAULT_HOP_PARTITIONS.byToken);
    expect(partitionsOf('address.flows.daily')).toBe(DEFAULT_HOP_PARTITIONS.byAddress);
  });

  it.each([6, 3])('rebuild every erc20.transfers record exactly, in order, in its key’s partition (%i partitions)', (n) => {
    const stream = generateSyntheticStream({ seed: 11, days: 2, blocksPerDay: 24, transfersPerBlock: 8, addresses: 40 });
    const driver = createDecoder({ byToken: n, byAddress: n });
    for (const token of stream.tokens) driver.pipe({ kind: 'token', token });
    let rows = 0;
    let kinds = new Set<string>();
    for (const batch of stream.logBatches) {
      const call = decodeCall(driver, { kind: 'logs', batch });
      expect(new Set(call.byToken.map((b) => partitionOfKey(b.key, n))).size).toBe(call.byToken.length);
      for (const { key, value } of call.byToken) {
        const p = partitionOfKey(key, n);
        const rebuilt = transfersOfBatch(overTheWire(value));
        expect(rebuilt).toEqual(call.transfers.filter((t) => partitionOfKey(tokenKey(t), n) === p));
        for (const t of rebuilt) expect(partitionOfKey(tokenKey(t), n)).toBe(p);
        rows += rebuilt.length;
        kinds = new Set([...kinds, ...rebuilt.map((t) => t.kind)]);
      }
      for (const { key, value } of call.byAddress) {
        const p = partitionOfKey(key, n);
        expect(legsOf(overTheWire(value))).toEqual(expectedLegs(call.transfers, p, n));
      }
      const allLegs = call.byAddress.reduce((sum, b) => sum + legsOf(b.value).length, 0);
      const partitions = new Set(call.byAddress.map((b) => partitionOfKey(b.key, n)));
      expect(allLegs).toBe([...Array(n).keys()].reduce((sum, p) => sum + expectedLegs(call.transfers, p, n).length, 0));
      expect(partitions.size).toBe(call.byAddress.length);
    }
    expect(rows).toBeGreaterThan(300);
    expect([...kinds].sort()).toEqual(['retraction', 'transfer']);
  });

  it('keeps uint256 amounts above 2^255 exact and rebuilds mints, burns, self-transfers and unknown decimals', () => {
    const token = '0x' + 'ab'.repeat(20);
    const a = '0x' + '11'.repeat(20);
    const word = (address: string): `0x${string}` => `0x${'0'.repeat(24)}${address.slice(2)}`;
    const big = [2n ** 256n - 1n, 2n ** 255n + 1n, 0n, 1n];
    const pairs: [string, string][] = [
      [a, ZERO_ADDRESS],
      [ZERO_ADDRESS, a],
      [a, a],
      [a, '0x' + '22'.repeat(20)],
    ];
    const logs: LogBatch['logs'] = big.map((value, i) => ({
      tx_hash: `0x${'f'.repeat(63)}${i}`,
      tx_index: i,
      log_index: i,
      address: token as `0x${string}`,
      topics: [TRANSFER_TOPIC as `0x${string}`, word(pairs[i]![0]), word(pairs[i]![1])],
      data: `0x${value.toString(16).padStart(64, '0')}`,
    }));
    const call = decodeCall(createDecoder(), {
      kind: 'logs',
      batch: {
        kind: 'block',
        chain_id: 1,
        block_number: 7,
        block_hash: `0x${'0'.repeat(63)}7`,
        block_timestamp: 1_700_000_000_000,
        checkpoint: 'x',
        version: 3,
        observed_at: 0,
        part: 0,
        parts: 1,
        logs,
      },
    });
    expect(call.byToken).toHaveLength(1);
    const rebuilt = transfersOfBatch(overTheWire(call.byToken[0]!.value));
    expect(rebuilt).toEqual(call.transfers);
    expect(rebuilt.map((t) => BigInt(t.amount_raw))).toEqual(big);
    expect(rebuilt.map((t) => [t.is_mint, t.is_burn, t.decimals, t.amount_decimal])).toEqual([
      [false, true, null, null],
      [true, false, null, null],
      [false, false, null, null],
      [false, false, null, null],
    ]);
    // The self-transfer a→a is one row carrying both legs, as it was one record with both before.
    const selfRow = call.byAddress.flatMap((b) => legsOf(b.value)).filter((l) => l.startsWith('2:'));
    expect(selfRow).toEqual(['2:out', '2:in']);
  });

  it('rejects a batch whose columns disagree in length (the record is dead-lettered whole)', () => {
    const stream = generateSyntheticStream({ seed: 3, days: 1, blocksPerDay: 4, transfersPerBlock: 4, addresses: 10 });
    const driver = createDecoder();
    const batch = stream.logBatches.map((b) => decodeCall(driver, { kind: 'logs', batch: b })).find((c) => c.byToken.length > 0)!
      .byToken[0]!.value;
    const broken = { ...batch, amount_raw: batch.amount_raw.slice(1) };
    expect(() => transfersOfBatch(broken)).toThrow(MalformedTransferBatchError);
    const legs = Array.from({ length: batch.tx_hash.length + 1 }, () => 'out' as const);
    expect(() => legsOfBatch({ ...batch, legs })).toThrowError(/legs/);
  });
});
