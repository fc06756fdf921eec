/**
 * Mainnet-shaped blocks made up on demand for benchmarks: by default 150
 * transactions and 400 ERC-20 Transfer logs per block (mainnet's 2023-2025 median
 * is about 150 transactions and 350-450 logs), parent-linked hashes, exact hex
 * quantities. Deterministic: the same (seed, number) always gives the same block.
 */
import type { ChainData, RpcJson } from './chain-data.ts';

export interface SyntheticChainOptions {
  /** First block served. Default 20 000 000. */
  firstBlock?: number;
  /** Number of blocks served. Default 100 000. */
  count?: number;
  txsPerBlock?: number;
  logsPerBlock?: number;
  /** Changes every hash, so two chains (branches) can be told apart. Default 1. */
  seed?: number;
  /** Keeps this many generated blocks (with receipts) in memory. Default 256. */
  cacheSize?: number;
  /** Every n-th log of a block (n-1, 2n-1, …) is an ERC-20 Approval instead of a Transfer (filter tests). Default none. */
  approvalEvery?: number;
}

const TRANSFER = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const APPROVAL = '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
const BLOOM_FULL = `0x${'f'.repeat(512)}`;
const pad = (n: number | bigint, width: number) => n.toString(16).padStart(width, '0');
const q = (n: number | bigint) => `0x${n.toString(16)}`;

export function createSyntheticChain(options: SyntheticChainOptions = {}): ChainData {
  const first = options.firstBlock ?? 20_000_000;
  const count = options.count ?? 100_000;
  const txsPerBlock = options.txsPerBlock ?? 150;
  const logsPerBlock = options.logsPerBlock ?? 400;
  const seed = options.seed ?? 1;
  const cacheSize = options.cacheSize ?? 256;
  const approvalEvery = options.approvalEvery ?? 0;
  const last = first + count - 1;
  // 32-byte ids: kind ‖ seed ‖ block ‖ index, unique per (kind, seed, block, index). Built from
  // precomputed pieces: generation must not be what a benchmark measures.
  const ID_TAIL = '5a'.repeat(15);
  const seedHex = pad(seed, 8);
  const idPrefix = (kind: number, n: number) => `0x${pad(kind, 2)}${seedHex}${pad(n, 16)}`;
  const id = (kind: number, n: number, i = 0) => `${idPrefix(kind, n)}${pad(i, 8)}${ID_TAIL}`;
  const ADDR_MID = 'c0ffee'.repeat(5);
  const addr = (k: number) => `0x${pad(k % 5000, 8)}${ADDR_MID}${pad(k % 256, 2)}`;
  const TOPIC_PAD = '0'.repeat(24);
  const DATA_PAD = '0'.repeat(40);
  // Per-position values that do not depend on the block, computed once.
  const values = Array.from({ length: txsPerBlock }, (_, i) => q(10n ** 15n * BigInt(i)));
  const inputs = Array.from({ length: txsPerBlock }, (_, i) => `0xa9059cbb${pad(i, 64)}${pad(1_000_000 * (i + 1), 64)}`);
  const cache = new Map<number, { block: RpcJson; receipts: RpcJson[] }>();

  const make = (n: number) => {
    const hit = cache.get(n);
    if (hit) return hit;
    const hash = id(1, n);
    const timestamp = q(1_700_000_000 + n * 12);
    const txs: RpcJson[] = [];
    const receipts: RpcJson[] = [];
    let logIndex = 0;
    let cumulative = 0n;
    const txPrefix = idPrefix(2, n);
    const rPrefix = idPrefix(3, n);
    const sPrefix = idPrefix(4, n);
    const blockNumber = q(n);
    for (let i = 0; i < txsPerBlock; i += 1) {
      const iHex = pad(i, 8);
      const txHash = `${txPrefix}${iHex}${ID_TAIL}`;
      const from = addr(n + i);
      const token = addr(7 * i + 3);
      txs.push({
        blockHash: hash,
        blockNumber,
        from,
        gas: '0x186a0',
        gasPrice: '0x4a817c800',
        maxFeePerGas: '0x9502f9000',
        maxPriorityFeePerGas: '0x3b9aca00',
        hash: txHash,
        input: inputs[i],
        nonce: q(n % 100_000),
        to: token,
        transactionIndex: q(i),
        value: values[i],
        type: '0x2',
        accessList: [],
        chainId: '0x1',
        v: '0x1',
        r: `${rPrefix}${iHex}${ID_TAIL}`,
        s: `${sPrefix}${iHex}${ID_TAIL}`,
        yParity: '0x1',
      });
      // Spread the logs evenly: transaction i emits floor or ceil of logsPerBlock / txsPerBlock.
      const logsHere = Math.floor(((i + 1) * logsPerBlock) / txsPerBlock) - Math.floor((i * logsPerBlock) / txsPerBlock);
      const logs: RpcJson[] = [];
      for (let k = 0; k < logsHere; k += 1) {
        logs.push({
          address: token,
          topics: [
            approvalEvery > 0 && (logIndex + 1) % approvalEvery === 0 ? APPROVAL : TRANSFER,
            `0x${TOPIC_PAD}${from.slice(2)}`,
            `0x${TOPIC_PAD}${addr(n + i + k + 1).slice(2)}`,
          ],
          // A uint256 amount: (k + 1) × 2^64 + n, distinct per log of a block.
          data: `0x${DATA_PAD}${pad(k + 1, 8)}${pad(n, 16)}`,
          blockNumber,
          blockHash: hash,
          blockTimestamp: timestamp,
          transactionHash: txHash,
          transactionIndex: q(i),
          logIndex: q(logIndex),
          removed: false,
        });
        logIndex += 1;
      }
      cumulative += 51_000n;
      receipts.push({
        blockHash: hash,
        blockNumber,
        contractAddress: null,
        cumulativeGasUsed: q(cumulative),
        effectiveGasPrice: '0x4a817c800',
        from,
        gasUsed: '0xc738',
        logs,
        logsBloom: logs.length > 0 ? BLOOM_FULL : `0x${'0'.repeat(512)}`,
        status: '0x1',
        to: token,
        transactionHash: txHash,
        transactionIndex: q(i),
        type: '0x2',
      });
    }
    const block: RpcJson = {
      baseFeePerGas: '0x3b9aca00',
      difficulty: '0x0',
      extraData: '0x6f726163756c',
      gasLimit: '0x1c9c380',
      gasUsed: q(cumulative),
      hash,
      logsBloom: logIndex > 0 ? BLOOM_FULL : `0x${'0'.repeat(512)}`,
      miner: addr(n % 7),
      mixHash: id(5, n),
      nonce: '0x0000000000000000',
      number: q(n),
      parentHash: id(1, n - 1),
      receiptsRoot: id(6, n),
      sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
      size: q(60_000 + txsPerBlock * 200),
      stateRoot: id(7, n),
      timestamp,
      transactions: txs,
      transactionsRoot: id(8, n),
      uncles: [],
      withdrawals: [],
      withdrawalsRoot: id(9, n),
    };
    const entry = { block, receipts };
    cache.set(n, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as number);
    return entry;
  };

  const inRange = (n: number) => Number.isInteger(n) && n >= first && n <= last;
  const numberOfHash = (h: string, kind: number): number | undefined => {
    const m = /^0x([0-9a-f]{2})([0-9a-f]{8})([0-9a-f]{16})([0-9a-f]{8})/.exec(h.toLowerCase());
    if (!m || Number.parseInt(m[1]!, 16) !== kind || Number.parseInt(m[2]!, 16) !== seed) return undefined;
    const n = Number.parseInt(m[3]!, 16);
    return inRange(n) ? n : undefined;
  };

  return {
    head: () => last,
    blockNumbers: () => Array.from({ length: count }, (_, i) => first + i),
    blockByNumber: (n) => (inRange(n) ? make(n).block : undefined),
    blockByHash: (h) => {
      const n = numberOfHash(h, 1);
      return n === undefined ? undefined : make(n).block;
    },
    receiptsOf: (n) => (inRange(n) ? make(n).receipts : undefined),
    receipt: (h) => {
      const n = numberOfHash(h, 2);
      if (n === undefined) return undefined;
      const i = Number.parseInt(h.slice(28, 36), 16);
      return make(n).receipts[i];
    },
  };
}
