import { NonRetryableError, type OraculErrorOptions } from '../../../core/errors.ts';

/** solc-js rejected the devnet contracts. */
export class DevnetCompileError extends NonRetryableError {
  override readonly name = 'DevnetCompileError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_DEVNET_COMPILE_FAILED', message, options);
  }
}

/** The devnet did not do what the traffic generator asked (a deployment landed elsewhere, a transaction reverted). */
export class DevnetTrafficError extends NonRetryableError {
  override readonly name = 'DevnetTrafficError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_DEVNET_TRAFFIC_FAILED', message, options);
  }
}

/** The devnet's stack state dir holds data of an earlier devnet chain that no longer exists. */
export class DevnetStaleStateError extends NonRetryableError {
  override readonly name = 'DevnetStaleStateError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_DEVNET_STALE_STATE', message, options);
  }
}
