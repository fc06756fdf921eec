/** Public API of the transfers-only backfill (named re-exports only). */
export { createRangeSizer, type RangeSizer, type RangeSizerOptions } from './range-sizer.ts';
export {
  bloomMayHaveTransfers,
  normalizeHeader,
  normalizeTransferLogs,
  TRANSFER_TOPIC0,
  type TransferBlock,
  type TransfersHeader,
} from './normalize-transfers.ts';
export { createTransfersFetcher, type CreateTransfersFetcherParameters, type TransfersFetcher } from './fetch-transfers.ts';
export { isTransfersOnlyRecord, toTransferBlockRecords } from './to-records.ts';
export {
  runTransfersBackfill,
  transfersStream,
  type TransfersBackfillOptions,
  type TransfersSummary,
} from './transfers-source.ts';
