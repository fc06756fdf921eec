import { encodeCheckpoint } from '../../../schemas/checkpoint.ts';
import type { Erc20Transfer } from '../../erc20/transfer.ts';
import { ZERO_ADDRESS } from '../../erc20/transfer-event.ts';
import type { PriceTick } from '../prices.ts';

/** Test-only builders of transfers and price ticks. */

export const TOKEN = '0x' + 'aa'.repeat(20);
export const addr = (n: number): string => '0x' + n.toString(16).padStart(40, '0');
export const ZERO = ZERO_ADDRESS;

/** Unix seconds of an ISO time (`2024-01-01T23:59:59Z`). */
export const sec = (iso: string): number => Date.parse(iso) / 1000;

let counter = 0;

export interface TransferInput {
  readonly token?: string;
  readonly from?: string;
  readonly to?: string;
  readonly amount?: bigint;
  /** ISO time or unix seconds. */
  readonly at: string | number;
  readonly tx?: string;
  readonly logIndex?: number;
  readonly blockHash?: string;
  readonly decimals?: number | null;
  readonly symbol?: string | null;
}

export function transfer(input: TransferInput): Erc20Transfer {
  const n = counter++;
  const timestamp = typeof input.at === 'number' ? input.at : sec(input.at);
  const from = input.from ?? addr(1);
  const to = input.to ?? addr(2);
  const logIndex = input.logIndex ?? n;
  return {
    chain_id: 1,
    block_number: 1000 + Math.floor(timestamp / 12),
    block_hash: input.blockHash ?? '0x' + (timestamp % 2 ** 32).toString(16).padStart(64, 'b'),
    tx_hash: input.tx ?? '0x' + n.toString(16).padStart(64, 'c'),
    tx_index: 0,
    log_index: logIndex,
    token_address: input.token ?? TOKEN,
    from_address: from,
    to_address: to,
    amount_raw: input.amount ?? 1n,
    amount_decimal: null,
    decimals: input.decimals === undefined ? 18 : input.decimals,
    symbol: input.symbol === undefined ? 'TKN' : input.symbol,
    block_timestamp: timestamp * 1000,
    is_mint: from === ZERO_ADDRESS,
    is_burn: to === ZERO_ADDRESS,
    form: 'standard',
    kind: 'transfer',
    checkpoint: encodeCheckpoint({
      timestampMs: timestamp * 1000,
      chainId: 1,
      blockNumber: 1000 + Math.floor(timestamp / 12),
      txIndex: 0,
      logIndex,
    }),
  };
}

/** The retraction of a transfer: the same record, kind `retraction`. */
export const retraction = (t: Erc20Transfer): Erc20Transfer => ({ ...t, kind: 'retraction' });

export function price(at: string | number, priceUsd: string, token = TOKEN, source = 'test'): PriceTick {
  return { chain_id: 1, token_address: token, timestamp: typeof at === 'number' ? at : sec(at), price_usd: priceUsd, source };
}
