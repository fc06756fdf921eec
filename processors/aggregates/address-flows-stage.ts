import type { AddressFlowsDaily as AddressFlowsRecord, TransferBatch } from '../../schemas/generated/types.ts';
import type { AnyStageSpec } from '../engine/stage.ts';
import { legsOfBatch, transfersOfBatch } from '../erc20/transfer-batch.ts';
import { createAddressFlowsDailyProcessor, type AddressFlowsDaily, type AddressFlowsOutput } from './address-flows-daily.ts';
import { addressLegsOfRow, type AddressLeg } from './repartition.ts';
import { PriceTable } from './prices.ts';
import {
  DEFAULT_CADENCE,
  epochDay,
  nonNegative,
  toDomainTransfer,
  windowingWith,
  windowStage,
  type TopologyParameters,
  type WithSource,
} from './window-stage.ts';

/** The `address_flows_daily` stage: by-address transfer batches (and the price table) → `address.flows.daily`. */
export function addressFlowsStage(params: TopologyParameters = {}): AnyStageSpec {
  const windowing = windowingWith(params, params.cadence?.addresses ?? DEFAULT_CADENCE.addresses);
  const prices = new PriceTable();
  return windowStage<AddressFlowsOutput, AddressLeg, AddressFlowsRecord>(
    {
      processor: createAddressFlowsDailyProcessor({ windowing, prices }),
      prices,
      inputTopic: 'erc20.transfer-batches.by-address',
      topic: 'address.flows.daily',
      toInputs: (value) => addressLegInputsOf(value as TransferBatch),
      toRecord: addressFlowsRecord,
    },
    params,
  );
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
