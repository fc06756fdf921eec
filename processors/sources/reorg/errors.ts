import { NonRetryableError, RetryableError } from '../../../core/errors.ts';

/** The fork point lies below the oldest stored block: the store's window is too small or the chain broke. */
export class ReorgTooDeepError extends NonRetryableError {
  override readonly name = 'ReorgTooDeepError';
  constructor(chain: string, blockNumber: number, oldestStored: number) {
    super(
      'ORACUL_REORG_TOO_DEEP',
      `chain ${chain}: no common ancestor for block ${blockNumber} down to the oldest stored block ${oldestStored}`,
      {
        details: { chain, block_number: blockNumber, oldest_stored: oldestStored },
      },
    );
  }
}

/** The canonical chain changed again while walking back (a block fetched by number is not the parent we followed). */
export class ChainMovedError extends RetryableError {
  override readonly name = 'ChainMovedError';
  constructor(chain: string, blockNumber: number) {
    super('ORACUL_REORG_CHAIN_MOVED', `chain ${chain}: canonical block ${blockNumber} changed during the reorg walk`, {
      details: { chain, block_number: blockNumber },
    });
  }
}
