import { RetryableError } from '../../../core/errors.ts';

/**
 * eth_getBlockByNumber answered null: the endpoint does not have the block yet
 * (it lags the head the source follows, or a load balancer hit a node behind).
 */
export class BlockNotFoundError extends RetryableError {
  override readonly name = 'BlockNotFoundError';
  constructor(
    readonly blockNumber: number,
    chain: string,
  ) {
    super('ORACUL_RPC_BLOCK_NOT_FOUND', `chain ${chain}: block ${blockNumber} not found`, {
      details: { chain, block_number: blockNumber },
    });
  }
}
