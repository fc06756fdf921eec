import type { LateTransfer, PriceTick as PriceTickRecord, Transfer } from '../../schemas/generated/types.ts';
import type { ConsumedTopicName, TopicName } from '../../schemas/topics.ts';
import type { OraculConfig } from '../../config/schema.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time.ts';
import type { OutputRecord } from '../engine/processor.ts';
import type { AnyStageSpec, AvroOutput, KafkaTopics } from '../engine/stage.ts';
import { KEY_SEPARATOR } from '../engine/windowKey.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import type { HopPartitions } from '../erc20/transfer-batch.ts';
import { isLateEvent, type LateEvent } from './daily-aggregator.ts';
import type { PriceTable, PriceTick } from './prices.ts';
import type { AddressLeg } from './repartition.ts';
import { DEFAULT_WINDOWING, type WindowingConfig } from './windowing.ts';

/**
 * What the two daily-window stages share: the Avro ↔ domain mapping of their inputs (transfers, price ticks), their
 * late-event records, the Kafka key of their rows, and the update cadence of config `stream.updates`.
 */

/** Parameters of the stages of the topology (processors/topology.ts); every field has a production default. */
export interface TopologyParameters {
  readonly windowing?: Partial<WindowingConfig>;
  /** Update cadence per aggregate; default {@link DEFAULT_CADENCE}. */
  readonly cadence?: Partial<typeof DEFAULT_CADENCE>;
  /** Partition counts of the internal hop topics; default those of config/kafka.yml (DEFAULT_HOP_PARTITIONS). */
  readonly hopPartitions?: HopPartitions;
  /** Kafka topics for topic names that are not their own (tests run on topics of their own); default none. */
  readonly kafkaTopics?: KafkaTopics;
}

/** A domain input that remembers the Avro record it came from (late events are published as that record). */
export type WithSource<T> = T & { readonly source: Transfer };

/** The record as the aggregators' transfer: same names and units, the amount as a bigint (see erc20/transfer.ts). */
export function toDomainTransfer(t: Transfer): WithSource<Erc20Transfer> {
  const { version: _version, ...fields } = t;
  return { ...fields, amount_raw: BigInt(t.amount_raw), source: t };
}

/** A `market.prices.raw` record as a tick; gaps (null price) carry no price and are skipped, never forward-filled. */
export function toDomainPrice(value: unknown): PriceTick | null {
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

function addPrice(prices: PriceTable, value: unknown): void {
  const tick = toDomainPrice(value);
  if (tick !== null) prices.add(tick);
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

export const epochDay = (windowStartMs: number): number => Math.floor(windowStartMs / DAY_MS);
export const nonNegative = (ms: number): number => Math.max(0, ms);

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
export function windowingWith(params: TopologyParameters, cadence: UpdateCadence): Partial<WindowingConfig> {
  return { updateBoundaryMs: cadence.boundaryMs, updateIntervalMs: cadence.intervalMs, ...params.windowing };
}

const graceOf = (params: TopologyParameters): number => params.windowing?.graceMs ?? DEFAULT_WINDOWING.graceMs;

/** What makes one daily-window stage: its processor, its input and mart topics, and the Avro mapping both ways. */
export interface WindowStageParts<Out extends object, Event extends object, Rec> {
  readonly processor: AnyStageSpec['processor'];
  /** The table the processor joins against: the stage's global table of `market.prices.raw`. */
  readonly prices: PriceTable;
  readonly inputTopic: ConsumedTopicName;
  readonly topic: TopicName;
  toInputs(value: unknown): readonly unknown[];
  toRecord(value: Exclude<Out, LateEvent<Event>>): Rec;
}

/** A daily-window stage: its parts, the price table as a global, late events to `erc20.transfers.late`. */
export function windowStage<Out extends object, Event extends object, Rec>(
  parts: WindowStageParts<Out, Event, Rec>,
  params: TopologyParameters,
): AnyStageSpec {
  const output = { name: parts.processor.name, graceMs: graceOf(params), topic: parts.topic };
  return {
    name: parts.processor.name,
    inputTopic: parts.inputTopic,
    processor: parts.processor,
    toInputs: (value) => parts.toInputs(value),
    toAvro: (record: OutputRecord<Out>) => windowOutput<Out, Event, Rec>(record, output, (v) => parts.toRecord(v)),
    globals: [{ topic: 'market.prices.raw', apply: (value) => addPrice(parts.prices, value) }],
    kafkaTopics: params.kafkaTopics,
  } satisfies AnyStageSpec;
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
