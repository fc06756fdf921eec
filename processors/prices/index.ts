/** Public API of the price source. Named re-exports only. */
export {
  runPricePoller,
  runPriceBackfill,
  SOURCE_SPOT,
  SOURCE_RANGE,
  type PriceSourceOptions,
  type PriceBackfillSummary,
} from './price-source.ts';
export {
  createCoinGeckoClient,
  type CoinGeckoClient,
  type CreateCoinGeckoClientParameters,
  type PricePoint,
  type SpotPrice,
} from './coingecko-client.ts';
export { jsonNumberToDecimal } from './decimal.ts';
export { PriceApiRateLimitedError, PriceApiRequestFailedError, PriceApiUnavailableError } from './errors.ts';
