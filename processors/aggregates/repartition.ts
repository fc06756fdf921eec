import type { TransferBatchLegs, TransferKind } from '../../schemas/generated/types.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { ZERO_ADDRESS } from '../erc20/transfer-event.ts';

/**
 * Repartitioning: the stateless step between the decoder and the aggregates. The erc20-decoder publishes both
 * partitionings as batch records (`erc20.transfer-batches.by-token` / `.by-address`, erc20/transfer-batch.ts,
 * ADR 0018), each row routed by its per-entity key (`tokenPartitionKey` and `addressPartitionKey` of
 * erc20/transfer.ts); this module turns a by-address row into the address legs its batch carries. Every row that
 * updates one aggregate row lands in one partition, hence one task, hence one state store and one watermark.
 *
 * - by token: key `<chainId>:<token>`; each transfer once (the transfer itself). Partitions `token_metrics_daily`
 *   by (chain, token).
 * - by address: key `<chainId>:<address>:<token>`; the sender's `out` leg and the receiver's `in` leg (each
 *   transfer counts for both), none for the zero address (mint/burn counterparty, not an account). Keying by
 *   (address, token) rather than address alone spreads hot addresses (routers, exchanges) over partitions by token;
 *   it is exactly the aggregation key minus the day.
 */

/** One side of a transfer, seen from one address. */
export interface AddressLeg {
  readonly chain_id: number;
  /** The address whose flows this leg changes. */
  readonly address: string;
  readonly token_address: string;
  /** `in`: address received; `out`: address sent. */
  readonly direction: 'in' | 'out';
  /** The other side (may be the zero address for mints and burns). */
  readonly counterparty: string;
  readonly amount_raw: bigint;
  readonly decimals: number | null;
  readonly symbol: string | null;
  readonly tx_hash: string;
  readonly block_hash: string;
  readonly log_index: number;
  /** The transfer's block timestamp, UTC epoch milliseconds. */
  readonly block_timestamp: number;
  /** The transfer's kind: a `retraction` undoes the leg. */
  readonly kind: TransferKind;
}

function leg(t: Erc20Transfer, direction: 'in' | 'out'): AddressLeg {
  return {
    chain_id: t.chain_id,
    address: direction === 'out' ? t.from_address : t.to_address,
    token_address: t.token_address,
    direction,
    counterparty: direction === 'out' ? t.to_address : t.from_address,
    amount_raw: t.amount_raw,
    decimals: t.decimals,
    symbol: t.symbol,
    tx_hash: t.tx_hash,
    block_hash: t.block_hash,
    log_index: t.log_index,
    block_timestamp: t.block_timestamp,
    kind: t.kind,
  };
}

/** The sender's `out` leg and the receiver's `in` leg, skipping the zero address. A self-transfer yields both. */
export function addressLegsOf(t: Erc20Transfer): AddressLeg[] {
  const legs: AddressLeg[] = [];
  if (t.from_address !== ZERO_ADDRESS) legs.push(leg(t, 'out'));
  if (t.to_address !== ZERO_ADDRESS) legs.push(leg(t, 'in'));
  return legs;
}

/** The legs of a by-address batch row: its `legs` column says which of the transfer's legs its partition takes. */
export function addressLegsOfRow(t: Erc20Transfer, legs: TransferBatchLegs): AddressLeg[] {
  const all = addressLegsOf(t);
  return legs === 'both' ? all : all.filter((l) => l.direction === legs);
}
