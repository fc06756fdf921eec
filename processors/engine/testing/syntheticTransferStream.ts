import type { Log, LogBatch, PriceTick, TokenMetadata } from '../../../schemas/generated/types.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../core/time.ts';
import { encodeCheckpoint } from '../../../schemas/checkpoint.ts';
import { TRANSFER_TOPIC } from '../../erc20/transfer-event.ts';
import { xorshift32 } from '../../../core/xorshift.ts';

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
const ZERO_ADDRESS = '0x' + '0'.repeat(40);
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

/** The ERC-20 Transfer logs of a generated batch: the Transfer topic with three topics (ERC-721 look-alikes have four). */
export function erc20TransferLogs(batch: LogBatch | undefined): Log[] {
  return (batch?.logs ?? []).filter((log) => log.topics[0] === TRANSFER_TOPIC && log.topics.length === 3);
}

/** The ERC-721 look-alikes of a generated batch (the Transfer topic with a fourth, the token id): rejected by the decoder. */
export function erc721Logs(batch: LogBatch | undefined): Log[] {
  return (batch?.logs ?? []).filter((log) => log.topics[0] === TRANSFER_TOPIC && log.topics.length === 4);
}

/** The addresses (as topic words) of a Transfer log's address legs: from and to, without the zero address of a mint or burn. */
export function legWords(log: Log): string[] {
  return log.topics.slice(1).filter((w) => w !== ZERO_WORD);
}

export function generateSyntheticStream(params: SyntheticStreamParameters = {}): SyntheticStream {
  const rand = xorshift32(params.seed ?? 42);
  const days = params.days ?? 3;
  const blocksPerDay = params.blocksPerDay ?? 288;
  const startMs = params.startMs ?? Date.parse('2024-03-01T00:00:00Z');
  // The order of the generator's draws is part of the stream: prices first, then the blocks in publication order.
  const prices = generatePrices(rand, startMs, days);
  const blocks = new BlockFactory(rand, params.transfersPerBlock ?? 6, params.addresses ?? 3000);
  const publication = publishBlocks(blocks, { startMs, total: days * blocksPerDay, blockMs: Math.floor(DAY_MS / blocksPerDay) });
  return {
    tokens: TOKEN_METADATA.map((t) => ({ ...t })),
    prices,
    logBatches: publication.published,
    facts: {
      transfers: blocks.transfers,
      lateBlock: publication.lateBlock,
      reorgBlock: publication.reorgBlock,
      outOfOrderBlocks: publication.outOfOrder,
    },
  };
}

const seedToken = (
  address: string,
  symbol: string,
  name: string,
  decimals: number,
  source: 'seed' | 'rpc' = 'seed',
): TokenMetadata => ({
  chain_id: CHAIN_ID,
  address: address as `0x${string}`,
  symbol,
  name,
  decimals,
  source,
  symbol_encoding: source === 'rpc' ? 'bytes32' : null,
  fetched_at: 0,
  version: 1,
});

/** Metadata of every token but `unknown`. */
const TOKEN_METADATA: readonly TokenMetadata[] = [
  seedToken(SYNTHETIC_TOKENS.weth, 'WETH', 'Wrapped Ether', 18),
  seedToken(SYNTHETIC_TOKENS.usdc, 'USDC', 'USD Coin', 6),
  seedToken(SYNTHETIC_TOKENS.wbtc, 'WBTC', 'Wrapped BTC', 8),
  seedToken(SYNTHETIC_TOKENS.meme, 'MEME', 'Meme', 18, 'rpc'),
];

/** Token, share of the transfers, decimals. */
const TOKEN_WEIGHTS: readonly [string, number, number][] = [
  [SYNTHETIC_TOKENS.weth, 0.35, 18],
  [SYNTHETIC_TOKENS.usdc, 0.3, 6],
  [SYNTHETIC_TOKENS.wbtc, 0.15, 8],
  [SYNTHETIC_TOKENS.meme, 0.12, 18],
  [SYNTHETIC_TOKENS.unknown, 0.08, 18],
];

/** Prices every 15 minutes from one hour before the first block; WBTC has a gap on day 2 06:00–12:00. */
function generatePrices(rand: () => number, startMs: number, days: number): PriceTick[] {
  const prices: PriceTick[] = [];
  const base: Record<string, [number, string]> = {
    [SYNTHETIC_TOKENS.weth]: [3000, 'WETH'],
    [SYNTHETIC_TOKENS.usdc]: [1, 'USDC'],
    [SYNTHETIC_TOKENS.wbtc]: [60000, 'WBTC'],
  };
  const gapFrom = startMs + DAY_MS + 6 * HOUR_MS;
  const gapTo = startMs + DAY_MS + 12 * HOUR_MS;
  for (let t = startMs - HOUR_MS; t <= startMs + days * DAY_MS; t += 15 * MINUTE_MS) {
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
  return prices;
}

/** Blocks of random logs: transfers among skewed addresses, mints and burns, approvals and ERC-721 look-alikes. */
class BlockFactory {
  transfers = 0;
  private version = 0;
  private txCounter = 0;
  private readonly addresses: string[];

  constructor(
    private readonly rand: () => number,
    private readonly perBlock: number,
    addressCount: number,
  ) {
    this.addresses = Array.from({ length: addressCount }, (_, i) => '0x' + hex(0x5000000 + i * 7919, 40));
  }

  /** The batch of a block (`kind: 'block'`) or of its retraction (`'reorg'`, no logs). */
  batch(blockNumber: number, timestampMs: number, hashSalt: number, kind: LogBatch['kind'], logs: Log[]): LogBatch {
    return {
      kind,
      chain_id: CHAIN_ID,
      block_number: blockNumber,
      block_hash: ('0x' + hex(blockNumber, 48) + hex(hashSalt, 16)) as `0x${string}`,
      block_timestamp: timestampMs,
      checkpoint: encodeCheckpoint({ timestampMs, chainId: CHAIN_ID, blockNumber, txIndex: 0, logIndex: 0 }),
      version: this.nextVersion(),
      observed_at: timestampMs + 5_000,
      part: 0,
      parts: 1,
      logs,
    };
  }

  nextVersion(): number {
    return ++this.version;
  }

  makeLogs(blockNumber: number, salt: number): Log[] {
    const logs: Log[] = [];
    const tx = { index: 0, hash: '' };
    const newTx = (): void => {
      tx.index++;
      tx.hash = '0x' + hex(++this.txCounter, 48) + hex(salt, 16);
    };
    newTx();
    for (let i = 0; i < this.perBlock; i++) {
      if (this.rand() < 0.5) newTx();
      const [token, decimals] = this.pickToken();
      const r = this.rand();
      const from = r < 0.03 ? ZERO_ADDRESS : this.pickAddress();
      const to = r > 0.97 ? ZERO_ADDRESS : this.pickAddress();
      const amount = BigInt(Math.floor(this.rand() * 10_000)) * 10n ** BigInt(decimals) + BigInt(Math.floor(this.rand() * 1e9));
      const log = (address: string, topics: string[], data: string): void => {
        logs.push({
          tx_hash: tx.hash as `0x${string}`,
          tx_index: tx.index,
          log_index: logs.length,
          address: address as `0x${string}`,
          topics: topics as `0x${string}`[],
          data: data as `0x${string}`,
        });
      };
      log(token, [TRANSFER_TOPIC, word(from), word(to)], '0x' + hex(amount, 64));
      this.transfers++;
      const noise = this.rand();
      if (noise < 0.15) log(token, [APPROVAL_TOPIC, word(from), word(to)], '0x' + hex(amount, 64));
      // An ERC-721 transfer (tokenId indexed): rejected, counted.
      else if (noise < 0.18)
        log(
          '0x' + hex(0x721000 + (blockNumber % 7), 40),
          [TRANSFER_TOPIC, word(from), word(to), ZERO_WORD.slice(0, 60) + hex(i, 6)],
          '0x',
        );
    }
    return logs;
  }

  private pickAddress(): string {
    return this.addresses[Math.floor(this.addresses.length * this.rand() ** 2.2)] as string;
  }

  private pickToken(): [string, number] {
    let x = this.rand();
    for (const [address, w, d] of TOKEN_WEIGHTS) {
      if ((x -= w) < 0) return [address, d];
    }
    return [SYNTHETIC_TOKENS.weth, 18];
  }
}

/**
 * The blocks in publication order: every 50th block five blocks late (out of event-time order, within the grace),
 * one reorg (retraction and a replacement two blocks later), one block of the first day published at 80 % (late).
 */
function publishBlocks(
  blocks: BlockFactory,
  { startMs, total, blockMs }: { startMs: number; total: number; blockMs: number },
): { published: LogBatch[]; lateBlock: number; reorgBlock: number; outOfOrder: number } {
  const firstBlock = 19_000_000;
  const published: LogBatch[] = [];
  const delayed: { at: number; batch: LogBatch }[] = [];
  const reorgIndex = Math.floor(total * 0.55);
  const lateIndex = Math.floor(total * 0.8);
  let outOfOrder = 0;
  let lateBlock = 0;
  for (let i = 0; i < total; i++) {
    const number = firstBlock + i;
    const b = blocks.batch(number, startMs + i * blockMs, 1, 'block', blocks.makeLogs(number, 1));
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
        published.push({ ...orphan, kind: 'reorg', logs: [], version: blocks.nextVersion() });
        published.push(
          blocks.batch(orphan.block_number, orphan.block_timestamp, 2, 'block', blocks.makeLogs(orphan.block_number, 2)),
        );
      }
    }
    if (i === lateIndex) {
      // A block whose day closed long ago (the first day): late, routed to erc20.transfers.late.
      lateBlock = firstBlock + total + 1000;
      published.push(blocks.batch(lateBlock, startMs + 12 * HOUR_MS, 1, 'block', blocks.makeLogs(lateBlock, 3)));
    }
  }
  for (const d of delayed) if (d.at >= total) published.push(d.batch);
  return { published, lateBlock, reorgBlock: firstBlock + reorgIndex, outOfOrder };
}
