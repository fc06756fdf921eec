import { describe, expect, it } from 'vitest';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import type { RpcJson } from '../../../scripts/test/chain-data.ts';
import { InvalidRpcDataError } from './errors.ts';
import { ChainDataMismatchError } from './mismatch-error.ts';
import { normalizeBlock } from './normalize-block.ts';
import { normalizeLogs, normalizeReceipts } from './normalize-logs.ts';

const chain = createSyntheticChain({ firstBlock: 100, count: 10, txsPerBlock: 2, logsPerBlock: 3 });
/** Fresh deep copies, so each test can corrupt its own. */
const block = (): RpcJson => structuredClone(chain.blockByNumber(105)!);
const receipts = (): RpcJson[] => structuredClone(chain.receiptsOf(105)!);
const txs = (b: RpcJson) => b.transactions as RpcJson[];
const logsOf = (r: RpcJson[]) => r.flatMap((x) => x.logs as RpcJson[]);

describe('normalizeBlock', () => {
  it('reads a block with exact quantities, lowercase hex and ms timestamps', () => {
    const json = block();
    json.hash = String(json.hash).toUpperCase().replace('0X', '0x');
    txs(json)[1]!.value = '0xDE0B6B3A7640000123'; // > 2^64 wei
    const { block: b, transactions } = normalizeBlock(json, 1);
    expect(b.hash).toBe(chain.blockByNumber(105)!.hash);
    expect(b.number).toBe(105);
    expect(b.timestampMs).toBe((1_700_000_000 + 105 * 12) * 1000);
    expect(b.transactionCount).toBe(2);
    expect(b.withdrawalCount).toBe(0);
    expect(b.totalDifficulty).toBeNull();
    expect(transactions[1]!.value).toBe(0xde0b6b3a7640000123n);
    expect(transactions.map((t) => t.transactionIndex)).toEqual([0, 1]);
    expect(transactions[0]!.receipt).toBeNull();
  });

  it('defaults a missing type to legacy and a missing `to` to a contract creation', () => {
    const json = block();
    delete txs(json)[0]!.type;
    txs(json)[0]!.to = null;
    const [tx] = normalizeBlock(json, 1).transactions;
    expect([tx!.type, tx!.to]).toEqual([0, null]);
  });

  it.each([
    ['a malformed quantity', (j: RpcJson) => (j.gasUsed = '0xZZ'), 'gasUsed'],
    ['a block number beyond 2^53', (j: RpcJson) => (j.number = '0x20000000000000'), 'number'],
    ['a short hash', (j: RpcJson) => (j.parentHash = '0x1234'), 'parentHash'],
    ['odd-length data', (j: RpcJson) => (txs(j)[0]!.input = '0xabc'), 'input'],
    ['transaction hashes only', (j: RpcJson) => (j.transactions = txs(j).map((t) => t.hash)), 'transactions'],
    ['a transaction at the wrong position', (j: RpcJson) => (txs(j)[1]!.transactionIndex = '0x0'), 'transactionIndex'],
  ])('rejects %s with InvalidRpcDataError', (_name, corrupt, field) => {
    const json = block();
    corrupt(json);
    const error = (() => {
      try {
        normalizeBlock(json, 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidRpcDataError);
    expect((error as InvalidRpcDataError).message).toContain(field);
    expect((error as InvalidRpcDataError).retryable).toBe(false);
  });
});

describe('normalizeReceipts and normalizeLogs', () => {
  const parts = () => {
    const { block: b, transactions } = normalizeBlock(block(), 1);
    return { b, transactions };
  };

  it('gives the same logs from receipts and from eth_getLogs entries, plus receipt fields', () => {
    const { b, transactions } = parts();
    const fromReceipts = normalizeReceipts(receipts(), b, transactions);
    expect(fromReceipts.logs.map((l) => l.logIndex)).toEqual([0, 1, 2]);
    expect(normalizeLogs(logsOf(receipts()).reverse(), b, transactions)).toEqual(fromReceipts.logs);
    expect(fromReceipts.receipts[0]).toEqual({
      status: 1,
      gasUsed: 51_000n,
      cumulativeGasUsed: 51_000n,
      effectiveGasPrice: 20_000_000_000n,
      contractAddress: null,
    });
  });

  it.each([
    ['a missing receipt', (r: RpcJson[]) => r.pop()],
    ['a receipt of another block', (r: RpcJson[]) => (r[0]!.blockHash = `0x${'ab'.repeat(32)}`)],
    ['a receipt of another transaction', (r: RpcJson[]) => (r[0]!.transactionHash = `0x${'cd'.repeat(32)}`)],
    ['a log of another fork', (r: RpcJson[]) => ((r[0]!.logs as RpcJson[])[0]!.blockHash = `0x${'ef'.repeat(32)}`)],
    ['a gap in log indexes', (r: RpcJson[]) => ((r[1]!.logs as RpcJson[])[0]!.logIndex = '0x7')],
    ['a log marked removed', (r: RpcJson[]) => ((r[0]!.logs as RpcJson[])[0]!.removed = true)],
    ['logs dropped while the bloom says otherwise', (r: RpcJson[]) => r.forEach((x) => (x.logs = []))],
  ])('flags %s as a retryable ChainDataMismatchError', (_name, corrupt) => {
    const { b, transactions } = parts();
    const r = receipts();
    corrupt(r);
    expect(() => normalizeReceipts(r, b, transactions)).toThrow(ChainDataMismatchError);
  });

  it('flags logs returned for a block whose bloom is empty', () => {
    const json = block();
    json.logsBloom = `0x${'0'.repeat(512)}`;
    const { block: b, transactions } = normalizeBlock(json, 1);
    expect(() => normalizeLogs(logsOf(receipts()), b, transactions)).toThrow(/logsBloom is empty/);
    expect(() => normalizeLogs([], b, transactions)).not.toThrow();
  });
});
