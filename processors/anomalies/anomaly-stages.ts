import type { OraculConfig } from '../../config/schema.ts';
import type { AnyStageSpec } from '../engine/stage.ts';
import type { TopologyParameters } from '../aggregates/window-stage.ts';
import { createAddressAnomaliesProcessor, createTokenAnomaliesProcessor } from './index.ts';

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
