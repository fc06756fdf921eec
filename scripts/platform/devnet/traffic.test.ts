import { describe, expect, it } from 'vitest';
import { DAY_MS, isoDay } from '../../../core/time.ts';
import { devnetTokens } from './tokens.ts';
import { MIN_DAYS, planHistory, toUnits, type TrafficPlan } from './traffic.ts';

const NOW = Date.UTC(2026, 10, 27, 5, 30, 0);
const tokens = devnetTokens();
const ZERO = '0x0000000000000000000000000000000000000000';
const dayOf = (s: number) => isoDay(s * 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const serialize = (plan: TrafficPlan) =>
  JSON.stringify({ blocks: plan.blocks, anomalies: plan.anomalies }, (_, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );

describe('devnet traffic plan', () => {
  const plan = planHistory({ tokens, nowMs: NOW });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(serialize(planHistory({ tokens, nowMs: NOW }))).toBe(serialize(plan));
    expect(serialize(planHistory({ tokens, nowMs: NOW, seed: 7 }))).not.toBe(serialize(plan));
  });

  it('covers a launch day plus 21 days ending before now, in strictly increasing block times', () => {
    expect(plan.days).toBe(21);
    const times = plan.blocks.map((b) => b.timestampS);
    for (let i = 1; i < times.length; i += 1) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(times.at(-1)! * 1000).toBeLessThan(NOW - 60_000);
    expect(dayOf(times[0]!)).toBe(isoDay(plan.launchDayMs));
    expect(plan.launchDayMs).toBe(NOW - (NOW % DAY_MS) - 21 * DAY_MS);
    expect(new Set(times.map(dayOf)).size).toBe(22);
    // Few blocks, many transfers each: ~8 a day.
    expect(plan.blocks.length).toBeLessThanOrEqual(22 * 8);
    expect(plan.blocks.reduce((n, b) => n + b.transfers.length, 0)).toBeGreaterThan(8_000);
  });

  it('never overdraws: replaying the plan on fresh balances keeps every balance >= 0', () => {
    const book = new Map<string, bigint>();
    let mints = 0;
    let burns = 0;
    for (const block of plan.blocks) {
      for (const t of block.transfers) {
        expect(t.amount > 0n).toBe(true);
        if (t.from === ZERO) mints += 1;
        else {
          const key = `${t.token}:${t.from}`;
          const left = (book.get(key) ?? 0n) - t.amount;
          expect(left >= 0n, `${key} overdrawn`).toBe(true);
          book.set(key, left);
        }
        if (t.to === ZERO) burns += 1;
        else book.set(`${t.token}:${t.to}`, (book.get(`${t.token}:${t.to}`) ?? 0n) + t.amount);
      }
    }
    expect(mints).toBeGreaterThan(600); // launch distribution + ~4% of transfers
    expect(burns).toBeGreaterThan(100);
  });

  it('has every token every day, with Zipf-ish activity (a few addresses dominate)', () => {
    for (const token of tokens) {
      const days = new Set(
        plan.blocks.filter((b) => b.transfers.some((t) => t.token === token.address)).map((b) => dayOf(b.timestampS)),
      );
      expect(days.size, token.symbol).toBe(22);
    }
    const senders = new Map<string, number>();
    for (const b of plan.blocks)
      for (const t of b.transfers) if (t.from !== ZERO) senders.set(t.from, (senders.get(t.from) ?? 0) + 1);
    const counts = [...senders.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(counts.slice(0, 10).reduce((a, b) => a + b, 0) / total).toBeGreaterThan(0.3);
    expect(counts.length).toBeGreaterThan(150);
  });

  it('plants a dWETH volume spike 3 days before today and a market-maker outflow burst 2 days before, after 14+ baseline days', () => {
    const [spike, burst] = plan.anomalies;
    const weth = tokens.find((t) => t.symbol === 'dWETH')!;
    const usdc = tokens.find((t) => t.symbol === 'dUSDC')!;
    expect(spike).toMatchObject({ kind: 'token_volume_spike', token: weth.address, day: '2026-11-24' });
    expect(burst).toMatchObject({
      kind: 'address_outflow_burst',
      token: usdc.address,
      day: '2026-11-25',
      address: plan.model.marketMaker,
    });

    const perDay = (
      pred: (t: (typeof plan.blocks)[number]['transfers'][number]) => boolean,
      value: (t: { amount: bigint }) => bigint,
    ) => {
      const out = new Map<string, bigint>();
      for (const b of plan.blocks.slice(1)) {
        for (const t of b.transfers) if (pred(t)) out.set(dayOf(b.timestampS), (out.get(dayOf(b.timestampS)) ?? 0n) + value(t));
      }
      return out;
    };
    const wethCount = perDay(
      (t) => t.token === weth.address,
      () => 1n,
    );
    const baselineDays = [...wethCount.keys()].filter((d) => d < spike!.day);
    expect(baselineDays.length).toBeGreaterThanOrEqual(14);
    const usual = median(baselineDays.map((d) => Number(wethCount.get(d))));
    expect(Number(wethCount.get(spike!.day))).toBeGreaterThan(5 * usual);

    const mmOut = perDay(
      (t) => t.token === usdc.address && t.from === plan.model.marketMaker,
      (t) => t.amount,
    );
    const mmDays = [...mmOut.keys()].filter((d) => d < burst!.day);
    expect(mmDays.length).toBeGreaterThanOrEqual(14);
    const usualOut = median(mmDays.map((d) => Number(mmOut.get(d)! / 1_000_000n)));
    expect(Number(mmOut.get(burst!.day)! / 1_000_000n)).toBeGreaterThan(100 * usualOut);
  });

  it('rejects too short a history (no baseline for the anomalies) and converts amounts exactly', () => {
    expect(() => planHistory({ tokens, nowMs: NOW, days: MIN_DAYS - 1 })).toThrow(RangeError);
    expect(toUnits(1.5, 18)).toBe(1_500_000_000_000_000_000n);
    expect(toUnits(0.25, 8)).toBe(25_000_000n);
    expect(toUnits(2_000, 6)).toBe(2_000_000_000n);
  });

  it('keeps the model consistent for live traffic and restores it exactly from a snapshot (the reorg branch)', () => {
    const p = planHistory({ tokens, nowMs: NOW });
    const snap = p.model.snapshot();
    const a = p.model.liveTransfers();
    p.model.restore(snap);
    const again = p.model.liveTransfers();
    expect(again).toEqual(a);
    p.model.restore(snap);
    p.model.random();
    expect(p.model.liveTransfers()).not.toEqual(a);
  });
});
