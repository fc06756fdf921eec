import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hexToNumber, type Hex } from 'viem';
import type { EvmLog } from '../log.ts';

/**
 * Test-only readers for the recorded real-mainnet data committed with the repository: MAINNET_FIXTURES_DIR of
 * scripts/test/fixtures.ts (spelled out here: a processors/ module may not import scripts/).
 */
export const SHARED_DATA = resolve(import.meta.dirname, '../../../scripts/test/fixtures/mainnet');

export function etlPath(...parts: string[]): string {
  return join(SHARED_DATA, 'ethereum-etl', ...parts);
}

/** The token transfer as ethereum-etl writes it, value kept exact. */
export interface EtlTransfer {
  readonly token_address: string;
  readonly from_address: string;
  readonly to_address: string;
  readonly value: bigint;
  readonly transaction_hash: string;
  readonly log_index: number;
  readonly block_number: number;
}

/** JSON lines whose big integers (`value`) must not pass through a float: quote them before JSON.parse. */
export function readJsonLines(path: string, bigIntFields: readonly string[] = []): Record<string, unknown>[] {
  let text = readFileSync(path, 'utf8');
  for (const field of bigIntFields) text = text.replace(new RegExp(`"${field}": (\\d+)`, 'g'), `"${field}": "$1"`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function etlTransferFromJson(row: Record<string, unknown>): EtlTransfer {
  return {
    token_address: String(row.token_address),
    from_address: String(row.from_address),
    to_address: String(row.to_address),
    value: BigInt(String(row.value)),
    transaction_hash: String(row.transaction_hash),
    log_index: Number(row.log_index),
    block_number: Number(row.block_number),
  };
}

/** ethereum-etl's `log` JSON line → EvmLog. */
export function evmLogFromEtlJson(row: Record<string, unknown>, chainId = 1): EvmLog {
  return {
    chain_id: chainId,
    block_number: Number(row.block_number),
    block_hash: String(row.block_hash),
    block_timestamp: Number(row.block_timestamp) * 1000,
    tx_hash: String(row.transaction_hash),
    tx_index: Number(row.transaction_index),
    log_index: Number(row.log_index),
    address: String(row.address),
    topics: (row.topics as string[]).map((t) => t.toLowerCase()),
    data: String(row.data),
  };
}

/** Minimal RFC 4180 CSV reader (quoted fields may hold commas). */
export function readCsv(path: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const text = readFileSync(path, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header = [], ...body] = rows;
  return body.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

export function etlTransferFromCsv(row: Record<string, string>): EtlTransfer {
  return etlTransferFromJson(row);
}

/** A JSON-RPC response file's `result`. */
export function readRpcResult<T>(path: string): T {
  return (JSON.parse(readFileSync(path, 'utf8')) as { result: T }).result;
}

export interface RpcReceipt {
  readonly transactionHash: string;
  readonly status?: string | null;
  readonly logs: readonly RpcLog[];
}

/** Every log of every `eth_getTransactionReceipt` response in a folder. */
export function logsFromReceiptFiles(dir: string, blockTimestamp: number): EvmLog[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('web3_response.eth_getTransactionReceipt_'))
    .flatMap((f) => readRpcResult<RpcReceipt>(join(dir, f)).logs.map((log) => fromRpcLog(log, { chainId: 1, blockTimestamp })));
}

export const SQD_BLOCKS = ['1000000', '4369999', '18000000', '18500000'] as const;

/** Every log of an SQD fixture block (`eth_getBlockReceipts` result, logs carry blockTimestamp). */
export function sqdLogs(block: (typeof SQD_BLOCKS)[number]): EvmLog[] {
  const receipts = JSON.parse(
    readFileSync(join(SHARED_DATA, 'subsquid-evm-rpc', 'ethereum', block, 'receipts.json'), 'utf8'),
  ) as RpcReceipt[];
  const blockJson = JSON.parse(readFileSync(join(SHARED_DATA, 'subsquid-evm-rpc', 'ethereum', block, 'block.json'), 'utf8')) as {
    timestamp: string;
  };
  const blockTimestamp = parseInt(blockJson.timestamp, 16);
  return receipts.flatMap((r) => r.logs.map((log) => fromRpcLog(log, { chainId: 1, blockTimestamp })));
}

/** The JSON-RPC log object (`eth_getLogs`, receipts). */
export interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: string;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly transactionIndex: string;
  readonly logIndex: string;
  readonly removed?: boolean;
  /** Some nodes (and the SQD fixtures) include it; otherwise pass it from the block. */
  readonly blockTimestamp?: string;
}

/**
 * Converts an RPC log into an {@link EvmLog}; `blockTimestamp` is unix seconds, as in the block header.
 * @example fromRpcLog(receipt.logs[0], { chainId: 1, blockTimestamp: 1466669562 })
 */
export function fromRpcLog(log: RpcLog, options: { chainId: number; blockTimestamp?: number }): EvmLog {
  const blockTimestamp =
    options.blockTimestamp ?? (log.blockTimestamp === undefined ? undefined : hexToNumber(log.blockTimestamp as Hex));
  if (blockTimestamp === undefined) throw new TypeError(`log ${log.transactionHash}:${log.logIndex} has no block timestamp`);
  return {
    chain_id: options.chainId,
    block_number: hexToNumber(log.blockNumber as Hex),
    block_hash: log.blockHash.toLowerCase(),
    block_timestamp: blockTimestamp * 1000,
    tx_hash: log.transactionHash.toLowerCase(),
    tx_index: hexToNumber(log.transactionIndex as Hex),
    log_index: hexToNumber(log.logIndex as Hex),
    address: log.address.toLowerCase(),
    topics: log.topics.map((t) => t.toLowerCase()),
    data: log.data.toLowerCase(),
  };
}
