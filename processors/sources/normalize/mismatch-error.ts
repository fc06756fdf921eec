import { RetryableError } from '../../../core/errors.ts';
import type { BlockRecord } from './records.ts';

/**
 * The parts of a block fetched by separate calls disagree (logs from another fork,
 * receipts missing, indexes with gaps). Usually the chain moved between the calls
 * or one node behind a load balancer lags: fetching the block again fixes it.
 */
export class ChainDataMismatchError extends RetryableError {
  override readonly name = 'ChainDataMismatchError';
  constructor(block: Pick<BlockRecord, 'number' | 'hash'>, reason: string) {
    super('ORACUL_CHAIN_DATA_MISMATCH', `block ${block.number} (${block.hash}): ${reason}`, {
      details: { block_number: block.number, block_hash: block.hash },
    });
  }
}
