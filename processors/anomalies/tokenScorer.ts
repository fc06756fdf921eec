import type { OraculConfig } from '../../config/schema.ts';
import type { Anomaly } from '../../schemas/generated/types.ts';
import type { Processor } from '../core/processor.ts';
import { createScoringProcessor, decimalToNumber, type EntitySpec, type ScorerStores } from './scoring/engine.ts';
import { scoringParamsFromConfig, type AnomalyScoringParams } from './scoring/params.ts';

/**
 * The fields of a token.metrics.daily record the token scorer reads. Both the Avro record of the topic
 * (schemas/generated/types.ts, date = days since epoch) and the aggregator's own output
 * (processors/aggregates/tokenMetricsDaily.ts, date = 'YYYY-MM-DD') satisfy it.
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
    { name: 'volume_usd', signed: false, read: (r) => decimalToNumber(r.volume_usd) },
    { name: 'transfer_count', signed: false, read: (r) => r.transfer_count },
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

/** Token scorer over token.metrics.daily (volume_usd, transfer_count, unique_addresses) → anomalies. */
export function createTokenAnomalyProcessorFromParams(params: AnomalyScoringParams): TokenAnomalyProcessor {
  return createScoringProcessor({ name: 'token-anomalies', spec: TOKEN_SCORER_SPEC, params });
}

/** The factory the runtime uses: parameters from the `anomalies` config section. */
export function createTokenAnomalyProcessor(config: OraculConfig): TokenAnomalyProcessor {
  return createTokenAnomalyProcessorFromParams(scoringParamsFromConfig(config, 'tokens'));
}
