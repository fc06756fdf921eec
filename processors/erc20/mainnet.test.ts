import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogBatch, Transfer } from '../../schemas/generated/types.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import { createErc20DecoderProcessor, ERC20_TOPICS, type Erc20DecoderInput } from './erc20-decoder.ts';
import { decodeTransferLog, type TransferDecodeResult } from './decode-transfer.ts';
import { decodeTransferWithViem } from './decode-transfer-with-viem.ts';
import type { EvmLog } from './log.ts';
import type { RejectReason } from './reject-reason.ts';
import { TokenTable, type TokenMetadata } from './token-metadata.ts';
import { toTransfer, type Erc20Transfer } from './transfer.ts';
import {
  SQD_BLOCKS,
  etlPath,
  etlTransferFromCsv,
  etlTransferFromJson,
  evmLogFromEtlJson,
  fromRpcLog,
  logsFromReceiptFiles,
  readCsv,
  readJsonLines,
  readRpcResult,
  sqdLogs,
  type EtlTransfer,
  type RpcLog,
} from './testing/shared-data.ts';

interface Decoded {
  readonly transfers: Erc20Transfer[];
  readonly rejects: { log: EvmLog; reason: RejectReason }[];
  ignored: number;
}

/** Decodes every log with the fast path, checking the viem-based path agrees on each one. */
function decodeAll(logs: readonly EvmLog[]): Decoded {
  const out: Decoded = { transfers: [], rejects: [], ignored: 0 };
  for (const log of logs) {
    const fast: TransferDecodeResult = decodeTransferLog(log.topics, log.data);
    expect(decodeTransferWithViem(log.topics, log.data), `${log.tx_hash}:${log.log_index}`).toEqual(fast);
    if (fast.kind === 'transfer') out.transfers.push(toTransfer(log, fast, undefined));
    else if (fast.kind === 'rejected') out.rejects.push({ log, reason: fast.reason });
    else out.ignored++;
  }
  return out;
}

/** The logs as the decoder receives them: one `eth.logs.raw` block record per block, in block order. */
function blockBatchesOf(logs: readonly EvmLog[]): Erc20DecoderInput[] {
  const blocks = new Map<number, EvmLog[]>();
  for (const log of logs) blocks.set(log.block_number, [...(blocks.get(log.block_number) ?? []), log]);
  return [...blocks.values()].map((blockLogs): Erc20DecoderInput => {
    const head = blockLogs[0] as EvmLog;
    const batch = {
      kind: 'block',
      chain_id: head.chain_id,
      block_number: head.block_number,
      block_hash: head.block_hash,
      block_timestamp: head.block_timestamp,
      checkpoint: '',
      version: 1,
      observed_at: 0,
      part: 0,
      parts: 1,
      logs: blockLogs.map(({ tx_hash, tx_index, log_index, address, topics, data }) => ({
        tx_hash,
        tx_index,
        log_index,
        address,
        topics,
        data,
      })),
    };
    return { kind: 'logs', batch: batch as LogBatch };
  });
}

const idOf = (tx: string, logIndex: number): string => `${tx}:${logIndex}`;

/** Our transfer in ethereum-etl's shape, to compare field by field. */
function asEtl(t: Erc20Transfer): EtlTransfer {
  return {
    token_address: t.token_address,
    from_address: t.from_address,
    to_address: t.to_address,
    value: t.amount_raw,
    transaction_hash: t.tx_hash,
    log_index: t.log_index,
    block_number: t.block_number,
  };
}

function byId(rows: readonly EtlTransfer[]): Map<string, EtlTransfer> {
  return new Map(rows.map((r) => [idOf(r.transaction_hash, r.log_index), r]));
}

describe('real mainnet logs (ethereum-etl recordings)', () => {
  it('blocks 17173049–17173050: equals ethereum-etl minus exactly its 9 ERC-721 transfers', () => {
    const dir = etlPath('test_stream', 'blocks_17173049_17173050');
    const logs = readJsonLines(join(dir, 'expected_logs.json')).map((row) => evmLogFromEtlJson(row));
    const expected = readJsonLines(join(dir, 'expected_token_transfers.json'), ['value']).map(etlTransferFromJson);
    expect(logs).toHaveLength(681);
    expect(expected).toHaveLength(291);

    const { transfers, rejects } = decodeAll(logs);
    expect(transfers).toHaveLength(282);
    expect(rejects.map((r) => r.reason)).toEqual(Array(9).fill('erc721_four_topics'));

    const expectedById = byId(expected);
    for (const t of transfers) expect(asEtl(t)).toEqual(expectedById.get(idOf(t.tx_hash, t.log_index)));

    const ours = new Set(transfers.map((t) => idOf(t.tx_hash, t.log_index)));
    const onlyEtl = [...expectedById.keys()].filter((id) => !ours.has(id)).sort();
    const rejectedIds = rejects.map((r) => idOf(r.log.tx_hash, r.log.log_index)).sort();
    expect(onlyEtl).toEqual(rejectedIds);
    // Each of them is a 4-topic log: ethereum-etl took the tokenId topic as the value.
    for (const { log } of rejects) {
      expect(log.topics).toHaveLength(4);
      expect(expectedById.get(idOf(log.tx_hash, log.log_index))?.value).toBe(BigInt(log.topics[3] as string));
    }
    // Values above 2^53 survive exactly.
    expect(transfers.filter((t) => t.amount_raw > 2n ** 53n)).toHaveLength(179);
  });

  it('blocks 17173049–17173050 through the erc20-decoder: amounts scaled by known decimals, null otherwise', () => {
    const dir = etlPath('test_stream', 'blocks_17173049_17173050');
    const logs = readJsonLines(join(dir, 'expected_logs.json')).map((row) => evmLogFromEtlJson(row));
    const meta = (address: string, symbol: string, decimals: number): TokenMetadata => ({
      chain_id: 1,
      address,
      symbol,
      name: null,
      decimals,
      source: 'seed',
    });
    const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
    const USDT = '0xdac17f958d2ee523a2206206994597c13d831ec7';
    const tokens = new TokenTable();
    for (const token of [meta(WETH, 'WETH', 18), meta(USDT, 'USDT', 6)]) tokens.add(token);
    const driver = createTestDriver(createErc20DecoderProcessor({ tokens }));
    driver.pipeAll(blockBatchesOf(logs));
    const transfers = driver.outputs(ERC20_TOPICS.transfers).map((o) => o.value as Transfer);
    expect(transfers).toHaveLength(282);
    expect(driver.outputs(ERC20_TOPICS.rejects)).toHaveLength(9);
    expect(driver.store('reject_counts').entries()).toEqual([['erc721_four_topics', 9]]);
    const weth = transfers.filter((t) => t.token_address === WETH);
    const usdt = transfers.filter((t) => t.token_address === USDT);
    expect([weth.length, usdt.length]).toEqual([88, 41]);
    const first = weth[0] as Transfer;
    expect(first.amount_raw).toBe('7056176614974947328');
    expect(first.amount_decimal).toBe('7.056176614974947328');
    expect(first.symbol).toBe('WETH');
    for (const t of usdt) {
      const raw = BigInt(t.amount_raw);
      expect(t.amount_decimal).toBe(
        `${raw / 10n ** 6n}${raw % 10n ** 6n === 0n ? '' : '.'}${(raw % 10n ** 6n).toString().padStart(6, '0').replace(/0+$/, '')}`,
      );
    }
    const unknown = transfers.filter((t) => t.token_address !== WETH && t.token_address !== USDT);
    expect(unknown.every((t) => t.amount_decimal === null && t.decimals === null && t.symbol === null)).toBe(true);
  });

  it('block 1755635 (receipts): one transfer, as ethereum-etl', () => {
    const dir = etlPath('test_stream', 'blocks_1755634_1755635');
    const block = readRpcResult<{ timestamp: string }>(join(dir, 'web3_response.eth_getBlockByNumber_0x1ac9f3_true.json'));
    const { transfers, rejects } = decodeAll(logsFromReceiptFiles(dir, parseInt(block.timestamp, 16)));
    const expected = readJsonLines(join(dir, 'expected_token_transfers.json'), ['value']).map(etlTransferFromJson);
    expect(rejects).toEqual([]);
    expect(transfers.map(asEtl)).toEqual(expected);
    expect(transfers[0]?.block_timestamp).toBe(1466669562_000);
  });

  it('block 483920 (eth_getFilterLogs and receipts): two transfers, as ethereum-etl', () => {
    const expected = readCsv(
      etlPath('test_export_token_transfers_job', 'block_with_transfers', 'expected_token_transfers.csv'),
    ).map(etlTransferFromCsv);
    const filterLogs = readRpcResult<RpcLog[]>(
      etlPath('test_export_token_transfers_job', 'block_with_transfers', 'web3_response.eth_getFilterLogs_0x0.json'),
    );
    const fromFilter = decodeAll(filterLogs.map((log) => fromRpcLog(log, { chainId: 1, blockTimestamp: 0 })));
    expect(fromFilter.transfers.map(asEtl)).toEqual(expected);
    const fromReceipts = decodeAll(logsFromReceiptFiles(etlPath('test_export_receipts_job', 'receipts_with_logs'), 0));
    expect(fromReceipts.transfers.map(asEtl).sort((a, b) => a.log_index - b.log_index)).toEqual(expected);
  });

  it('block 1452581 (logs.csv): the two transfers, the non-Transfer log ignored', () => {
    const dir = etlPath('test_extract_token_transfers_job', 'logs');
    const logs = readCsv(join(dir, 'logs.csv')).map((row): EvmLog => ({
      chain_id: 1,
      block_number: Number(row.block_number),
      block_hash: String(row.block_hash),
      block_timestamp: 0,
      tx_hash: String(row.transaction_hash),
      tx_index: Number(row.transaction_index),
      log_index: Number(row.log_index),
      address: String(row.address),
      topics: String(row.topics).split(','),
      data: String(row.data),
    }));
    const { transfers, ignored } = decodeAll(logs);
    expect(ignored).toBe(1);
    expect(transfers.map(asEtl)).toEqual(readCsv(join(dir, 'expected_token_transfers.csv')).map(etlTransferFromCsv));
  });
});

describe('real mainnet logs (SQD block receipts)', () => {
  // Expected counts: SOURCES.md's table (an independent count over the same files), re-derived here.
  const expected: Record<
    (typeof SQD_BLOCKS)[number],
    { logs: number; transfers: number; erc721: number; tokens: number; zero: number; mints: number; burns: number }
  > = {
    '1000000': { logs: 1, transfers: 0, erc721: 0, tokens: 0, zero: 0, mints: 0, burns: 0 },
    '4369999': { logs: 171, transfers: 158, erc721: 0, tokens: 7, zero: 0, mints: 0, burns: 0 },
    '18000000': { logs: 291, transfers: 141, erc721: 2, tokens: 32, zero: 50, mints: 2, burns: 1 },
    '18500000': { logs: 408, transfers: 161, erc721: 17, tokens: 50, zero: 6, mints: 1, burns: 2 },
  };
  for (const block of SQD_BLOCKS) {
    it(`block ${block}: every log decoded, fast path = viem path`, () => {
      const logs = sqdLogs(block);
      const { transfers, rejects } = decodeAll(logs);
      const e = expected[block];
      expect({
        logs: logs.length,
        transfers: transfers.length,
        erc721: rejects.filter((r) => r.reason === 'erc721_four_topics').length,
        tokens: new Set(transfers.map((t) => t.token_address)).size,
        zero: transfers.filter((t) => t.amount_raw === 0n).length,
        mints: transfers.filter((t) => t.is_mint).length,
        burns: transfers.filter((t) => t.is_burn).length,
      }).toEqual(e);
      expect(rejects.length).toBe(e.erc721);
      expect(transfers.every((t) => t.form === 'standard')).toBe(true);
    });
  }
});
