export {
  createTokenAnomalyProcessor,
  createTokenAnomalyProcessorFromParams,
  TOKEN_METRICS_TOPIC,
  type TokenMetricsInput,
} from './tokenScorer.ts';
export {
  createAddressAnomalyProcessor,
  createAddressAnomalyProcessorFromParams,
  ADDRESS_FLOWS_TOPIC,
  type AddressFlowsInput,
} from './addressScorer.ts';
export { ANOMALIES_TOPIC, SCORING_METHOD, SCORER_STORES, anomalyId, type ScorerStores } from './scoring/engine.ts';
export { DEFAULT_SCORING_PARAMS, scoringParamsFromConfig, type AnomalyScoringParams } from './scoring/params.ts';
