import type {
  AddressFlowsDaily as AddressFlowsRecord,
  LateTransfer,
  LogBatch,
  PriceTick as PriceTickRecord,
  TokenMetadata as TokenMetadataRecord,
  TokenMetricsDaily as TokenMetricsRecord,
  Transfer,
  TransferBatch,
} from '../../schemas/generated/types.ts';
import type { OutputRecord } from '../core/processor.ts';
import { KEY_SEPARATOR } from '../core/windowKey.ts';
import {
  createAddressFlowsDailyProcessor,
  type AddressFlowsDaily,
  type AddressFlowsOutput,
} from '../aggregates/address-flows-daily.ts';
import { isLateEvent, type LateEvent } from '../aggregates/daily-aggregator.ts';
import type { PriceTick } from '../aggregates/prices.ts';
import { addressLegsOfRow, type AddressLeg } from '../aggregates/repartition.ts';
import {
  createTokenMetricsDailyProcessor,
  type TokenMetricsDaily,
  type TokenMetricsOutput,
} from '../aggregates/token-metrics-daily.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time.ts';
import { DEFAULT_WINDOWING, type WindowingConfig } from '../aggregates/windowing.ts';
import {
  createErc20DecoderProcessor,
  type Erc20DecoderInput,
  type Erc20DecoderOutput,
  type Erc20DecoderStores,
} from '../erc20/erc20-decoder.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { DEFAULT_HOP_PARTITIONS, legsOfBatch, transfersOfBatch, type HopPartitions } from '../erc20/transfer-batch.ts';
import type { OraculConfig, TopicConfig } from '../../config/schema.ts';
import { createAddressAnomaliesProcessor, createTokenAnomaliesProcessor } from '../anomalies/index.ts';
import type { StageSpec, AnyStageSpec, AvroOutput, KafkaTopics } from './stage.ts';
import type { TopicName } from '../../schemas/topics.ts';

/**
 * The Oracul topology: which processor reads which topic and writes which topics.
 *
 *   eth.logs.raw ──erc20-decoder──▶ erc20.transfer-batches.by-token ──token-metrics-daily──▶ token.metrics.daily ──token-anomalies──▶ anomalies
 *        (+ erc20.tokens global)  ├▶ erc20.transfer-batches.by-address ──address-flows-daily──▶ address.flows.daily ──address-anomalies──▶ anomalies
 *                                 ├▶ erc20.transfers (sink, users)   (both + market.prices.raw global) ──▶ erc20.transfers.late
 *                                 └▶ erc20.rejects
 *
 * Each arrow is a consumer group; every stage runs exactly-once (see streamTask.ts). The ClickHouse sinks read
 * the output topics (read_committed) independently. The two internal hops carry one batch record per decoded block
 * part and partition (ADR 0018); an aggregate stage expands a batch into one input per transfer (or address leg).
 */

/** A domain input that remembers the Avro record it came from (late events are published as that record). */
type WithSource<T> = T & { readonly source: Transfer };

/** The record as the aggregators' transfer: same names and units, the amount as a bigint (see erc20/transfer.ts). */
export function toDomainTransfer(t: Transfer): WithSource<Erc20Transfer> {
  const { version: _version, ...fields } = t;
  return { ...fields, amount_raw: BigInt(t.amount_raw), source: t };
}

/** Price ticks of the global table; gaps (null price) carry no price and are skipped, never forward-filled. */
function toDomainPrice(value: unknown): PriceTick | null {
  const tick = value as PriceTickRecord;
  if (tick.price_usd === null) return null;
  return {
    chain_id: tick.chain_id,
    token_address: tick.token_address.toLowerCase(),
    timestamp: Math.floor(tick.price_timestamp / 1000),
    price_usd: tick.price_usd,
    source: tick.source,
  };
}

function lateRecord(processor: string, late: LateEvent<WithSource<object>>, graceMs: number): LateTransfer {
  const leg = late.event as Partial<AddressLeg>;
  return {
    address:
      typeof leg.direction === 'string' && typeof leg.address === 'string'
        ? (leg.address as LateTransfer['transfer']['from_address'])
        : null,
    transfer: late.event.source,
    processor,
    window_start: late.window_start,
    window_end: late.window_start + DAY_MS,
    watermark: late.stream_time_ms - graceMs,
    detected_at: late.stream_time_ms,
  };
}

const epochDay = (windowStartMs: number): number => Math.floor(windowStartMs / DAY_MS);
const nonNegative = (ms: number): number => Math.max(0, ms);

/** When an aggregate emits updates of its open windows (see WindowingConfig.updateBoundaryMs / updateIntervalMs). */
export interface UpdateCadence {
  readonly boundaryMs: number;
  readonly intervalMs: number;
}

/**
 * Tokens: hourly slots (the hourly anomaly detector reads their increments), every commit. Addresses, most of the
 * output volume: no slot inside the day, at most one update per window per 10 s of wall clock (config `stream.updates`).
 */
export const DEFAULT_CADENCE: { readonly tokens: UpdateCadence; readonly addresses: UpdateCadence } = Object.freeze({
  tokens: { boundaryMs: HOUR_MS, intervalMs: 0 },
  addresses: { boundaryMs: DAY_MS, intervalMs: 10_000 },
});

/** The cadences of config `stream.updates`. */
export function cadenceOf(config: OraculConfig): typeof DEFAULT_CADENCE {
  const of = (c: { boundaryMinutes: number; intervalS: number }): UpdateCadence => ({
    boundaryMs: c.boundaryMinutes * MINUTE_MS,
    intervalMs: c.intervalS * 1000,
  });
  return { tokens: of(config.stream.updates.tokens), addresses: of(config.stream.updates.addresses) };
}

/** A stage's windowing: its cadence, unless the windowing given sets the update fields itself (tests). */
function windowingWith(params: TopologyParameters, cadence: UpdateCadence): Partial<WindowingConfig> {
  return { updateBoundaryMs: cadence.boundaryMs, updateIntervalMs: cadence.intervalMs, ...params.windowing };
}

export interface TopologyParameters {
  readonly windowing?: Partial<WindowingConfig>;
  /** Update cadence per aggregate; default {@link DEFAULT_CADENCE}. */
  readonly cadence?: Partial<typeof DEFAULT_CADENCE>;
  /** Partition counts of the internal hop topics; default those of config/kafka.yml (DEFAULT_HOP_PARTITIONS). */
  readonly hopPartitions?: HopPartitions;
  /** Kafka topics for topic names that are not their own (tests run on topics of their own); default none. */
  readonly kafkaTopics?: KafkaTopics;
}

export function erc20DecoderStage(
  params: TopologyParameters = {},
): StageSpec<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const hopPartitions = params.hopPartitions ?? DEFAULT_HOP_PARTITIONS;
  return {
    name: 'erc20-decoder',
    inputTopic: 'eth.logs.raw',
    processor: createErc20DecoderProcessor({ hopPartitions }),
    toInputs: (value) => [{ kind: 'logs', batch: value as LogBatch }],
    toAvro: (output) => ({ topic: output.topic as TopicName, key: output.key, value: output.value }),
    globals: [{ topic: 'erc20.tokens', toInput: (value) => ({ kind: 'token', token: value as TokenMetadataRecord }) }],
    assumedPartitions: {
      'erc20.transfer-batches.by-token': hopPartitions.byToken,
      'erc20.transfer-batches.by-address': hopPartitions.byAddress,
    },
    kafkaTopics: params.kafkaTopics,
  };
}

/**
 * A window stage's Avro output: a late event (behind the watermark by more than the grace period) goes to
 * `erc20.transfers.late`, an aggregate to the stage's mart topic under its entity key.
 */
function windowOutput<Out extends object, Event extends object, Rec>(
  output: OutputRecord<Out>,
  stage: { readonly name: string; readonly graceMs: number; readonly topic: TopicName },
  toRecord: (value: Exclude<Out, LateEvent<Event>>) => Rec,
): AvroOutput {
  const value = output.value;
  if (isLateEvent<Event>(value)) {
    const late = lateRecord(stage.name, value as LateEvent<WithSource<Event>>, stage.graceMs);
    return { topic: 'erc20.transfers.late', key: output.key, value: late };
  }
  return {
    topic: stage.topic,
    key: entityKeyOf(output.key),
    value: toRecord(value as Exclude<Out, LateEvent<Event>>),
  };
}

const graceOf = (params: TopologyParameters): number => params.windowing?.graceMs ?? DEFAULT_WINDOWING.graceMs;

function tokenMetricsRecord(value: TokenMetricsDaily): TokenMetricsRecord {
  return {
    date: epochDay(value.window_start),
    chain_id: value.chain_id,
    token_address: value.token_address as TokenMetricsRecord['token_address'],
    symbol: value.symbol,
    decimals: value.decimals,
    volume_raw: value.volume_raw.toString(),
    volume_usd: value.volume_usd,
    minted_raw: value.minted_raw.toString(),
    burned_raw: value.burned_raw.toString(),
    transfer_count: value.transfer_count,
    priced_transfer_count: value.transfer_count - value.unpriced_transfer_count,
    tx_count: value.tx_count,
    unique_addresses: value.unique_addresses,
    price_open: value.price_open,
    price_high: value.price_high,
    price_low: value.price_low,
    price_close: value.price_close,
    price_source: value.price_source,
    price_staleness_ms: value.price_staleness_s === null ? null : value.price_staleness_s * 1000,
    version: value.version,
    is_final: value.is_final,
    emitted_at: nonNegative(value.emitted_at),
  };
}

function addressFlowsRecord(value: AddressFlowsDaily): AddressFlowsRecord {
  return {
    date: epochDay(value.window_start),
    chain_id: value.chain_id,
    address: value.address as AddressFlowsRecord['address'],
    token_address: value.token_address as AddressFlowsRecord['token_address'],
    symbol: value.symbol,
    inflow_raw: value.inflow_raw.toString(),
    outflow_raw: value.outflow_raw.toString(),
    net_flow_raw: value.net_flow_raw.toString(),
    inflow_usd: value.inflow_usd,
    outflow_usd: value.outflow_usd,
    net_flow_usd: value.net_flow_usd,
    transfer_count: value.transfer_count,
    tx_count: value.tx_count,
    counterparties_count: value.counterparties_count,
    version: value.version,
    is_final: value.is_final,
    emitted_at: nonNegative(value.emitted_at),
  };
}

export function tokenMetricsStage(params: TopologyParameters = {}): AnyStageSpec {
  const windowing = windowingWith(params, params.cadence?.tokens ?? DEFAULT_CADENCE.tokens);
  const processor = createTokenMetricsDailyProcessor({ windowing });
  const output = { name: processor.name, graceMs: graceOf(params), topic: 'token.metrics.daily' as const };
  return {
    name: processor.name,
    inputTopic: 'erc20.transfer-batches.by-token',
    processor,
    toInputs: (value) => transfersOfBatch(value as TransferBatch).map(toDomainTransfer),
    toAvro: (record: OutputRecord<TokenMetricsOutput>) =>
      windowOutput<TokenMetricsOutput, Erc20Transfer, TokenMetricsRecord>(record, output, tokenMetricsRecord),
    globals: [{ topic: 'market.prices.raw', toInput: toDomainPrice }],
    kafkaTopics: params.kafkaTopics,
  } satisfies AnyStageSpec;
}

export function addressFlowsStage(params: TopologyParameters = {}): AnyStageSpec {
  const windowing = windowingWith(params, params.cadence?.addresses ?? DEFAULT_CADENCE.addresses);
  const processor = createAddressFlowsDailyProcessor({ windowing });
  const output = { name: processor.name, graceMs: graceOf(params), topic: 'address.flows.daily' as const };
  return {
    name: processor.name,
    inputTopic: 'erc20.transfer-batches.by-address',
    processor,
    toInputs: (value) => addressLegInputsOf(value as TransferBatch),
    toAvro: (record: OutputRecord<AddressFlowsOutput>) =>
      windowOutput<AddressFlowsOutput, AddressLeg, AddressFlowsRecord>(record, output, addressFlowsRecord),
    globals: [{ topic: 'market.prices.raw', toInput: toDomainPrice }],
    kafkaTopics: params.kafkaTopics,
  } satisfies AnyStageSpec;
}

/** A by-address batch → the address legs it carries, in row order (out before in within a row). */
function addressLegInputsOf(batch: TransferBatch): WithSource<AddressLeg>[] {
  const legs = legsOfBatch(batch);
  const inputs: WithSource<AddressLeg>[] = [];
  transfersOfBatch(batch).forEach((transfer, i) => {
    for (const leg of addressLegsOfRow(toDomainTransfer(transfer), legs[i]!)) inputs.push({ ...leg, source: transfer });
  });
  return inputs;
}

/**
 * The Kafka key of an aggregate record: its entity (`<chain_id>:<token_address>`, ...) without the aggregator's
 * `|<YYYY-MM-DD>` window suffix, so every day of an entity lands in one partition, the one of the anomaly task that
 * keeps the entity's baseline (config/kafka.yml). With the day in the key, a token's days were spread over all
 * partitions and no scoring task ever saw `minHistoryDays` of them.
 */
export function entityKeyOf(aggregateKey: string): string {
  const at = aggregateKey.lastIndexOf(KEY_SEPARATOR);
  return at < 0 ? aggregateKey : aggregateKey.slice(0, at);
}

/** A scoring stage: reads an aggregate topic (co-partitioned with the aggregate's key), writes `anomalies`. */
function anomalyStage(
  processor: AnyStageSpec['processor'],
  inputTopic: 'token.metrics.daily' | 'address.flows.daily',
  params: TopologyParameters,
): AnyStageSpec {
  return {
    name: processor.name,
    inputTopic,
    processor,
    toInputs: (value) => [value],
    toAvro: (output) => ({ topic: 'anomalies', key: output.key, value: output.value }),
    kafkaTopics: params.kafkaTopics,
  };
}

/** Streaming anomaly scoring of the token marts (updates and finals). */
export function tokenAnomaliesStage(config: OraculConfig, params: TopologyParameters = {}): AnyStageSpec {
  return anomalyStage(createTokenAnomaliesProcessor(config), 'token.metrics.daily', params);
}

/** Streaming anomaly scoring of the top-N (address, token) flows. */
export function addressAnomaliesStage(config: OraculConfig, params: TopologyParameters = {}): AnyStageSpec {
  return anomalyStage(createAddressAnomaliesProcessor(config), 'address.flows.daily', params);
}

/**
 * Every stage of the pipeline, in dependency order. The anomaly stages need the `anomalies` config section, so
 * they are included when a config is given; a config also gives the hop partitions and the update cadences.
 */
export function oraculStages(params: TopologyParameters & { readonly config?: OraculConfig } = {}): AnyStageSpec[] {
  if (params.config !== undefined) {
    params = {
      ...params,
      hopPartitions: params.hopPartitions ?? hopPartitionsOf(params.config.kafka.topics),
      cadence: params.cadence ?? cadenceOf(params.config),
    };
  }
  const stages = [erc20DecoderStage(params), tokenMetricsStage(params), addressFlowsStage(params)];
  if (params.config !== undefined)
    stages.push(tokenAnomaliesStage(params.config, params), addressAnomaliesStage(params.config, params));
  return stages;
}

/** The partition counts of the internal hop topics as declared (the decoder groups batch rows by them). */
export function hopPartitionsOf(topics: readonly TopicConfig[]): HopPartitions {
  const count = (name: TopicName, fallback: number): number => topics.find((t) => t.name === name)?.partitions ?? fallback;
  return {
    byToken: count('erc20.transfer-batches.by-token', DEFAULT_HOP_PARTITIONS.byToken),
    byAddress: count('erc20.transfer-batches.by-address', DEFAULT_HOP_PARTITIONS.byAddress),
  };
}
