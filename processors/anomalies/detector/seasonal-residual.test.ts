import { describe, expect, it } from 'vitest';
import { createSeasonalState, updateSeasonal, type SeasonalParams } from './seasonal-residual.ts';
import { DAY_MS } from '../../../core/time.ts';

const DAY = DAY_MS;
const params: SeasonalParams = { lagsMs: [4], smoothing: 2, gate: 0.5, errorAlpha: 1 };

describe('seasonal residual', () => {
  it('subtracts the value one season back and smooths over m points', () => {
    const s = createSeasonalState(params);
    // season of 4 ms: 0 10 0 10 | 0 10 0 30
    const xs = [0, 10, 0, 10, 0, 10, 0, 30];
    const out = xs.map((x, t) => updateSeasonal(s, params, t, x, 5));
    expect(out[4]?.residual).toBeNull(); // one residual so far
    expect(out[5]?.residual).toBe(0);
    expect(out[7]?.residual).toBe(10); // mean of (0 - 0) and (30 - 10)
  });

  it('opens the gate only when the season beats the flat forecast', () => {
    const s = createSeasonalState(params);
    const xs = [0, 10, 0, 10, 0, 10, 0, 10];
    const out = xs.map((x, t) => updateSeasonal(s, params, t, x, 5));
    // seasonal error 0 < 0.5 * |x - level| = 2.5
    expect(out[7]?.gateOpen).toBe(true);
    const flat = createSeasonalState(params);
    const noise = [5, 6, 5, 6, 6, 5, 6, 5];
    const closed = noise.map((x, t) => updateSeasonal(flat, params, t, x, 5.5));
    expect(closed[7]?.gateOpen).toBe(false);
  });

  it('keeps only one longest season of points and matches timestamps exactly', () => {
    const p: SeasonalParams = { lagsMs: [DAY, 7 * DAY], smoothing: 1, gate: 0.5, errorAlpha: 0.1 };
    const s = createSeasonalState(p);
    for (let d = 0; d < 20; d++) updateSeasonal(s, p, d * DAY, d, d);
    expect(s.times).toHaveLength(8); // t - 7 days .. t
    expect(updateSeasonal(s, p, 20 * DAY + 1, 0, 0).residual).toBeNull(); // no point exactly one season back
  });
});
