import type { OraculConfig, TopicConfig } from '../config/schema.ts';
import type { TopicName } from '../schemas/topics.ts';
import { addressFlowsStage } from './aggregates/address-flows-stage.ts';
import { tokenMetricsStage } from './aggregates/token-metrics-stage.ts';
import { cadenceOf, type TopologyParameters } from './aggregates/window-stage.ts';
import { addressAnomaliesStage, tokenAnomaliesStage } from './anomalies/anomaly-stages.ts';
import type { AnyStageSpec } from './engine/stage.ts';
import { buildTopology, type Topology } from './engine/topology.ts';
import { erc20DecoderStage } from './erc20/erc20-decoder-stage.ts';
import { DEFAULT_HOP_PARTITIONS, type HopPartitions } from './erc20/transfer-batch.ts';

/**
 * The Oracul topology: which stage reads which topic and writes which topics (`oracul topology` prints it). Each stage
 * lives beside its processor with its Avro mapping; the engine (engine/) runs them.
 *
 *   eth.logs.raw ──erc20-decoder──▶ erc20.transfer-batches.by-token ──token-metrics-daily──▶ token.metrics.daily ──token-anomalies──▶ anomalies
 *        (+ erc20.tokens global)  ├▶ erc20.transfer-batches.by-address ──address-flows-daily──▶ address.flows.daily ──address-anomalies──▶ anomalies
 *                                 ├▶ erc20.transfers (sink, users)   (both + market.prices.raw global) ──▶ erc20.transfers.late
 *                                 └▶ erc20.rejects
 *
 * Each arrow is a consumer group; every stage runs exactly-once (see engine/streamTask.ts). The ClickHouse sinks read
 * the output topics (read_committed) independently. The two internal hops carry one batch record per decoded block
 * part and partition (ADR 0018); an aggregate stage expands a batch into one input per transfer (or address leg).
 */
export function oraculTopology(params: TopologyParameters & { readonly config?: OraculConfig } = {}): Topology {
  if (params.config !== undefined) {
    params = {
      ...params,
      hopPartitions: params.hopPartitions ?? hopPartitionsOf(params.config.kafka.topics),
      cadence: params.cadence ?? cadenceOf(params.config),
    };
  }
  const stages = [erc20DecoderStage(params), tokenMetricsStage(params), addressFlowsStage(params)];
  // The anomaly stages need the `anomalies` config section; a config also gives the hop partitions and the cadences.
  if (params.config !== undefined)
    stages.push(tokenAnomaliesStage(params.config, params), addressAnomaliesStage(params.config, params));
  return buildTopology(stages);
}

/** The stages of {@link oraculTopology}, in dependency order. */
export function oraculStages(params: Parameters<typeof oraculTopology>[0] = {}): AnyStageSpec[] {
  return [...oraculTopology(params).stages];
}

/** The partition counts of the internal hop topics as declared (the decoder groups batch rows by them). */
export function hopPartitionsOf(topics: readonly TopicConfig[]): HopPartitions {
  const count = (name: TopicName, fallback: number): number => topics.find((t) => t.name === name)?.partitions ?? fallback;
  return {
    byToken: count('erc20.transfer-batches.by-token', DEFAULT_HOP_PARTITIONS.byToken),
    byAddress: count('erc20.transfer-batches.by-address', DEFAULT_HOP_PARTITIONS.byAddress),
  };
}
