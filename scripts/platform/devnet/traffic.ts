/**
 * The devnet's traffic generator: a deterministic (seeded) model of ERC-20 activity, and the executor that mines it
 * on the Hardhat devnet with time-warped block timestamps.
 *
 * The model ({@link planHistory}, {@link TrafficModel}):
 * - a launch day (deploy, then a mint distribution to ~120 holders), then `days` days ending today (UTC), each with
 *   `blocksPerDay` blocks at jittered times, more transfers in the afternoon (UTC) and fewer at weekends, daily noise;
 * - Zipf-ish activity: sender and recipient are drawn from a fixed population of 300 addresses with weight
 *   1/(rank+1)^1.1 (a few very active addresses, a long tail); amounts log-normal around each token's typical size,
 *   never more than the sender holds (balances are tracked exactly, in base units, as bigint);
 * - mints (Transfer from 0x0) and burns (Transfer to 0x0) now and then, plus a treasury that mints and burns dUSDC;
 * - a "market maker" address with steady two-way dUSDC flows every day (so it has a baseline);
 * - PLANTED ANOMALIES, after 14+ final days of baseline (the scorers' `minHistoryDays`):
 *     1. `token_volume_spike`: on the day 3 days before today, dWETH has 8x its usual transfers at 1.5x the usual
 *        size (transfer_count, unique_addresses and volume_usd all far above the bounds);
 *     2. `address_outflow_burst`: 2 days before today, the market maker sends 25 M dUSDC to a fresh cold wallet (its
 *        outflow_usd and net_flow_usd explode; dUSDC's volume_usd for the day too).
 * Every transfer of a block and token goes into one transaction (`simulate(from[], to[], amounts[])` on the token:
 * one log per transfer), so a day is a handful of blocks: ingestion, not mining, is the bottleneck.
 *
 * The executor ({@link runDevnetTraffic}) deploys the tokens, mines the history (automine off:
 * `evm_setNextBlockTimestamp` + `evm_mine` per block), then plants ONE REORG at the head: `evm_snapshot`, mine a block
 * with a marked dUSDC payment, wait until the block source has ingested it (confirmations 0 on the devnet), then
 * `evm_revert` and mine a different two-block branch, so the source retracts the orphaned block. Then it keeps mining
 * light live traffic every few seconds until stopped.
 */
import { encodeDeployData, encodeFunctionData, keccak256, toHex, type Address, type Hex } from 'viem';
import { request as httpRequest } from 'node:http';
import type { Logger } from '../../../core/logger.ts';
import { DAY_MS, dayStartMs, HOUR_MS, isoDay } from '../../../core/time.ts';
import { mulberry32Advance, mulberry32Output } from '../../../processors/anomalies/lib/prng.ts';
import type { CompiledContract } from './compile.ts';
import { DevnetTrafficError } from './errors.ts';
import { DEVNET_DEPLOYER, type DeployedDevnetToken } from './tokens.ts';

const ZERO: Address = '0x0000000000000000000000000000000000000000';

export interface PlannedTransfer {
  readonly token: Address;
  readonly from: Address;
  readonly to: Address;
  readonly amount: bigint;
}

export interface PlannedBlock {
  /** Unix seconds. */
  readonly timestampS: number;
  readonly transfers: readonly PlannedTransfer[];
}

export interface PlantedAnomaly {
  readonly kind: 'token_volume_spike' | 'address_outflow_burst';
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly token: Address;
  readonly tokenSymbol: string;
  /** The address whose flows burst (address anomalies). */
  readonly address?: Address;
  readonly description: string;
}

export interface TrafficPlan {
  readonly seed: number;
  /** 00:00 UTC of the launch day (deploy + distribution), ms. */
  readonly launchDayMs: number;
  readonly days: number;
  /** Launch block first, then the history, in time order; every timestamp < nowMs. */
  readonly blocks: readonly PlannedBlock[];
  readonly anomalies: readonly PlantedAnomaly[];
  /** The model after the history, for the live traffic (same balances). */
  readonly model: TrafficModel;
}

export interface PlanHistoryParameters {
  readonly tokens: readonly DeployedDevnetToken[];
  /** Default 42. */
  readonly seed?: number;
  /** Days of history ending today (UTC), today included. Default 21; at least 18 (14 baseline days before the anomalies). */
  readonly days?: number;
  /** Default 8. */
  readonly blocksPerDay?: number;
  /** "Now" (ms): the history ends a minute before it. */
  readonly nowMs: number;
}

export const DEFAULT_DAYS = 21;
export const MIN_DAYS = 18;

/** `x` whole tokens in base units (x is a synthetic model quantity; the result is exact bigint). */
export function toUnits(x: number, decimals: number): bigint {
  const micro = BigInt(Math.max(0, Math.round(x * 1e6)));
  return (micro * 10n ** BigInt(decimals)) / 1_000_000n;
}

interface ModelSnapshot {
  readonly rngState: number;
  readonly balances: Map<Address, Map<Address, bigint>>;
}

/** The traffic model: a seeded RNG, an address population and exact balances per token. */
export class TrafficModel {
  readonly population: readonly Address[];
  readonly weights: readonly number[];
  readonly treasury: Address;
  readonly marketMaker: Address;
  readonly coldWallet: Address;
  private readonly tokens: readonly DeployedDevnetToken[];
  private balances = new Map<Address, Map<Address, bigint>>();
  private rngState: number;
  private readonly cumulative: number[];

  constructor(params: { tokens: readonly DeployedDevnetToken[]; seed: number; population?: number }) {
    this.tokens = params.tokens;
    this.rngState = params.seed >>> 0;
    const size = params.population ?? 300;
    const addr = (label: string): Address =>
      `0x${keccak256(toHex(`oracul-devnet/${params.seed}/${label}`)).slice(-40)}`.toLowerCase() as Address;
    this.population = Array.from({ length: size }, (_, i) => addr(`holder-${i}`));
    this.weights = this.population.map((_, i) => 1 / (i + 1) ** 1.1);
    this.cumulative = [];
    let sum = 0;
    for (const w of this.weights) this.cumulative.push((sum += w));
    this.treasury = addr('treasury');
    this.marketMaker = addr('market-maker');
    this.coldWallet = addr('cold-wallet');
    for (const t of this.tokens) this.balances.set(t.address, new Map());
  }

  /** Next uniform [0, 1) (mulberry32 over the model's own state, so snapshots restore it). */
  random(): number {
    this.rngState = mulberry32Advance(this.rngState);
    return mulberry32Output(this.rngState);
  }

  private normal(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  private zipf(): Address {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const x = this.random() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.population[lo]!;
  }

  balanceOf(token: Address, holder: Address): bigint {
    return this.balances.get(token)?.get(holder) ?? 0n;
  }

  snapshot(): ModelSnapshot {
    return { rngState: this.rngState, balances: new Map([...this.balances].map(([k, v]) => [k, new Map(v)])) };
  }

  restore(snapshot: ModelSnapshot): void {
    this.rngState = snapshot.rngState;
    this.balances = new Map([...snapshot.balances].map(([k, v]) => [k, new Map(v)]));
  }

  /** Applies a transfer to the balances (throws if it would overdraw: the plan must match the chain exactly). */
  private apply(t: PlannedTransfer): PlannedTransfer {
    const book = this.balances.get(t.token)!;
    if (t.from !== ZERO) {
      const have = book.get(t.from) ?? 0n;
      if (have < t.amount) throw new DevnetTrafficError(`plan overdraws ${t.from} on ${t.token}`);
      book.set(t.from, have - t.amount);
    }
    if (t.to !== ZERO) book.set(t.to, (book.get(t.to) ?? 0n) + t.amount);
    return t;
  }

  private spec(token: Address): DeployedDevnetToken {
    const spec = this.tokens.find((t) => t.address === token);
    if (!spec) throw new RangeError(`unknown devnet token ${token}`);
    return spec;
  }

  /** Launch-day distribution: mints to the top holders (Zipf shares), the treasury and the market maker. */
  launch(): PlannedTransfer[] {
    const out: PlannedTransfer[] = [];
    for (const t of this.tokens) {
      const supply = t.typicalAmount * t.dailyTransfers * 150;
      const top = this.population.slice(0, 120);
      const share = this.weights.slice(0, 120).reduce((a, b) => a + b, 0);
      top.forEach((holder, i) => {
        out.push(
          this.apply({
            token: t.address,
            from: ZERO,
            to: holder,
            amount: toUnits((supply * this.weights[i]!) / share, t.decimals),
          }),
        );
      });
      out.push(this.apply({ token: t.address, from: ZERO, to: this.treasury, amount: toUnits(supply * 0.1, t.decimals) }));
      if (t.symbol === 'dUSDC') {
        out.push(this.apply({ token: t.address, from: ZERO, to: this.marketMaker, amount: toUnits(40_000_000, t.decimals) }));
      }
    }
    return out;
  }

  /** One ordinary transfer of `token` (sometimes a mint or a burn), size scaled by `sizeFactor`. */
  transfer(token: Address, sizeFactor = 1): PlannedTransfer {
    const spec = this.spec(token);
    const r = this.random();
    const typical = spec.typicalAmount * sizeFactor * Math.exp(1.1 * this.normal());
    if (r < 0.04) return this.apply({ token, from: ZERO, to: this.zipf(), amount: toUnits(typical, spec.decimals) || 1n });
    let from = this.zipf();
    for (let i = 0; i < 10 && this.balanceOf(token, from) === 0n; i += 1) from = this.zipf();
    if (this.balanceOf(token, from) === 0n) from = this.treasury;
    const have = this.balanceOf(token, from);
    if (have === 0n) return this.apply({ token, from: ZERO, to: from, amount: toUnits(typical, spec.decimals) || 1n });
    let amount = toUnits(typical, spec.decimals);
    if (amount > have) amount = have / 2n > 0n ? have / 2n : have;
    if (amount === 0n) amount = 1n;
    if (r < 0.07) return this.apply({ token, from, to: ZERO, amount });
    let to = this.zipf();
    if (to === from) to = this.population[(this.population.indexOf(from) + 1) % this.population.length]!;
    return this.apply({ token, from, to, amount });
  }

  /** One of the market maker's six steady daily dUSDC flows: even `j` pays a counterparty, odd `j` is paid back. */
  marketMakerFlow(token: Address, j: number): PlannedTransfer {
    const spec = this.spec(token);
    const counterparty = this.population[(j >> 1) + 1]!;
    const size = toUnits(20_000 + 40_000 * this.random(), spec.decimals);
    if (j % 2 === 0) return this.apply({ token, from: this.marketMaker, to: counterparty, amount: size });
    return this.balanceOf(token, counterparty) >= size
      ? this.apply({ token, from: counterparty, to: this.marketMaker, amount: size })
      : this.apply({ token, from: ZERO, to: this.marketMaker, amount: size });
  }

  /** The planted whale burst: the market maker moves 25 M dUSDC to a fresh cold wallet. */
  whaleBurst(token: Address): PlannedTransfer {
    return this.apply({
      token,
      from: this.marketMaker,
      to: this.coldWallet,
      amount: toUnits(25_000_000, this.spec(token).decimals),
    });
  }

  /** Light live traffic: 1-3 transfers on 2 random tokens. */
  liveTransfers(): PlannedTransfer[] {
    const out: PlannedTransfer[] = [];
    for (let k = 0; k < 2; k += 1) {
      const token = this.tokens[Math.floor(this.random() * this.tokens.length)]!.address;
      const n = 1 + Math.floor(this.random() * 3);
      for (let i = 0; i < n; i += 1) out.push(this.transfer(token));
    }
    return out;
  }
}

/** Weekday factor: quieter weekends (0 = Sunday). */
const WEEKDAY = [0.65, 1, 1.05, 1.05, 1, 0.95, 0.7];
/** Relative activity by UTC hour: busiest around 16:00. */
const hourWeight = (h: number): number => 0.6 + 0.8 * Math.exp(-(((h - 16) / 5) ** 2));

/** The whole history: launch block, then `days` days of blocks ending a minute before `nowMs`. Pure and deterministic. */
export function planHistory(params: PlanHistoryParameters): TrafficPlan {
  const seed = params.seed ?? 42;
  const days = params.days ?? DEFAULT_DAYS;
  const blocksPerDay = params.blocksPerDay ?? 8;
  if (!Number.isInteger(days) || days < MIN_DAYS) throw new RangeError(`days must be an integer >= ${MIN_DAYS}, got ${days}`);
  if (!Number.isInteger(blocksPerDay) || blocksPerDay < 2) throw new RangeError('blocksPerDay must be an integer >= 2');
  const model = new TrafficModel({ tokens: params.tokens, seed });
  const todayMs = dayStartMs(params.nowMs);
  const firstDayMs = todayMs - (days - 1) * DAY_MS;
  const launchDayMs = firstDayMs - DAY_MS;
  const endS = Math.floor((params.nowMs - 60_000) / 1000);
  const spikeDay = days - 4;
  const burstDay = days - 3;
  const spikeToken = params.tokens.find((t) => t.symbol === 'dWETH') ?? params.tokens[0]!;
  const usdc = params.tokens.find((t) => t.symbol === 'dUSDC') ?? params.tokens[0]!;

  const blocks: PlannedBlock[] = [{ timestampS: Math.floor((launchDayMs + HOUR_MS) / 1000), transfers: model.launch() }];
  let lastS = blocks[0]!.timestampS;
  for (let d = 0; d < days; d += 1) {
    const dayMs = firstDayMs + d * DAY_MS;
    const weekday = WEEKDAY[new Date(dayMs).getUTCDay()]!;
    // Block times: evenly spread slots, jittered within the slot.
    const slotS = DAY_MS / 1000 / blocksPerDay;
    const times = Array.from({ length: blocksPerDay }, (_, i) =>
      Math.floor(dayMs / 1000 + slotS * (i + 0.1 + 0.8 * model.random())),
    );
    const slotWeights = times.map((t) => hourWeight(new Date(t * 1000).getUTCHours()));
    const slotTotal = slotWeights.reduce((a, b) => a + b, 0);
    const pickSlot = (): number => {
      let x = model.random() * slotTotal;
      for (let i = 0; i < slotWeights.length; i += 1) if ((x -= slotWeights[i]!) <= 0) return i;
      return slotWeights.length - 1;
    };
    // How many transfers of each token go in each block, first; then the transfers themselves in block order, so
    // balances move in the order the chain applies them.
    const counts = params.tokens.map((token) => {
      const noise = Math.exp(0.24 * (model.random() + model.random() + model.random() - 1.5));
      const spiking = d === spikeDay && token.address === spikeToken.address;
      const n = Math.round(token.dailyTransfers * weekday * noise) * (spiking ? 8 : 1);
      const perSlot = times.map(() => 0);
      for (let i = 0; i < n; i += 1) perSlot[pickSlot()]! += 1;
      return { token, perSlot, size: spiking ? 1.5 : 1 };
    });
    const perBlock: PlannedTransfer[][] = times.map(() => []);
    for (let slot = 0; slot < times.length; slot += 1) {
      if (times[slot]! > endS) break; // today: only the blocks before now (the model must match the chain)
      for (const { token, perSlot, size } of counts) {
        for (let i = 0; i < perSlot[slot]!; i += 1) perBlock[slot]!.push(model.transfer(token.address, size));
        if (token.address === usdc.address) {
          for (let j = 0; j < 6; j += 1)
            if ((j * 3) % blocksPerDay === slot) perBlock[slot]!.push(model.marketMakerFlow(token.address, j));
          if (d === burstDay && slot === Math.floor(blocksPerDay / 2)) perBlock[slot]!.push(model.whaleBurst(token.address));
        }
      }
    }
    times.forEach((t, i) => {
      if (t <= endS && t > lastS && perBlock[i]!.length > 0) {
        blocks.push({ timestampS: t, transfers: perBlock[i]! });
        lastS = t;
      }
    });
  }
  const anomalies: PlantedAnomaly[] = [
    {
      kind: 'token_volume_spike',
      day: isoDay(firstDayMs + spikeDay * DAY_MS),
      token: spikeToken.address,
      tokenSymbol: spikeToken.symbol,
      description: `${spikeToken.symbol}: 8x the usual transfers at 1.5x the usual size (transfer_count, unique_addresses, volume_usd)`,
    },
    {
      kind: 'address_outflow_burst',
      day: isoDay(firstDayMs + burstDay * DAY_MS),
      token: usdc.address,
      tokenSymbol: usdc.symbol,
      address: model.marketMaker,
      description: `market maker ${model.marketMaker} sends 25 000 000 ${usdc.symbol} to a fresh cold wallet (outflow_usd; also ${usdc.symbol} volume_usd)`,
    },
  ];
  return { seed, launchDayMs, days, blocks, anomalies, model };
}

// ---------------------------------------------------------------------------------------------------------------
// Executor
// ---------------------------------------------------------------------------------------------------------------

/** Transfers per `simulate` transaction (gas ≈ 45 k each, under the 16.7 M per-transaction cap of recent forks). */
const MAX_TRANSFERS_PER_TX = 300;

interface RpcReceipt {
  status: Hex;
  gasUsed: Hex;
  to: Address | null;
  blockNumber: Hex;
  contractAddress: Address | null;
}

/**
 * POST on a fresh connection (no keep-alive): with the block source hammering the node, a pooled socket that the
 * node's server had just closed failed a send ("other side closed"), and a send must not be blindly retried.
 */
function postJson(url: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', connection: 'close', 'content-length': Buffer.byteLength(body) },
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(new DevnetTrafficError(`the devnet answered ${res.statusCode} with invalid JSON`, { cause: error }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new DevnetTrafficError('devnet request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A minimal JSON-RPC client for the devnet (evm_* methods are not in viem's typed clients' happy path). */
export function devnetRpc(url: string): <T>(method: string, params?: unknown[]) => Promise<T> {
  const batch = devnetRpcBatch(url);
  return async <T>(method: string, params: unknown[] = []): Promise<T> => (await batch([{ method, params }]))[0] as T;
}

/**
 * Several calls in one JSON-RPC batch (one HTTP request; Hardhat runs a batch's calls in order). Mining a block
 * takes two requests instead of a dozen, which matters when the block source keeps the node busy.
 */
export function devnetRpcBatch(url: string): (calls: readonly { method: string; params?: unknown[] }[]) => Promise<unknown[]> {
  let id = 0;
  return async (calls) => {
    const first = id + 1;
    const body = calls.map((c) => ({ jsonrpc: '2.0', id: (id += 1), method: c.method, params: c.params ?? [] }));
    const answers = (await postJson(url, JSON.stringify(body))) as {
      id: number;
      result?: unknown;
      error?: { message: string };
    }[];
    if (!Array.isArray(answers)) throw new DevnetTrafficError('the devnet answered a batch with a non-array');
    const byId = new Map(answers.map((a) => [a.id, a]));
    return calls.map((c, i) => {
      const answer = byId.get(first + i);
      if (!answer || answer.error) {
        throw new DevnetTrafficError(`${c.method}: ${answer?.error?.message ?? 'no answer'}`, { details: { method: c.method } });
      }
      return answer.result;
    });
  };
}

export interface RunDevnetTrafficParameters {
  readonly rpcUrl: string;
  readonly tokens: readonly DeployedDevnetToken[];
  readonly contracts: Record<string, CompiledContract>;
  readonly plan: TrafficPlan;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Resolves once the block source has ingested the block with this hash (for the reorg); rejects on timeout. */
  readonly waitIngested?: (blockHash: Hex, signal: AbortSignal) => Promise<void>;
  /** Live block interval. Default 5 s. */
  readonly liveIntervalMs?: number;
  /** Called after the deployment (tokens exist), before the history is mined. */
  readonly onDeployed?: () => Promise<void>;
}

export interface DevnetTrafficSummary {
  historyBlocks: number;
  historyTransfers: number;
  reorg: { orphanedBlock: number; orphanedHash: Hex; canonicalHash: Hex } | null;
  liveBlocks: number;
}

/**
 * Deploys the tokens, mines the planned history, plants the reorg, then mines live traffic until `signal` aborts.
 * `summary` is filled as it goes (the reorg entry once it happened).
 */
export async function runDevnetTraffic(params: RunDevnetTrafficParameters, summary: DevnetTrafficSummary): Promise<void> {
  const simulate = simulateTxsOf(params);
  const miner = await DevnetMiner.connect(params.rpcUrl);
  await deployTokens(params, miner);
  if (!(await mineHistory(params, miner, simulate, summary))) return;
  if (params.waitIngested && !params.signal.aborted) await plantReorg(params, miner, simulate, summary);
  await mineLive(params, miner, simulate, summary);
}

type MinedTx = { to?: Address; data: Hex; gas: bigint };
type Simulate = (transfers: readonly PlannedTransfer[]) => MinedTx[];

/**
 * Mines blocks with automine off: the deployer's transactions at explicit nonces, then the block at a chosen
 * timestamp (strictly after the previous one), checking that every transaction landed and none reverted.
 */
class DevnetMiner {
  private constructor(
    readonly rpc: <T>(method: string, params?: unknown[]) => Promise<T>,
    private readonly rpcBatch: (calls: readonly { method: string; params?: unknown[] }[]) => Promise<unknown[]>,
    private lastTimestampS: number,
    private nonce: number,
  ) {}

  static async connect(rpcUrl: string): Promise<DevnetMiner> {
    const rpc = devnetRpc(rpcUrl);
    const latest = await rpc<{ timestamp: Hex }>('eth_getBlockByNumber', ['latest', false]);
    await rpc('evm_setAutomine', [false]);
    const nonce = Number(BigInt(await rpc<Hex>('eth_getTransactionCount', [DEVNET_DEPLOYER, 'latest'])));
    return new DevnetMiner(rpc, devnetRpcBatch(rpcUrl), Number(BigInt(latest.timestamp)), nonce);
  }

  /** The position to come back to after an `evm_revert`. */
  position(): { timestampS: number; nonce: number } {
    return { timestampS: this.lastTimestampS, nonce: this.nonce };
  }

  rewind(position: { timestampS: number; nonce: number }): void {
    this.lastTimestampS = position.timestampS;
    this.nonce = position.nonce;
  }

  async mine(timestampS: number, txs: readonly MinedTx[]): Promise<{ number: number; hash: Hex }> {
    const ts = Math.max(timestampS, this.lastTimestampS + 1);
    // One batch for the transactions (automine off: they wait in the pool; explicit nonces, as Hardhat may answer a
    // batch's calls concurrently), then the timestamp and the block.
    const nonce = this.nonce;
    const hashes = (await this.rpcBatch(
      txs.map((tx, i) => ({
        method: 'eth_sendTransaction',
        params: [
          { from: DEVNET_DEPLOYER, ...(tx.to ? { to: tx.to } : {}), data: tx.data, gas: toHex(tx.gas), nonce: toHex(nonce + i) },
        ],
      })),
    )) as Hex[];
    this.nonce += txs.length;
    await this.rpc('evm_setNextBlockTimestamp', [ts]);
    await this.rpc('evm_mine');
    this.lastTimestampS = ts;
    return this.checkMined(hashes);
  }

  /** A second batch: the block and every receipt (nothing may be left out or revert: the model must match the chain). */
  private async checkMined(hashes: readonly Hex[]): Promise<{ number: number; hash: Hex }> {
    const [block, ...receipts] = (await this.rpcBatch([
      { method: 'eth_getBlockByNumber', params: ['latest', false] },
      ...hashes.map((hash) => ({ method: 'eth_getTransactionReceipt', params: [hash] })),
    ])) as [{ number: Hex; hash: Hex; transactions: Hex[] }, ...RpcReceipt[]];
    if (block.transactions.length !== hashes.length) {
      throw new DevnetTrafficError(
        `block ${Number(block.number)} has ${block.transactions.length} of ${hashes.length} transactions`,
      );
    }
    receipts.forEach((receipt, i) => {
      if (receipt?.status !== '0x1') {
        throw new DevnetTrafficError(`transaction ${hashes[i]} reverted`, {
          details: { hash: hashes[i], to: receipt?.to, gas_used: Number(receipt?.gasUsed), block: Number(block.number) },
        });
      }
    });
    return { number: Number(block.number), hash: block.hash };
  }
}

/** Planned transfers → `simulate(from[], to[], amount[])` calls, per token, at most MAX_TRANSFERS_PER_TX each. */
function simulateTxsOf(params: RunDevnetTrafficParameters): Simulate {
  const contract = params.contracts.DevnetToken;
  if (!contract) throw new DevnetTrafficError('contract DevnetToken was not compiled');
  return (transfers) => {
    const txs: MinedTx[] = [];
    for (const token of params.tokens) {
      const ofToken = transfers.filter((t) => t.token === token.address);
      for (let i = 0; i < ofToken.length; i += MAX_TRANSFERS_PER_TX) {
        const chunk = ofToken.slice(i, i + MAX_TRANSFERS_PER_TX);
        const data = encodeFunctionData({
          abi: contract.abi,
          functionName: 'simulate',
          args: [chunk.map((t) => t.from), chunk.map((t) => t.to), chunk.map((t) => t.amount)],
        });
        txs.push({ to: token.address, data, gas: 120_000n + 45_000n * BigInt(chunk.length) });
      }
    }
    return txs;
  };
}

/** Deploys the tokens: nonces 0..n-1 of the deployer give the addresses in tokens.ts. */
async function deployTokens(params: RunDevnetTrafficParameters, miner: DevnetMiner): Promise<void> {
  const { plan, tokens, logger } = params;
  const launchS = Math.floor(plan.launchDayMs / 1000) + 600;
  const deployTxs = tokens.map((t) => {
    const c = params.contracts[t.contract]!;
    const args = t.contract === 'DevnetToken' ? [t.name, t.symbol, t.decimals] : [];
    return { data: encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args }), gas: 3_000_000n };
  });
  await miner.mine(launchS, deployTxs);
  for (const t of tokens) {
    const code = await miner.rpc<Hex>('eth_getCode', [t.address, 'latest']);
    if (code === '0x') throw new DevnetTrafficError(`no ${t.symbol} contract at ${t.address} (the devnet was not fresh?)`);
  }
  logger.info({ msg: 'devnet tokens deployed', tokens: tokens.map((t) => `${t.symbol}@${t.address}`) });
  await params.onDeployed?.();
}

/** Mines the planned history; false when `signal` aborted it. */
async function mineHistory(
  params: RunDevnetTrafficParameters,
  miner: DevnetMiner,
  simulate: Simulate,
  summary: DevnetTrafficSummary,
): Promise<boolean> {
  const { plan, logger, signal } = params;
  const started = performance.now();
  for (const block of plan.blocks) {
    if (signal.aborted) return false;
    await miner.mine(block.timestampS, simulate(block.transfers));
    summary.historyBlocks += 1;
    summary.historyTransfers += block.transfers.length;
  }
  logger.info({
    msg: 'devnet history mined',
    blocks: summary.historyBlocks,
    transfers: summary.historyTransfers,
    days: plan.days,
    duration_ms: Math.round(performance.now() - started),
    planted_anomalies: plan.anomalies.map((a) => `${a.day} ${a.kind} ${a.tokenSymbol}${a.address ? ` ${a.address}` : ''}`),
  });
  return true;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

/**
 * The reorg: mines a block, waits until the source ingested it, reverts to before it and mines a two-block branch
 * with other transfers in its place.
 */
async function plantReorg(
  params: RunDevnetTrafficParameters,
  miner: DevnetMiner,
  simulate: Simulate,
  summary: DevnetTrafficSummary,
): Promise<void> {
  const { plan, logger, signal } = params;
  const model = plan.model;
  const snapshotId = await miner.rpc<Hex>('evm_snapshot');
  const modelSnapshot = model.snapshot();
  const before = miner.position();
  const orphan = await miner.mine(nowS(), simulate(model.liveTransfers()));
  logger.info({
    msg: 'devnet reorg: mined the block to be orphaned; waiting for the source to ingest it',
    block: orphan.number,
    hash: orphan.hash,
  });
  try {
    await params.waitIngested?.(orphan.hash, signal);
  } catch (error) {
    if (signal.aborted) return;
    logger.warn({ msg: 'devnet reorg: the source did not ingest the block in time; reorging anyway', err: error });
  }
  const reverted = await miner.rpc<boolean>('evm_revert', [snapshotId]);
  if (!reverted) throw new DevnetTrafficError('evm_revert refused the snapshot');
  model.restore(modelSnapshot);
  model.random(); // a different branch: other transfers than the orphaned block's
  miner.rewind(before);
  const canonical = await miner.mine(nowS() + 1, simulate(model.liveTransfers()));
  await miner.mine(nowS() + 2, simulate(model.liveTransfers()));
  summary.reorg = { orphanedBlock: orphan.number, orphanedHash: orphan.hash, canonicalHash: canonical.hash };
  logger.info({
    msg: 'devnet reorg: replaced the head with a two-block branch',
    block: orphan.number,
    orphaned: orphan.hash,
    canonical: canonical.hash,
  });
}

/** A light live block every `liveIntervalMs` (default 5 s) until `signal` aborts. */
async function mineLive(
  params: RunDevnetTrafficParameters,
  miner: DevnetMiner,
  simulate: Simulate,
  summary: DevnetTrafficSummary,
): Promise<void> {
  const { plan, signal } = params;
  const interval = params.liveIntervalMs ?? 5_000;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) break;
    await miner.mine(nowS(), simulate(plan.model.liveTransfers()));
    summary.liveBlocks += 1;
  }
}
