import { describe, expect, it } from 'vitest';
import { RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from '../../processors/sinks/raw-columns.ts';
import { blockRows, logRows, transactionRows } from '../../processors/sinks/raw-rows.ts';
import { BinaryWriter } from '../../processors/sinks/row-binary/binary-writer.ts';
import { createRowEncoder } from '../../processors/sinks/row-binary/row-encoder.ts';
import type { SinkRow } from '../../processors/sinks/sink-types.ts';
import { blockBundleOfRpc, toBlockRecords } from '../../processors/sources/index.ts';
import type { ChainData, RpcJson } from '../test/chain-data.ts';
import { loadRecordedChain } from '../test/recorded-chain.ts';
import { createSyntheticChain } from '../test/synthetic-chain.ts';
import { createFloorWriters, FloorDataError, writeBlockRows, type FloorWriters } from './ingest-floor.ts';

/**
 * The floor's encoder (ingest-floor.ts) against the production path it is the floor of: normalizeBlock /
 * normalizeReceipts → toBlockRecords → raw-rows.ts → row-encoder.ts must give the same RowBinary bytes, table by
 * table, for recorded mainnet blocks (every era the recordings have: genesis, pre-Byzantium, pre-London, Cancun)
 * and synthetic mainnet-shaped ones.
 */

const VERSION = 7_000_000_123;
const OBSERVED_AT = Date.UTC(2026, 11, 7, 1, 2, 3, 456);

function receiptsOf(chain: ChainData, n: number): RpcJson[] {
  const block = chain.blockByNumber(n)!;
  return chain.receiptsOf(n) ?? (block.transactions as RpcJson[]).map((t) => chain.receipt(String(t.hash))!);
}

/** The production path's bytes for the blocks, per table. */
function productionBytes(blocks: readonly { block: unknown; receipts: unknown[] }[]): Buffer[] {
  const rows: SinkRow[][] = [[], [], []];
  for (const { block: json, receipts: receiptsJson } of blocks) {
    const records = toBlockRecords(blockBundleOfRpc(json, receiptsJson, 1), VERSION, OBSERVED_AT);
    rows[0]!.push(...blockRows(records.block));
    for (const r of records.transactions) rows[1]!.push(...transactionRows(r));
    for (const r of records.logs) rows[2]!.push(...logRows(r));
  }
  const columns = [RAW_BLOCKS_COLUMNS, RAW_TRANSACTIONS_COLUMNS, RAW_LOGS_COLUMNS];
  return ['raw_blocks', 'raw_transactions', 'raw_logs'].map((table, k) => {
    const w = new BinaryWriter(1024);
    createRowEncoder(table, columns[k]!).encode(w, rows[k]!, 0, rows[k]!.length);
    return w.take();
  });
}

function floorBytes(blocks: readonly { block: unknown; receipts: unknown[] }[], out: FloorWriters = createFloorWriters(64)) {
  let txs = 0;
  let logs = 0;
  for (const { block, receipts } of blocks) {
    const n = writeBlockRows(out, block, receipts, 1, VERSION, OBSERVED_AT);
    txs += n.transactions;
    logs += n.logs;
  }
  return { bytes: [out.blocks.take(), out.transactions.take(), out.logs.take()], txs, logs };
}

function expectSameBytes(blocks: readonly { block: unknown; receipts: unknown[] }[]): { txs: number; logs: number } {
  const expected = productionBytes(blocks);
  const floor = floorBytes(blocks);
  for (const k of [0, 1, 2]) {
    expect(floor.bytes[k]!.length).toBe(expected[k]!.length);
    expect(floor.bytes[k]!.equals(expected[k]!)).toBe(true);
  }
  return { txs: floor.txs, logs: floor.logs };
}

describe('ingest floor encoder', () => {
  it('writes the same bytes as the production path for every recorded mainnet block with receipts', () => {
    const chain = loadRecordedChain();
    const complete = chain.info.filter((i) => i.complete).map((i) => i.number);
    expect(complete.length).toBeGreaterThanOrEqual(10);
    const blocks = complete.map((n) => ({ block: chain.blockByNumber(n)!, receipts: receiptsOf(chain, n) }));
    // Block by block (a failure names the block), then all of them into the same writers.
    for (const b of blocks) expectSameBytes([b]);
    expect(expectSameBytes(blocks)).toEqual({ txs: 281, logs: 875 });
  });

  it('writes the same bytes as the production path for synthetic mainnet-shaped blocks', () => {
    const chain = createSyntheticChain({ firstBlock: 20_000_000, count: 5 });
    const blocks = [20_000_000, 20_000_001, 20_000_002, 20_000_003, 20_000_004].map((n) => ({
      block: chain.blockByNumber(n)!,
      receipts: chain.receiptsOf(n)!,
    }));
    expect(expectSameBytes(blocks)).toEqual({ txs: 750, logs: 2_000 });
  });

  it('lowercases mixed-case hex as the production path does', () => {
    const chain = createSyntheticChain({ firstBlock: 20_000_000, count: 1 });
    const block = structuredClone(chain.blockByNumber(20_000_000)!);
    const receipts = structuredClone(chain.receiptsOf(20_000_000)!);
    block.miner = String(block.miner).toUpperCase().replace('0X', '0x');
    block.hash = String(block.hash).toUpperCase();
    const tx = (block.transactions as RpcJson[])[3]!;
    tx.input = String(tx.input).toUpperCase().replace('0X', '0x');
    tx.value = String(tx.value).toUpperCase();
    expectSameBytes([{ block, receipts }]);
  });

  it('refuses what the production path refuses: a bad hash, a receipt for another transaction, a log index gap', () => {
    const chain = createSyntheticChain({ firstBlock: 20_000_000, count: 1 });
    const fresh = () => ({
      block: structuredClone(chain.blockByNumber(20_000_000)!),
      receipts: structuredClone(chain.receiptsOf(20_000_000)!),
    });
    const bad = [
      (b: ReturnType<typeof fresh>) => void (b.block.parentHash = '0x1234'),
      (b: ReturnType<typeof fresh>) => void (b.block.gasLimit = '0xzz'),
      (b: ReturnType<typeof fresh>) => void (b.receipts[2]!.transactionHash = b.receipts[3]!.transactionHash),
      (b: ReturnType<typeof fresh>) => void ((b.receipts[5]!.logs as RpcJson[])[0]!.logIndex = '0x0'),
      (b: ReturnType<typeof fresh>) => void b.receipts.pop(),
    ];
    for (const spoil of bad) {
      const b = fresh();
      spoil(b);
      expect(() => productionBytes([b])).toThrow();
      expect(() => floorBytes([b])).toThrow(FloorDataError);
    }
  });
});
