import { describe, expect, it } from 'vitest';
import { createInMemorySerdes } from '../../../schemas/index.ts';
import type { BlockBundle, Hex } from '../normalize/records.ts';
import { toBlockRecords, toRetractionRecords } from './to-avro.ts';

const h = (byte: string, n = 32) => `0x${byte.repeat(n)}` as Hex;

function bundle(txs: number, inputBytes: number): BlockBundle {
  const block = {
    chainId: 1,
    number: 100,
    hash: h('aa'),
    parentHash: h('bb'),
    timestampMs: 1_700_000_000_000,
    miner: h('11', 20),
    gasLimit: 30_000_000n,
    gasUsed: 1_000_000n,
    baseFeePerGas: 2n ** 70n,
    difficulty: 0n,
    totalDifficulty: null,
    size: null,
    nonce: null,
    extraData: '0x' as Hex,
    logsBloom: h('00', 256),
    stateRoot: h('01'),
    transactionsRoot: h('02'),
    receiptsRoot: h('03'),
    sha3Uncles: h('04'),
    mixHash: null,
    withdrawalsRoot: null,
    withdrawalCount: null,
    blobGasUsed: null,
    excessBlobGas: null,
    parentBeaconBlockRoot: null,
    requestsHash: null,
    transactionCount: txs,
    logCount: 0,
  };
  const transactions = Array.from({ length: txs }, (_, i) => ({
    chainId: 1,
    blockNumber: 100,
    blockHash: block.hash,
    blockTimestampMs: block.timestampMs,
    transactionIndex: i,
    hash: h(i.toString(16).padStart(2, '0')),
    type: 2,
    from: h('22', 20),
    to: null,
    value: 10n ** 30n,
    nonce: BigInt(i),
    gas: 21_000n,
    gasPrice: null,
    maxFeePerGas: 5n,
    maxPriorityFeePerGas: 1n,
    maxFeePerBlobGas: null,
    input: `0x${'ff'.repeat(inputBytes)}` as Hex,
    receipt: null,
  }));
  return { block, transactions, logs: [] } as BlockBundle;
}

describe('toBlockRecords', () => {
  it('maps a block to records that fit the Avro schemas, amounts as decimal strings', async () => {
    const serdes = createInMemorySerdes();
    const records = toBlockRecords(bundle(3, 10), 5, 1_700_000_001_000);
    expect(records.block.header).toMatchObject({ base_fee_per_gas: (2n ** 70n).toString(), size_bytes: 0, log_count: 0 });
    expect(records.transactions[0]!.transactions[0]).toMatchObject({
      value: (10n ** 30n).toString(),
      to_address: null,
      status: null,
    });
    const back = await serdes
      .forTopic('eth.transactions.raw')
      .deserialize(await serdes.forTopic('eth.transactions.raw').serialize(records.transactions[0]!));
    expect(back).toEqual(records.transactions[0]);
    await serdes.forTopic('eth.blocks.raw').serialize(records.block);
    await serdes.forTopic('eth.logs.raw').serialize(records.logs[0]!);
  });
  it('splits a block whose transactions exceed the part size into ordered parts', () => {
    const records = toBlockRecords(bundle(40, 100_000), 5, 0, 512 * 1024);
    expect(records.transactions.length).toBeGreaterThan(1);
    expect(records.transactions.every((p, i) => p.part === i && p.parts === records.transactions.length)).toBe(true);
    expect(records.transactions.flatMap((p) => p.transactions.map((t) => t.tx_index))).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
  });
  it('retractions carry the orphan hash and timestamp and no payload', () => {
    const r = toRetractionRecords(1, { number: 100, hash: h('aa'), parentHash: h('bb'), timestampMs: 123_000 }, 9, 0);
    expect(r.block).toMatchObject({ kind: 'reorg', block_hash: h('aa'), block_timestamp: 123_000, version: 9, header: null });
    expect(r.logs).toEqual([expect.objectContaining({ kind: 'reorg', logs: [], part: 0, parts: 1 })]);
  });
});
