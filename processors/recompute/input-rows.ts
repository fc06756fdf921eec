import type { TransferForm } from '../../schemas/generated/types.ts';
import type { PriceTick } from '../aggregates/prices.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';

/** Warehouse rows (JSONEachRow: 64-bit integers arrive as strings) → the processors' input types. */

/** A row of sql.ts's TRANSFERS_OF_DAY. */
export interface TransferRow {
  chain_id: string | number;
  block_number: string | number;
  block_hash: string;
  ts_ms: string | number;
  tx_hash: string;
  tx_index: number;
  log_index: number;
  token_address: string;
  from_address: string;
  to_address: string;
  amount_raw: string;
  amount_decimal: string | null;
  decimals: number | null;
  symbol: string | null;
  is_mint: boolean | number;
  is_burn: boolean | number;
  form: string;
  checkpoint: string;
}

/** A row of sql.ts's PRICES_BETWEEN. */
export interface PriceRow {
  token_address: string;
  ts_ms: string;
  price_usd: string;
  source: string;
}

const bool = (value: unknown): boolean => value === true || value === 1;

/** A canonical `erc20_transfers` row as the processors' domain transfer (what window-stage.ts's toDomainTransfer builds from Avro). */
export function domainTransfer(r: TransferRow): Erc20Transfer {
  return {
    kind: 'transfer',
    chain_id: Number(r.chain_id),
    block_number: Number(r.block_number),
    block_hash: r.block_hash,
    block_timestamp: Number(r.ts_ms),
    tx_hash: r.tx_hash,
    tx_index: Number(r.tx_index),
    log_index: Number(r.log_index),
    checkpoint: r.checkpoint,
    token_address: r.token_address,
    from_address: r.from_address,
    to_address: r.to_address,
    amount_raw: BigInt(r.amount_raw),
    amount_decimal: r.amount_decimal,
    decimals: r.decimals === null ? null : Number(r.decimals),
    symbol: r.symbol,
    is_mint: bool(r.is_mint),
    is_burn: bool(r.is_burn),
    form: r.form as TransferForm,
  };
}

/** A `prices_spot` row as the aggregators' price tick. */
export function priceTick(chainId: number, r: PriceRow): PriceTick {
  return {
    chain_id: chainId,
    token_address: r.token_address.toLowerCase(),
    timestamp: Math.floor(Number(r.ts_ms) / 1000),
    price_usd: r.price_usd,
    source: r.source,
  };
}

/** A stored mart row read as JSON → the scorer's input types. */
export function numericInput<T extends { chain_id: number; version: number; emitted_at: number; is_final: boolean }>(row: T): T {
  const out: Record<string, unknown> = {
    ...row,
    chain_id: Number(row.chain_id),
    version: Number(row.version),
    emitted_at: Number(row.emitted_at),
    is_final: bool(row.is_final),
  };
  for (const column of ['transfer_count', 'unique_addresses']) if (column in out) out[column] = Number(out[column]);
  return out as T;
}
