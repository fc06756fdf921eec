import type { Log, LogBatch, PriceTick, TokenMetadata } from '../../../schemas/generated/types.ts';
import { encodeCheckpoint } from '../../../schemas/checkpoint.ts';
import { TRANSFER_TOPIC } from '../../erc20/transferEvent.ts';

/**
 * A generated multi-day chain of ERC-20 activity for the stream-engine integration, chaos and pipeline tests:
 * several tokens (18, 6 and 8 decimals, one without prices, one without metadata), thousands of addresses with a
 * skewed activity distribution, mints and burns, non-Transfer logs and rejected Transfer-topic logs, blocks
 * published slightly out of event-time order (within the grace period), one block published after its day closed
 * (late), one reorg (retraction + a different canonical block), and a gap in one token's prices.
 * Deterministic for a seed.
 */

export interface SyntheticStreamParameters {
  readonly seed?: number;
  readonly days?: number;
  readonly blocksPerDay?: number;
  readonly transfersPerBlock?: number;
  readonly addresses?: number;
  /** First block's time, ms. Default 2024-03-01T00:00:00Z. */
  readonly startMs?: number;
}

export interface SyntheticStream {
  readonly tokens: TokenMetadata[];
  readonly prices: PriceTick[];
  /** eth.logs.raw records in publication order. */
  readonly logBatches: LogBatch[];
  readonly facts: {
    readonly transfers: number;
    readonly lateBlock: number;
    readonly reorgBlock: number;
    readonly outOfOrderBlocks: number;
  };
}

const CHAIN_ID = 1;
const ZERO_WORD = '0x' + '0'.repeat(64);
const APPROVAL_TOPIC = '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
const hex = (n: number | bigint, width: number): string => n.toString(16).padStart(width, '0');
const word = (address: string): string => '0x' + '0'.repeat(24) + address.slice(2);

export const SYNTHETIC_TOKENS = {
  /** 18 decimals, priced. */
  weth: '0x' + 'a1'.repeat(20),
  /** 6 decimals, priced. */
  usdc: '0x' + 'b2'.repeat(20),
  /** 8 decimals, priced with a 6-hour gap on day 2 (null USD there). */
  wbtc: '0x' + 'c3'.repeat(20),
  /** 18 decimals, never priced. */
  meme: '0x' + 'd4'.repeat(20),
  /** No metadata at all: null decimals, null USD. */
  unknown: '0x' + 'e5'.repeat(20),
} as const;

export function generateSyntheticStream(params: SyntheticStreamParameters = {}): SyntheticStream {
  let s = (params.seed ?? 42) >>> 0 || 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const days = params.days ?? 3;
  const blocksPerDay = params.blocksPerDay ?? 288;
  const perBlock = params.transfersPerBlock ?? 6;
  const addressCount = params.addresses ?? 3000;
  const startMs = params.startMs ?? Date.parse('2024-03-01T00:00:00Z');
  const blockMs = Math.floor(86_400_000 / blocksPerDay);
  const addresses = Array.from({ length: addressCount }, (_, i) => '0x' + hex(0x5000000 + i * 7919, 40));
  const pickAddress = (): string => addresses[Math.floor(addressCount * rand() ** 2.2)] as string;

  const tokens: TokenMetadata[] = [
    {
      chain_id: CHAIN_ID,
      address: SYNTHETIC_TOKENS.weth as `0x${string}`,
      symbol: 'WETH',
      name: 'Wrapped Ether',
      decimals: 18,
      source: 'seed',
      symbol_encoding: null,
      fetched_at: 0,
      version: 1,
    },
    {
      chain_id: CHAIN_ID,
      address: SYNTHETIC_TOKENS.usdc as `0x${string}`,
      symbol: 'USDC',
      name: 'USD Coin',
      decimals: 6,
      source: 'seed',
      symbol_encoding: null,
      fetched_at: 0,
      version: 1,
    },
    {
      chain_id: CHAIN_ID,
      address: SYNTHETIC_TOKENS.wbtc as `0x${string}`,
      symbol: 'WBTC',
      name: 'Wrapped BTC',
      decimals: 8,
      source: 'seed',
      symbol_encoding: null,
      fetched_at: 0,
      version: 1,
    },
    {
      chain_id: CHAIN_ID,
      address: SYNTHETIC_TOKENS.meme as `0x${string}`,
      symbol: 'MEME',
      name: 'Meme',
      decimals: 18,
      source: 'rpc',
      symbol_encoding: 'bytes32',
      fetched_at: 0,
      version: 1,
    },
  ];
  const tokenWeights: [string, number, number][] = [
    [SYNTHETIC_TOKENS.weth, 0.35, 18],
    [SYNTHETIC_TOKENS.usdc, 0.3, 6],
    [SYNTHETIC_TOKENS.wbtc, 0.15, 8],
    [SYNTHETIC_TOKENS.meme, 0.12, 18],
    [SYNTHETIC_TOKENS.unknown, 0.08, 18],
  ];
  const pickToken = (): [string, number] => {
    let x = rand();
    for (const [address, w, d] of tokenWeights) {
      if ((x -= w) < 0) return [address, d];
    }
    return [SYNTHETIC_TOKENS.weth, 18];
  };

  // Prices every 15 minutes from one hour before the first block; WBTC has a gap on day 2 06:00–12:00.
  const prices: PriceTick[] = [];
  const base: Record<string, [number, string]> = {
    [SYNTHETIC_TOKENS.weth]: [3000, 'WETH'],
    [SYNTHETIC_TOKENS.usdc]: [1, 'USDC'],
    [SYNTHETIC_TOKENS.wbtc]: [60000, 'WBTC'],
  };
  const gapFrom = startMs + 86_400_000 + 6 * 3_600_000;
  const gapTo = startMs + 86_400_000 + 12 * 3_600_000;
  for (let t = startMs - 3_600_000; t <= startMs + days * 86_400_000; t += 900_000) {
    for (const [address, [level, symbol]] of Object.entries(base)) {
      if (address === SYNTHETIC_TOKENS.wbtc && t >= gapFrom && t < gapTo) continue;
      const price = level * (1 + (rand() - 0.5) * 0.04);
      prices.push({
        chain_id: CHAIN_ID,
        token_address: address as `0x${string}`,
        coingecko_id: symbol.toLowerCase(),
        symbol,
        price_usd: price.toFixed(8),
        price_timestamp: t,
        source: 'test:synthetic',
        fetched_at: t + 1000,
      });
    }
  }

  let version = 0;
  let transfers = 0;
  let txCounter = 0;
  const makeLogs = (blockNumber: number, salt: number): Log[] => {
    const logs: Log[] = [];
    let txIndex = 0;
    let txHash = '';
    const newTx = (): void => {
      txIndex++;
      txHash = '0x' + hex(++txCounter, 48) + hex(salt, 16);
    };
    newTx();
    for (let i = 0; i < perBlock; i++) {
      if (rand() < 0.5) newTx();
      const [token, decimals] = pickToken();
      const r = rand();
      const from = r < 0.03 ? '0x' + '0'.repeat(40) : pickAddress();
      const to = r > 0.97 ? '0x' + '0'.repeat(40) : pickAddress();
      const amount = BigInt(Math.floor(rand() * 10_000)) * 10n ** BigInt(decimals) + BigInt(Math.floor(rand() * 1e9));
      logs.push({
        tx_hash: txHash as `0x${string}`,
        tx_index: txIndex,
        log_index: logs.length,
        address: token as `0x${string}`,
        topics: [TRANSFER_TOPIC, word(from), word(to)] as `0x${string}`[],
        data: ('0x' + hex(amount, 64)) as `0x${string}`,
      });
      transfers++;
      const noise = rand();
      if (noise < 0.15) {
        logs.push({
          tx_hash: txHash as `0x${string}`,
          tx_index: txIndex,
          log_index: logs.length,
          address: token as `0x${string}`,
          topics: [APPROVAL_TOPIC, word(from), word(to)] as `0x${string}`[],
          data: ('0x' + hex(amount, 64)) as `0x${string}`,
        });
      } else if (noise < 0.18) {
        // An ERC-721 transfer (tokenId indexed): rejected, counted.
        logs.push({
          tx_hash: txHash as `0x${string}`,
          tx_index: txIndex,
          log_index: logs.length,
          address: ('0x' + hex(0x721000 + (blockNumber % 7), 40)) as `0x${string}`,
          topics: [TRANSFER_TOPIC, word(from), word(to), ZERO_WORD.slice(0, 60) + hex(i, 6)] as `0x${string}`[],
          data: '0x',
        });
      }
    }
    return logs;
  };
  const batch = (blockNumber: number, timestampMs: number, hashSalt: number, kind: LogBatch['kind'], logs: Log[]): LogBatch => ({
    kind,
    chain_id: CHAIN_ID,
    block_number: blockNumber,
    block_hash: ('0x' + hex(blockNumber, 48) + hex(hashSalt, 16)) as `0x${string}`,
    block_timestamp: timestampMs,
    checkpoint: encodeCheckpoint({ timestampMs, chainId: CHAIN_ID, blockNumber, txIndex: 0, logIndex: 0 }),
    version: ++version,
    observed_at: timestampMs + 5_000,
    part: 0,
    parts: 1,
    logs,
  });

  const total = days * blocksPerDay;
  const firstBlock = 19_000_000;
  const published: LogBatch[] = [];
  const delayed: { at: number; batch: LogBatch }[] = [];
  const reorgIndex = Math.floor(total * 0.55);
  const lateIndex = Math.floor(total * 0.8);
  let outOfOrder = 0;
  let lateBlock = 0;
  for (let i = 0; i < total; i++) {
    const number = firstBlock + i;
    const timestampMs = startMs + i * blockMs;
    const b = batch(number, timestampMs, 1, 'block', makeLogs(number, 1));
    if (i % 50 === 25) {
      // Published five blocks later: out of event-time order, well within the 1 h grace.
      delayed.push({ at: i + 5, batch: b });
      outOfOrder++;
    } else {
      published.push(b);
    }
    for (const d of delayed.filter((x) => x.at === i)) published.push(d.batch);
    if (i === reorgIndex + 2) {
      const orphan = published.find((p) => p.block_number === firstBlock + reorgIndex);
      if (orphan !== undefined) {
        published.push({ ...orphan, kind: 'reorg', logs: [], version: ++version });
        published.push(batch(orphan.block_number, orphan.block_timestamp, 2, 'block', makeLogs(orphan.block_number, 2)));
      }
    }
    if (i === lateIndex) {
      // A block whose day closed long ago (the first day): late, routed to erc20.transfers.late.
      lateBlock = firstBlock + total + 1000;
      published.push(batch(lateBlock, startMs + 12 * 3_600_000, 1, 'block', makeLogs(lateBlock, 3)));
    }
  }
  for (const d of delayed) if (d.at >= total) published.push(d.batch);

  return {
    tokens,
    prices,
    logBatches: published,
    facts: { transfers, lateBlock, reorgBlock: firstBlock + reorgIndex, outOfOrderBlocks: outOfOrder },
  };
}
