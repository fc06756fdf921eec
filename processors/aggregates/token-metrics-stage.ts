import type { TokenMetricsDaily as TokenMetricsRecord, TransferBatch } from '../../schemas/generated/types.ts';
import type { AnyStageSpec } from '../engine/stage.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { transfersOfBatch } from '../erc20/transfer-batch.ts';
import { createTokenMetricsDailyProcessor, type TokenMetricsDaily, type TokenMetricsOutput } from './token-metrics-daily.ts';
import { PriceTable } from './prices.ts';
import {
  DEFAULT_CADENCE,
  epochDay,
  nonNegative,
  toDomainTransfer,
  windowingWith,
  windowStage,
  type TopologyParameters,
} from './window-stage.ts';

/** The `token_metrics_daily` stage: by-token transfer batches (and the price table) → `token.metrics.daily`. */
export function tokenMetricsStage(params: TopologyParameters = {}): AnyStageSpec {
  const windowing = windowingWith(params, params.cadence?.tokens ?? DEFAULT_CADENCE.tokens);
  const prices = new PriceTable();
  return windowStage<TokenMetricsOutput, Erc20Transfer, TokenMetricsRecord>(
    {
      processor: createTokenMetricsDailyProcessor({ windowing, prices }),
      prices,
      inputTopic: 'erc20.transfer-batches.by-token',
      topic: 'token.metrics.daily',
      toInputs: (value) => transfersOfBatch(value as TransferBatch).map(toDomainTransfer),
      toRecord: tokenMetricsRecord,
    },
    params,
  );
}

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
