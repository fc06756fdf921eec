export {
  createTokenAnomaliesProcessor,
  createTokenAnomaliesProcessorFromParams,
  TOKEN_METRICS_TOPIC,
  type TokenMetricsInput,
} from './token-anomalies.ts';
export {
  createAddressAnomaliesProcessor,
  createAddressAnomaliesProcessorFromParams,
  ADDRESS_FLOWS_TOPIC,
  type AddressFlowsInput,
} from './address-anomalies.ts';
export { ANOMALIES_TOPIC, SCORING_METHOD, SCORER_STORES, anomalyId, type ScorerStores } from './scoring/engine.ts';
export { DEFAULT_SCORING_PARAMS, scoringParamsFromConfig, type AnomalyScoringParams } from './scoring/params.ts';
