import { describe, expect, it } from 'vitest';
import { StateSerdeError } from '../engine/errors.ts';
import { decodeStateValue, encodeStateValue } from '../../state/checkpoint-format.ts';
import { addressBucketCodec, addressWindowCodec, type AddressWindow } from './address-flows-daily.ts';
import { bucketsInTimeOrder, storedWindowCodec, type StoredWindow } from './small-window.ts';
import type { AddressBucket } from './address-flows-daily.ts';

const agg: AddressWindow = {
  chain_id: 1,
  address: '0x' + '01'.repeat(20),
  token_address: '0x' + 'aa'.repeat(20),
  symbol: 'T',
  decimals: 18,
  in: { raw: 2n ** 255n + 1n, count: 2, usd_scaled: 7n, unpriced: 0 },
  out: { raw: 0n, count: 0, usd_scaled: 0n, unpriced: 0 },
  tx_count: 1,
  counterparties_count: 2,
  version: 3,
  final: false,
};
const bucket = (in_raw: bigint): AddressBucket => ({ in_raw, in_count: 1, out_raw: 0n, out_count: 0 });
const codec = storedWindowCodec(addressWindowCodec, addressBucketCodec);
/** Through msgpack, as LMDB and the changelog hold it. */
const roundTrip = (w: StoredWindow<AddressWindow, AddressBucket>) =>
  codec.decode(decodeStateValue(encodeStateValue(codec.encode(w))), 'k');

describe('stored window codec (ADR 0023)', () => {
  it('round-trips a small window: members in order, buckets, exact amounts', () => {
    const small = {
      members: new Map([
        ['t0x' + 'dd'.repeat(32), 1],
        ['c0x' + '02'.repeat(20), 2],
      ]),
      buckets: new Map([
        [1_704_103_200_000, bucket(2n ** 255n)],
        [1_704_099_600_000, bucket(1n)],
      ]),
    };
    const back = roundTrip({ agg, small });
    expect(back).toEqual({ agg, small });
    expect([...back.small!.members.keys()]).toEqual([...small.members.keys()]);
    expect(bucketsInTimeOrder(back.small!).map(([t]) => t)).toEqual([1_704_099_600_000, 1_704_103_200_000]);
  });

  it('writes a grown window as the aggregate alone, the layout of state written before small windows', () => {
    expect(codec.encode({ agg })).toEqual(addressWindowCodec.encode(agg));
    expect(codec.decode(addressWindowCodec.encode(agg), 'k')).toEqual({ agg });
    expect(roundTrip({ agg })).toEqual({ agg });
  });

  it('round-trips the pending flag (ADR 0025) of grown and small windows; a window not pending has none', () => {
    const small = { members: new Map([['c0x' + '02'.repeat(20), 1]]), buckets: new Map([[1_704_099_600_000, bucket(1n)]]) };
    expect(roundTrip({ agg, pending: true })).toEqual({ agg, pending: true });
    expect(roundTrip({ agg, small, pending: true })).toEqual({ agg, small, pending: true });
    expect(roundTrip({ agg, small })).not.toHaveProperty('pending');
    expect(() => codec.decode({ agg: addressWindowCodec.encode(agg), pending: 1 }, 'wk')).toThrow(/windows, key wk: pending/);
  });

  it('rejects malformed small parts with the store and key', () => {
    const plain = { agg: addressWindowCodec.encode(agg), members: ['c0x01'], buckets: [] };
    expect(() => codec.decode(plain, 'wk')).toThrow(StateSerdeError);
    expect(() => codec.decode({ ...plain, members: ['c0x01', 0] }, 'wk')).toThrow(/windows, key wk: members/);
    expect(() => codec.decode({ ...plain, members: [], buckets: ['x', {}] }, 'wk')).toThrow(/buckets/);
  });
});
