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

  it("round-trips the change mark (ADR 0027) and reads ADR 0025's pending flag, of grown and small windows", () => {
    const small = { members: new Map([['c0x' + '02'.repeat(20), 1]]), buckets: new Map([[1_704_099_600_000, bucket(1n)]]) };
    expect(roundTrip({ agg, changedAt: 0 })).toEqual({ agg, changedAt: 0 });
    expect(roundTrip({ agg, small, changedAt: 2 ** 40 })).toEqual({ agg, small, changedAt: 2 ** 40 });
    expect(roundTrip({ agg, pending: true })).toEqual({ agg, pending: true });
    expect(roundTrip({ agg, small, pending: true })).toEqual({ agg, small, pending: true });
    expect(roundTrip({ agg, small })).toEqual({ agg, small });
    expect(() => codec.decode({ agg: addressWindowCodec.encode(agg), pending: 1 }, 'wk')).toThrow(/windows, key wk: pending/);
    expect(() => codec.decode({ agg: addressWindowCodec.encode(agg), changed_at: -1 }, 'wk')).toThrow(/changed_at/);
  });

  it('rejects malformed small parts with the store and key', () => {
    const plain = { agg: addressWindowCodec.encode(agg), members: ['c0x01'], buckets: [] };
    expect(() => codec.decode(plain, 'wk')).toThrow(StateSerdeError);
    expect(() => codec.decode({ ...plain, members: ['c0x01', 0] }, 'wk')).toThrow(/windows, key wk: members/);
    expect(() => codec.decode({ ...plain, members: [], buckets: ['x', {}] }, 'wk')).toThrow(/buckets/);
  });
});

describe('address window and bucket layout (ADR 0026)', () => {
  /** The keyed-object layout written before ADR 0026 (decimal strings), as LMDB files and changelogs still hold it. */
  const keyedObject = (w: AddressWindow) => ({
    chain_id: w.chain_id,
    address: w.address,
    token_address: w.token_address,
    symbol: w.symbol,
    decimals: w.decimals,
    in: { raw: w.in.raw.toString(), count: w.in.count, usd_scaled: w.in.usd_scaled.toString(), unpriced: w.in.unpriced },
    out: { raw: w.out.raw.toString(), count: w.out.count, usd_scaled: w.out.usd_scaled.toString(), unpriced: w.out.unpriced },
    tx_count: w.tx_count,
    counterparties_count: w.counterparties_count,
    version: w.version,
    final: w.final,
  });
  const through = <V>(c: { encode(v: V): unknown; decode(p: never, k: string): V }, v: V): V =>
    c.decode(decodeStateValue(encodeStateValue(c.encode(v) as never)) as never, 'k');

  it('round-trips exact amounts on both sides of 2^53 and above 2^255, negative running USD, nulls and finals', () => {
    const edge: AddressWindow = {
      ...agg,
      symbol: null,
      decimals: null,
      in: { raw: 2n ** 53n - 1n, count: 1, usd_scaled: -(2n ** 53n - 1n), unpriced: 1 },
      out: { raw: 2n ** 53n, count: 3, usd_scaled: -(2n ** 200n), unpriced: 0 },
      final: true,
    };
    for (const w of [agg, edge]) expect(through(addressWindowCodec, w)).toEqual(w);
    for (const b of [bucket(0n), bucket(2n ** 53n), { in_raw: 5n, in_count: 1, out_raw: 2n ** 256n - 1n, out_count: 2 }])
      expect(through(addressBucketCodec, b)).toEqual(b);
  });

  it('reads windows and buckets written in the keyed layout before it, alone and inside a small window', () => {
    expect(addressWindowCodec.decode(keyedObject(agg), 'k')).toEqual(agg);
    const oldBucket = { in_raw: (2n ** 255n).toString(), in_count: 1, out_raw: '0', out_count: 0 };
    expect(addressBucketCodec.decode(oldBucket, 'k')).toEqual(bucket(2n ** 255n));
    const oldSmall = { agg: keyedObject(agg), members: ['c0x' + '02'.repeat(20), 1], buckets: [1_704_099_600_000, oldBucket] };
    expect(codec.decode(oldSmall, 'k')).toEqual({
      agg,
      small: { members: new Map([['c0x' + '02'.repeat(20), 1]]), buckets: new Map([[1_704_099_600_000, bucket(2n ** 255n)]]) },
    });
  });

  it('is at most 60 % of the keyed layout for a typical window', () => {
    const compact = encodeStateValue(addressWindowCodec.encode(agg)).length;
    const keyed = encodeStateValue(keyedObject(agg)).length;
    expect(compact / keyed).toBeLessThan(0.6);
  });

  it('rejects a malformed entry with the store and key', () => {
    const plain = addressWindowCodec.encode(agg) as unknown[];
    expect(() => addressWindowCodec.decode([2, ...plain.slice(1)] as never, 'wk')).toThrow(/windows, key wk: expected \[1/);
    expect(() => addressWindowCodec.decode(plain.slice(0, -1) as never, 'wk')).toThrow(StateSerdeError);
    expect(() => addressWindowCodec.decode([...plain.slice(0, 6), 1.5, ...plain.slice(7)] as never, 'wk')).toThrow(/bigint/);
    expect(() => addressBucketCodec.decode([1, '1', 1, 'x', 0], 'bk')).toThrow(/buckets, key bk/);
  });
});
