/**
 * Loads the recorded real mainnet JSON-RPC responses (./fixtures.ts) into one
 * ChainData: ethereum-etl `web3_response.*.json` files (blocks 0, 47218-9, 483920,
 * 1755634-5 and receipts), subsquid blocks + eth_getBlockReceipts (1 000 000,
 * 4 369 999, 18 000 000, 18 500 000) and nimbus blocks (11 consecutive from
 * 22 431 080, plus the first block of 17 forks; no receipts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hexToNumber, type ChainData, type RpcJson } from './chain-data.ts';
import { MAINNET_FIXTURES_DIR } from './fixtures.ts';

/** The committed recordings (./fixtures.ts), or another copy of the same layout named by ORACUL_SHARED_DATA. */
export const SHARED_DATA_DIR = process.env.ORACUL_SHARED_DATA ?? MAINNET_FIXTURES_DIR;

export interface RecordedBlockInfo {
  number: number;
  hash: string;
  source: 'ethereum-etl' | 'subsquid' | 'nimbus';
  /** Receipts of every transaction are recorded, so logs can be served. */
  complete: boolean;
}

export interface RecordedChain extends ChainData {
  readonly info: readonly RecordedBlockInfo[];
}

export function loadRecordedChain(dir: string = SHARED_DATA_DIR): RecordedChain {
  const blocks = new Map<number, RpcJson>();
  const byHash = new Map<string, RpcJson>();
  const sources = new Map<number, RecordedBlockInfo['source']>();
  const receiptsByTx = new Map<string, RpcJson>();
  const blockReceipts = new Map<number, RpcJson[]>();

  const addBlock = (json: RpcJson, source: RecordedBlockInfo['source']) => {
    const number = hexToNumber(json.number);
    const existing = blocks.get(number);
    if (existing && existing.hash !== json.hash) throw new Error(`two recorded blocks ${number} with different hashes`);
    if (existing) return;
    blocks.set(number, json);
    byHash.set(String(json.hash).toLowerCase(), json);
    sources.set(number, source);
  };
  const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

  for (const file of walk(join(dir, 'ethereum-etl'))) {
    const name = file.split('/').at(-1)!;
    if (/^web3_response\.eth_getBlockByNumber_0x[0-9a-f]+_true\.json$/.test(name)) {
      addBlock((readJson(file) as { result: RpcJson }).result, 'ethereum-etl');
    } else if (/^web3_response\.eth_getTransactionReceipt_0x[0-9a-f]{64}\.json$/.test(name)) {
      const receipt = (readJson(file) as { result: RpcJson }).result;
      receiptsByTx.set(String(receipt.transactionHash).toLowerCase(), receipt);
    }
  }
  const subsquid = join(dir, 'subsquid-evm-rpc', 'ethereum');
  for (const n of readdirSync(subsquid)) {
    const block = readJson(join(subsquid, n, 'block.json')) as RpcJson;
    addBlock(block, 'subsquid');
    const receipts = readJson(join(subsquid, n, 'receipts.json')) as RpcJson[];
    blockReceipts.set(hexToNumber(block.number), receipts);
    for (const r of receipts) receiptsByTx.set(String(r.transactionHash).toLowerCase(), r);
  }
  for (const sub of ['consecutive', 'forks']) {
    for (const name of readdirSync(join(dir, 'nimbus-verified-proxy', sub))) {
      if (name.endsWith('.json')) addBlock(readJson(join(dir, 'nimbus-verified-proxy', sub, name)) as RpcJson, 'nimbus');
    }
  }

  // A block is complete when every transaction's receipt is recorded (ethereum-etl records them one by one).
  for (const [number, block] of blocks) {
    if (blockReceipts.has(number)) continue;
    const txs = block.transactions as RpcJson[];
    const receipts = txs.map((tx) => receiptsByTx.get(String(tx.hash).toLowerCase()));
    if (receipts.every((r) => r !== undefined)) blockReceipts.set(number, receipts as RpcJson[]);
  }

  const numbers = [...blocks.keys()].sort((a, b) => a - b);
  const info = numbers.map((number) => ({
    number,
    hash: String(blocks.get(number)!.hash),
    source: sources.get(number)!,
    complete: blockReceipts.has(number),
  }));
  const completeNumbers = info.filter((i) => i.complete).map((i) => i.number);
  return {
    info,
    head: () => Math.max(...completeNumbers),
    blockNumbers: () => numbers,
    blockByNumber: (n) => blocks.get(n),
    blockByHash: (h) => byHash.get(h.toLowerCase()),
    receiptsOf: (n) => blockReceipts.get(n),
    receipt: (h) => receiptsByTx.get(h.toLowerCase()),
  };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}
