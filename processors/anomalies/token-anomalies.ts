import type { OraculConfig } from '../../config/schema.ts';
import type { Anomaly } from '../../schemas/generated/types.ts';
import type { Processor } from '../engine/processor.ts';
import { createScoringProcessor, decimalToNumber, type EntitySpec, type ScorerStores } from './scoring/engine.ts';
import { scoringParamsFromConfig, type AnomalyScoringParams } from './scoring/params.ts';
import type { HourlyDetectorParams } from './intraday-detector/hourly.ts';
import { DEFAULT_HOURLY_PARAMS, hourlyParamsFromConfig } from './intraday-detector/params.ts';

/**
 * The fields of a token.metrics.daily record the token scorer reads. Both the Avro record of the topic
 * (schemas/generated/types.ts, date = days since epoch) and the aggregator's own output
 * (processors/aggregates/token-metrics-daily.ts, date = 'YYYY-MM-DD') satisfy it.
 */
export interface TokenMetricsInput {
  readonly date: string | number;
  readonly chain_id: number;
  readonly token_address: string;
  readonly volume_usd: string | null;
  readonly transfer_count: number;
  readonly unique_addresses: number;
  readonly version: number;
  readonly is_final: boolean;
  readonly emitted_at: number;
}

export const TOKEN_METRICS_TOPIC = 'token.metrics.daily';

export const TOKEN_SCORER_SPEC: EntitySpec<TokenMetricsInput> = {
  entityType: 'token',
  metrics: [
    { name: 'volume_usd', signed: false, hourly: true, read: (r) => decimalToNumber(r.volume_usd) },
    { name: 'transfer_count', signed: false, hourly: true, read: (r) => r.transfer_count },
    // Distinct addresses are not additive over hours: no hourly increments.
    { name: 'unique_addresses', signed: false, read: (r) => r.unique_addresses },
  ],
  date: (r) => r.date,
  chainId: (r) => r.chain_id,
  entityId: (r) => r.token_address,
  tokenAddress: (r) => r.token_address,
  volumeUsd: (r) => decimalToNumber(r.volume_usd),
  isFinal: (r) => r.is_final,
  version: (r) => r.version,
  emittedAt: (r) => r.emitted_at,
};

export type TokenAnomalyProcessor = Processor<ScorerStores, TokenMetricsInput, Anomaly>;

/**
 * Token scorer over token.metrics.daily → anomalies: the daily scorer on volume_usd, transfer_count and
 * unique_addresses (method robust_zscore), and the hourly streaming detector on the hourly increments of
 * volume_usd and transfer_count (method streaming_record; `hourly`, defaults of config/anomalies.yml).
 */
export function createTokenAnomaliesProcessorFromParams(
  params: AnomalyScoringParams,
  hourly: HourlyDetectorParams = DEFAULT_HOURLY_PARAMS,
): TokenAnomalyProcessor {
  return createScoringProcessor({ name: 'token-anomalies', spec: TOKEN_SCORER_SPEC, params, hourly });
}

/** The factory the runtime uses: parameters from the `anomalies` config section. */
export function createTokenAnomaliesProcessor(config: OraculConfig): TokenAnomalyProcessor {
  return createTokenAnomaliesProcessorFromParams(scoringParamsFromConfig(config, 'tokens'), hourlyParamsFromConfig(config));
}
