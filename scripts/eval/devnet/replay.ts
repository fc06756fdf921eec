/**
 * The devnet's planted history (scripts/platform/devnet/traffic.ts, pure and deterministic) replayed through the
 * stream's own token and address scorers, without Kafka or ClickHouse: the daily aggregates are computed here from
 * the plan (one cumulative update per block, then the final record a minute after midnight), priced with the devnet
 * price server's own formula. It reproduces what the anomalies table holds after a fresh devnet run, in seconds, so
 * the baseline's robustness can be measured for every weekday alignment of the launch.
 */
import type { Anomaly } from '../../../schemas/generated/types.ts';
import { createTestDriver } from '../../../processors/engine/testDriver.ts';
import {
  createAddressAnomaliesProcessorFromParams,
  type AddressFlowsInput,
} from '../../../processors/anomalies/address-anomalies.ts';
import {
  createTokenAnomaliesProcessorFromParams,
  type TokenMetricsInput,
} from '../../../processors/anomalies/token-anomalies.ts';
import type { AnomalyScoringParams } from '../../../processors/anomalies/scoring/params.ts';
import { devnetPriceAt } from '../../platform/devnet/price-server.ts';
import { devnetTokens, type DeployedDevnetToken } from '../../platform/devnet/tokens.ts';
import { planHistory, type PlantedAnomaly, type TrafficPlan } from '../../platform/devnet/traffic.ts';
import { DAY_MS, HOUR_MS, isoDay, isoDayOfEpochDay, isoDayStartMs } from '../../../core/time.ts';

const ZERO = '0x0000000000000000000000000000000000000000';
const CHAIN_ID = 31337;

interface TokenDay {
  transfers: number;
  addresses: Set<string>;
  usd: number;
}
interface FlowDay {
  inflow: number;
  outflow: number;
}

const usd = (x: number): string => x.toFixed(6);

/** Aggregate records in stream order: per day, one update per block (cumulative), finals after the day closes. */
function aggregateRecords(plan: TrafficPlan, tokens: readonly DeployedDevnetToken[], nowMs: number) {
  const spec = new Map(tokens.map((t) => [t.address, t]));
  const tokenRecords: TokenMetricsInput[] = [];
  const addressRecords: AddressFlowsInput[] = [];
  const tokenDays = new Map<string, TokenDay>();
  const flowDays = new Map<string, FlowDay>();
  const version = new Map<string, number>();
  const nextVersion = (key: string): number => {
    const v = (version.get(key) ?? 0) + 1;
    version.set(key, v);
    return v;
  };
  let currentDay = '';
  const closeDay = (day: string, emittedAt: number, final: boolean, touched: Set<string> | null): void => {
    for (const [key, t] of tokenDays) {
      if (touched !== null && !touched.has(key)) continue;
      tokenRecords.push({
        date: day,
        chain_id: CHAIN_ID,
        token_address: key,
        volume_usd: usd(t.usd),
        transfer_count: t.transfers,
        unique_addresses: t.addresses.size,
        version: nextVersion(`${day}|${key}`),
        is_final: final,
        emitted_at: emittedAt,
      });
    }
    for (const [key, f] of flowDays) {
      if (touched !== null && !touched.has(key)) continue;
      const [address, token] = key.split('|') as [string, string];
      addressRecords.push({
        date: day,
        chain_id: CHAIN_ID,
        address,
        token_address: token,
        inflow_usd: usd(f.inflow),
        outflow_usd: usd(f.outflow),
        net_flow_usd: usd(f.inflow - f.outflow),
        version: nextVersion(`${day}|${key}`),
        is_final: final,
        emitted_at: emittedAt,
      });
    }
  };
  for (const block of plan.blocks) {
    const ms = block.timestampS * 1000;
    const day = isoDay(ms);
    if (day !== currentDay) {
      if (currentDay !== '') closeDay(currentDay, isoDayStartMs(currentDay) + DAY_MS + 60_000, true, null);
      currentDay = day;
      tokenDays.clear();
      flowDays.clear();
    }
    const touched = new Set<string>();
    for (const t of block.transfers) {
      const s = spec.get(t.token)!;
      const price = Number(devnetPriceAt(s, ms - (ms % HOUR_MS)));
      const value = (Number(t.amount) / 10 ** s.decimals) * price;
      const td = tokenDays.get(t.token) ?? { transfers: 0, addresses: new Set<string>(), usd: 0 };
      tokenDays.set(t.token, td);
      td.transfers += 1;
      td.usd += value;
      for (const a of [t.from, t.to]) if (a !== ZERO) td.addresses.add(a);
      touched.add(t.token);
      const leg = (address: string, side: keyof FlowDay): void => {
        if (address === ZERO) return;
        const key = `${address}|${t.token}`;
        const f = flowDays.get(key) ?? { inflow: 0, outflow: 0 };
        flowDays.set(key, f);
        f[side] += value;
        touched.add(key);
      };
      leg(t.from, 'outflow');
      leg(t.to, 'inflow');
    }
    closeDay(day, ms, false, touched);
  }
  // The last history day closes only if it is before today (the devnet keeps today open).
  if (currentDay !== '' && currentDay < isoDay(nowMs)) {
    closeDay(currentDay, isoDayStartMs(currentDay) + DAY_MS + 60_000, true, null);
  }
  return { tokenRecords, addressRecords };
}

/** The latest version of each anomaly id, as the compacted topic and the ReplacingMergeTree table keep it. */
function latest(outputs: readonly { value: Anomaly }[]): Anomaly[] {
  const byId = new Map<string, Anomaly>();
  for (const o of outputs) byId.set(o.value.anomaly_id, o.value);
  return [...byId.values()];
}

export interface DevnetReplay {
  readonly launchDay: string;
  /** The first day an entity active since the launch is scored: launch + launchDays + minHistoryDays. */
  readonly firstScoredDay: string;
  readonly planted: readonly PlantedAnomaly[];
  readonly anomalies: readonly Anomaly[];
}

/** Plans the devnet history as `oracul start` would at `nowMs` and scores it with the given parameters. */
export function replayDevnet(
  nowMs: number,
  params: { tokens: AnomalyScoringParams; addresses: AnomalyScoringParams },
  seed = 42,
): DevnetReplay {
  const tokens = devnetTokens();
  const plan = planHistory({ tokens, seed, nowMs });
  const { tokenRecords, addressRecords } = aggregateRecords(plan, tokens, nowMs);
  const tokenDriver = createTestDriver(createTokenAnomaliesProcessorFromParams(params.tokens), { verifySerde: false });
  for (const r of tokenRecords) tokenDriver.pipe(r, { key: `${r.chain_id}:${r.token_address}`, timestampMs: r.emitted_at });
  const addressDriver = createTestDriver(createAddressAnomaliesProcessorFromParams(params.addresses), { verifySerde: false });
  for (const r of addressRecords) addressDriver.pipe(r, { key: `${r.chain_id}:${r.address}`, timestampMs: r.emitted_at });
  const launchDay = isoDay(plan.launchDayMs);
  const b = params.tokens.monotone.baseline;
  return {
    launchDay,
    firstScoredDay: isoDay(plan.launchDayMs + (b.launchDays + b.minHistoryDays) * DAY_MS),
    planted: plan.anomalies,
    anomalies: [...latest(tokenDriver.outputs()), ...latest(addressDriver.outputs())],
  };
}

export interface DevnetSummary {
  readonly launchDay: string;
  readonly firstScoredDay: string;
  readonly token: number;
  readonly address: number;
  readonly firstDay: { readonly token: number; readonly address: number; readonly high: number };
  readonly highAddress: number;
  readonly spikeTransferCount: string;
  readonly spikeVolume: string;
  readonly whaleOutflow: string;
  /** The hourly streaming detector's anomalies (method streaming_record): all, high, high outside the planted days. */
  readonly hourly: { readonly all: number; readonly high: number; readonly highOffPlanted: number };
}

/** The figures the issue and devnet.it care about (withdrawn anomalies are not counted: they no longer hold). */
export function summarizeReplay(replay: DevnetReplay): DevnetSummary {
  const live = replay.anomalies.filter((a) => a.status !== 'withdrawn');
  const onFirst = live.filter((a) => isoDayOfEpochDay(a.day) === replay.firstScoredDay);
  const spike = replay.planted.find((p) => p.kind === 'token_volume_spike')!;
  const burst = replay.planted.find((p) => p.kind === 'address_outflow_burst')!;
  // The planted checks are the daily scorer's verdicts; the hourly detector is counted on its own.
  const severityOf = (pred: (a: Anomaly) => boolean): string =>
    live.find((a) => a.method !== 'streaming_record' && pred(a))?.severity ?? 'none';
  const hourly = live.filter((a) => a.method === 'streaming_record');
  const plantedDays = new Set(replay.planted.map((p) => p.day));
  return {
    launchDay: replay.launchDay,
    firstScoredDay: replay.firstScoredDay,
    token: live.filter((a) => a.entity_type === 'token').length,
    address: live.filter((a) => a.entity_type === 'address').length,
    firstDay: {
      token: onFirst.filter((a) => a.entity_type === 'token').length,
      address: onFirst.filter((a) => a.entity_type === 'address').length,
      high: onFirst.filter((a) => a.severity === 'high').length,
    },
    highAddress: live.filter((a) => a.entity_type === 'address' && a.severity === 'high').length,
    spikeTransferCount: severityOf(
      (a) =>
        a.entity_type === 'token' &&
        a.entity_id === spike.token &&
        a.metric === 'transfer_count' &&
        isoDayOfEpochDay(a.day) === spike.day,
    ),
    spikeVolume: severityOf(
      (a) =>
        a.entity_type === 'token' &&
        a.entity_id === spike.token &&
        a.metric === 'volume_usd' &&
        isoDayOfEpochDay(a.day) === spike.day,
    ),
    whaleOutflow: severityOf(
      (a) =>
        a.entity_type === 'address' &&
        a.entity_id === burst.address &&
        a.metric === 'outflow_usd' &&
        isoDayOfEpochDay(a.day) === burst.day,
    ),
    hourly: {
      all: hourly.length,
      high: hourly.filter((a) => a.severity === 'high').length,
      highOffPlanted: hourly.filter((a) => a.severity === 'high' && !plantedDays.has(isoDayOfEpochDay(a.day))).length,
    },
  };
}
