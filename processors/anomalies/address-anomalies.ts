import type { OraculConfig } from '../../config/schema.ts';
import type { Anomaly } from '../../schemas/generated/types.ts';
import type { Processor } from '../engine/processor.ts';
import { createScoringProcessor, decimalToNumber, type EntitySpec, type ScorerStores } from './scoring/engine.ts';
import { scoringParamsFromConfig, type AnomalyScoringParams } from './scoring/params.ts';

/**
 * The fields of an address.flows.daily record the address scorer reads (Avro record or the aggregator's output).
 * The scored entity is an (address, token) pair: flows of different tokens are not summed.
 */
export interface AddressFlowsInput {
  readonly date: string | number;
  readonly chain_id: number;
  readonly address: string;
  readonly token_address: string;
  readonly inflow_usd: string | null;
  readonly outflow_usd: string | null;
  readonly net_flow_usd: string | null;
  readonly version: number;
  readonly is_final: boolean;
  readonly emitted_at: number;
}

export const ADDRESS_FLOWS_TOPIC = 'address.flows.daily';

const usd = (r: AddressFlowsInput): number | null => {
  const i = decimalToNumber(r.inflow_usd);
  const o = decimalToNumber(r.outflow_usd);
  return i === null && o === null ? null : (i ?? 0) + (o ?? 0);
};

export const ADDRESS_SCORER_SPEC: EntitySpec<AddressFlowsInput> = {
  entityType: 'address',
  metrics: [
    { name: 'net_flow_usd', signed: true, read: (r) => decimalToNumber(r.net_flow_usd) },
    { name: 'inflow_usd', signed: false, read: (r) => decimalToNumber(r.inflow_usd) },
    { name: 'outflow_usd', signed: false, read: (r) => decimalToNumber(r.outflow_usd) },
  ],
  date: (r) => r.date,
  chainId: (r) => r.chain_id,
  entityId: (r) => r.address,
  tokenAddress: (r) => r.token_address,
  volumeUsd: usd,
  isFinal: (r) => r.is_final,
  version: (r) => r.version,
  emittedAt: (r) => r.emitted_at,
};

export type AddressAnomalyProcessor = Processor<ScorerStores, AddressFlowsInput, Anomaly>;

/** Address scorer over address.flows.daily for the top-N (address, token) pairs by decayed USD volume. */
export function createAddressAnomaliesProcessorFromParams(params: AnomalyScoringParams): AddressAnomalyProcessor {
  return createScoringProcessor({ name: 'address-anomalies', spec: ADDRESS_SCORER_SPEC, params });
}

export function createAddressAnomaliesProcessor(config: OraculConfig): AddressAnomalyProcessor {
  return createAddressAnomaliesProcessorFromParams(scoringParamsFromConfig(config, 'addresses'));
}
