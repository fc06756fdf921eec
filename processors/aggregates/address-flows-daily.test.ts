import { describe, expect, it } from 'vitest';
import { createTestDriver } from '../engine/testDriver.ts';
import { encodeWindowStart } from '../engine/windowKey.ts';
import {
  addressFlowsSpec,
  createAddressFlowsDailyProcessor,
  type AddressBucket,
  type AddressFlowsDaily,
  type AddressWindow,
} from './address-flows-daily.ts';
import { splitOutputs } from './daily-aggregator.ts';
import { CLOCK_KEY } from './partition-clock.ts';
import type { StoredWindow } from './small-window.ts';
import { addressPartitionKey } from '../erc20/transfer.ts';
import { addressLegsOf, type AddressLeg } from './repartition.ts';
import { addr, price, retraction, TOKEN, transfer, ZERO } from './testing/fixtures.ts';

function setup() {
  const driver = createTestDriver(createAddressFlowsDailyProcessor({ windowing: { updates: 'on_punctuate' } }));
  const pipeTransfer = (t: Parameters<typeof addressLegsOf>[0]): void => {
    for (const leg of addressLegsOf(t)) driver.pipe(leg, { key: addressPartitionKey(leg) });
  };
  const rows = (): Map<string, AddressFlowsDaily> => {
    driver.punctuate({ caughtUp: false });
    const latest = new Map<string, AddressFlowsDaily>();
    for (const r of splitOutputs<AddressFlowsDaily, AddressLeg>(driver.drainOutputs('address.flows.daily')).windows)
      latest.set(`${r.address}@${r.date}`, r);
    return latest;
  };
  return { driver, pipeTransfer, rows };
}

const [A, B, C] = [addr(1), addr(2), addr(3)];

describe('repartition by address', () => {
  it('gives each transfer an out leg for the sender and an in leg for the receiver, none for the zero address', () => {
    expect(addressLegsOf(transfer({ at: 0, from: A, to: B })).map((l) => [l.address, l.direction, l.counterparty])).toEqual([
      [A, 'out', B],
      [B, 'in', A],
    ]);
    expect(addressLegsOf(transfer({ at: 0, from: ZERO, to: B })).map((l) => [l.address, l.direction])).toEqual([[B, 'in']]);
    expect(addressLegsOf(transfer({ at: 0, from: A, to: A }))).toHaveLength(2);
    expect(addressPartitionKey({ chain_id: 1, address: A, token_address: TOKEN })).toBe(`1:${A}:${TOKEN}`);
    expect(addressFlowsSpec().assetOfKey(`1:${A}:${TOKEN}`)).toBe(`1:${TOKEN}`);
  });
});

describe('address_flows_daily', () => {
  it('sums inflow, outflow and net per address, with exact distinct counterparties and txs', () => {
    const { pipeTransfer, rows } = setup();
    pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: A, to: B, amount: 10n, tx: '0x' + '01'.repeat(32) }));
    pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: A, to: C, amount: 5n, tx: '0x' + '01'.repeat(32) }));
    pipeTransfer(transfer({ at: '2024-01-01T11:00:00Z', from: B, to: A, amount: 3n, tx: '0x' + '02'.repeat(32) }));
    pipeTransfer(transfer({ at: '2024-01-01T12:00:00Z', from: ZERO, to: A, amount: 100n, tx: '0x' + '03'.repeat(32) }));
    const r = rows();
    expect(r.get(`${A}@2024-01-01`)).toMatchObject({
      inflow_raw: 103n,
      outflow_raw: 15n,
      net_flow_raw: 88n,
      tx_count: 3,
      counterparties_count: 2, // B and C; the mint's zero address is no counterparty
      transfer_count: 4,
    });
    expect(r.get(`${B}@2024-01-01`)).toMatchObject({
      inflow_raw: 10n,
      outflow_raw: 3n,
      net_flow_raw: 7n,
      counterparties_count: 1,
      tx_count: 2,
    });
    expect(r.has(`${ZERO}@2024-01-01`)).toBe(false);
  });

  it('counts a self-transfer on both sides, once as counterparty and tx', () => {
    const { pipeTransfer, rows } = setup();
    pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: A, to: A, amount: 7n }));
    expect(rows().get(`${A}@2024-01-01`)).toMatchObject({
      inflow_raw: 7n,
      outflow_raw: 7n,
      net_flow_raw: 0n,
      counterparties_count: 1,
      tx_count: 1,
      transfer_count: 2,
    });
  });

  it('computes USD per direction and the net from exact sums, rounding once', () => {
    const { driver, pipeTransfer, rows } = setup();
    driver.pipe(price('2024-01-01T09:00:00Z', '0.333333333333333333'));
    driver.pipe(price('2024-01-02T09:00:00Z', '0.333333333333333333'));
    pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: B, to: A, amount: 1_500_000n, decimals: 6 }));
    pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: A, to: C, amount: 1_499_999n, decimals: 6 }));
    const a = rows().get(`${A}@2024-01-01`);
    // in 0.4999999999999999995 → 0.5; out 0.499999666666666666… → 0.5; net 0.000000333333333333… → 0
    expect(a).toMatchObject({ inflow_usd: '0.5', outflow_usd: '0.5', net_flow_usd: '0' });
    pipeTransfer(transfer({ at: '2024-01-01T23:00:00Z', from: A, to: C, amount: 1n, decimals: null }));
    expect(rows().get(`${A}@2024-01-01`)).toMatchObject({ inflow_usd: '0.5', outflow_usd: null, net_flow_usd: null });
    pipeTransfer(transfer({ at: '2024-01-02T10:00:00Z', from: C, to: A, amount: 1n, decimals: 6 }));
    expect(rows().get(`${A}@2024-01-02`)).toMatchObject({ inflow_usd: '0', outflow_usd: '0', net_flow_usd: '0' }); // price 0.33 µUSD → rounds to 0
  });

  it('retracts both legs exactly, in an open and in a final window', () => {
    const { pipeTransfer, rows } = setup();
    const t1 = transfer({ at: '2024-01-01T10:00:00Z', from: A, to: B, amount: 10n });
    const t2 = transfer({ at: '2024-01-01T11:00:00Z', from: A, to: C, amount: 1n });
    pipeTransfer(t1);
    pipeTransfer(t2);
    pipeTransfer(retraction(t2));
    const open = rows();
    expect(open.get(`${A}@2024-01-01`)).toMatchObject({
      outflow_raw: 10n,
      counterparties_count: 1,
      tx_count: 1,
      is_final: false,
    });
    expect(open.get(`${C}@2024-01-01`)).toMatchObject({ inflow_raw: 0n, transfer_count: 0, counterparties_count: 0 });
    pipeTransfer(transfer({ at: '2024-01-02T02:00:00Z', from: B, to: C, amount: 1n }));
    const closed = rows();
    expect(closed.get(`${A}@2024-01-01`)).toMatchObject({ is_final: true });
    pipeTransfer(retraction(t1));
    const refinal = rows();
    expect(refinal.get(`${A}@2024-01-01`)).toMatchObject({
      is_final: true,
      outflow_raw: 0n,
      counterparties_count: 0,
      transfer_count: 0,
    });
    expect(refinal.get(`${B}@2024-01-01`)).toMatchObject({ is_final: true, inflow_raw: 0n });
    expect((refinal.get(`${A}@2024-01-01`)?.version ?? 0) > (closed.get(`${A}@2024-01-01`)?.version ?? 0)).toBe(true);
  });

  it('closes a day and emits updates without rewriting windows (ADR 0026, 0027); versions go on after retractions of finals', () => {
    const { driver, pipeTransfer, rows } = setup();
    const t1 = transfer({ at: '2024-01-01T10:00:00Z', from: A, to: B, amount: 10n });
    const t2 = transfer({ at: '2024-01-01T11:00:00Z', from: A, to: C, amount: 1n });
    pipeTransfer(t1);
    pipeTransfer(t2);
    const windows = driver.store('windows');
    const dayOne = windows.entries().filter(([key]) => key.startsWith(encodeWindowStart(Date.parse('2024-01-01'))));
    expect(dayOne).toHaveLength(3); // A, B and C
    const update = rows().get(`${A}@2024-01-01`);
    pipeTransfer(transfer({ at: '2024-01-02T02:00:00Z', from: B, to: C, amount: 1n }));
    const final = rows().get(`${A}@2024-01-01`);
    expect(final).toMatchObject({ is_final: true, outflow_raw: 11n });
    expect(final?.version).toBeGreaterThan(update?.version ?? Infinity);
    // The updates and the close emitted every day-one record and wrote none of their entries: the same objects.
    for (const [key, window] of dayOne) expect(windows.get(key)).toBe(window);

    pipeTransfer(retraction(t1));
    const refinal = rows().get(`${A}@2024-01-01`);
    expect(refinal).toMatchObject({ is_final: true, outflow_raw: 1n });
    expect(refinal?.version).toBeGreaterThan(final?.version ?? Infinity);
    // The retraction's final is written, marked, with its version: the next one is above it too.
    expect(windows.get(dayOne[0]![0])?.agg).toMatchObject({ final: true, version: refinal?.version });
    pipeTransfer(retraction(t2));
    const last = rows().get(`${A}@2024-01-01`);
    expect(last).toMatchObject({ is_final: true, outflow_raw: 0n });
    expect(last?.version).toBeGreaterThan(refinal?.version ?? Infinity);
  });

  it('carries on from state written with versions per key (before ADR 0027): above them, pending updates still due', () => {
    const first = setup();
    first.pipeTransfer(transfer({ at: '2024-01-01T10:00:00Z', from: A, to: B, amount: 10n }));
    first.rows();
    // The entries as the code before wrote them: A emitted at version 7, B changed since its last update at 4.
    const entries = first.driver.store('windows').entries() as [string, StoredWindow<AddressWindow, AddressBucket>][];
    const [ka, a] = entries[0]!;
    const [kb, b] = entries[1]!;
    const { lastVersion: _l, flushedAtVersion: _f, ...oldClock } = first.driver.store('meta').get(CLOCK_KEY)!;
    const driver = createTestDriver(createAddressFlowsDailyProcessor({ windowing: { updates: 'on_punctuate' } }), {
      initialState: {
        windows: [
          [ka, { agg: { ...a.agg, version: 7 }, small: a.small }],
          [kb, { agg: { ...b.agg, version: 4 }, small: b.small, pending: true }],
        ],
        meta: [[CLOCK_KEY, oldClock]],
      },
    });
    driver.punctuate({ caughtUp: false });
    const updates = splitOutputs<AddressFlowsDaily, AddressLeg>(driver.drainOutputs('address.flows.daily')).windows;
    expect(updates.map((r) => [r.address, r.version])).toEqual([[B, 5]]);
    for (const leg of addressLegsOf(transfer({ at: '2024-01-01T11:00:00Z', from: A, to: B, amount: 1n })))
      driver.pipe(leg, { key: addressPartitionKey(leg) });
    driver.punctuate({ caughtUp: false });
    const next = splitOutputs<AddressFlowsDaily, AddressLeg>(driver.drainOutputs('address.flows.daily')).windows;
    expect(next.map((r) => [r.address, r.version])).toEqual([
      [A, 8],
      [B, 9],
    ]);
  });

  it("starts a partition's versions at its wall clock in µs, so a stage reset re-emits above the run before it", () => {
    const run = (wallClockMs: number): AddressFlowsDaily[] => {
      const driver = createTestDriver(createAddressFlowsDailyProcessor({ windowing: { updates: 'on_punctuate' } }), {
        wallClockMs,
      });
      for (const t of [
        transfer({ at: '2024-01-01T10:00:00Z', from: A, to: B, amount: 10n }),
        transfer({ at: '2024-01-02T02:00:00Z', from: A, to: B, amount: 1n }),
      ])
        for (const leg of addressLegsOf(t)) driver.pipe(leg, { key: addressPartitionKey(leg) });
      driver.punctuate({ caughtUp: false });
      return splitOutputs<AddressFlowsDaily, AddressLeg>(driver.drainOutputs('address.flows.daily')).windows;
    };
    const before = run(Date.parse('2026-12-01T00:00:00Z'));
    const reset = run(Date.parse('2026-12-01T00:00:01Z'));
    expect(before[0]?.version).toBe(Date.parse('2026-12-01T00:00:00Z') * 1000 + 1);
    expect(Math.min(...reset.map((r) => r.version))).toBeGreaterThan(Math.max(...before.map((r) => r.version)));
    expect(Number.isSafeInteger(Date.parse('2200-01-01T00:00:00Z') * 1000 + 2 ** 40)).toBe(true);
  });
});
