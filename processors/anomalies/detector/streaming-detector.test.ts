import { describe, expect, it } from 'vitest';
import { AnomalyParameterError } from '../lib/errors.ts';
import { mulberry32, normal } from '../lib/prng.ts';
import { DEFAULT_STREAMING_PARAMS, parseStreamingParams, type StreamingDetectorParams } from './params.ts';
import { createStreamingDetectorState, scoreNextPoint } from './streaming-detector.ts';
import { HOUR_MS } from '../../../core/time.ts';

const HOUR = HOUR_MS;
/** Small windows so the tests stay fast; same logic as the defaults. */
const params: StreamingDetectorParams = {
  ...DEFAULT_STREAMING_PARAMS,
  historySize: 300,
  minHistory: 50,
  shiftBaseline: 50,
};

function noisy(n: number, seed = 3): number[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => 100 + 5 * normal(rnd));
}

function run(values: readonly number[], p = params): number[] {
  const state = createStreamingDetectorState(p);
  return values.map((x, i) => scoreNextPoint(state, p, x, i * HOUR).score);
}

describe('streaming detector', () => {
  it('scores 0 while warming up and stays in [0, 1]', () => {
    const scores = run(noisy(400));
    expect(scores.slice(0, params.minHistory).every((s) => s === 0)).toBe(true);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it('raises one alarm on a spike, then suppresses the echo', () => {
    const values = noisy(400);
    values[300] = 200;
    values[301] = 190;
    const state = createStreamingDetectorState(params);
    const out = values.map((x, i) => scoreNextPoint(state, params, x, i * HOUR));
    expect(out[300]?.score).toBeGreaterThan(0.95);
    expect(out[300]?.feature).toBe('value');
    expect(out[301]?.suppressed).toBe(true);
    expect(out[301]?.score).toBeLessThan(params.alarmLevel);
    const alarms = out.slice(200).filter((o) => o.score >= params.alarmLevel).length;
    expect(alarms).toBeLessThanOrEqual(3);
  });

  it('detects a small level shift (within the range seen so far) through the shift feature', () => {
    const values = noisy(600, 11).map((x, i) => (i >= 500 ? x + 12 : x)); // +2.4 sigma, inside the noise range
    const state = createStreamingDetectorState(params);
    const out = values.map((x, i) => scoreNextPoint(state, params, x, i * HOUR));
    const first = out.findIndex((o, i) => i >= 500 && o.score >= params.alarmLevel);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThan(520);
    expect(out[first]?.feature).toBe('shift');
  });

  it("does not let one feature's suppression hide another feature's alarm (a level shift just after a spike)", () => {
    const values = noisy(600, 11);
    values[300] = 125; // a new high (value, local) but too small to move the 20-point mean to a record
    for (let i = 310; i < 600; i++) values[i] = (values[i] as number) + 12;
    const state = createStreamingDetectorState(params);
    const out = values.map((x, i) => scoreNextPoint(state, params, x, i * HOUR));
    expect(out[300]?.score).toBeGreaterThanOrEqual(params.alarmLevel);
    const shiftAlarm = out.findIndex((o, i) => i > 300 && o.score >= params.alarmLevel);
    expect(shiftAlarm).toBeGreaterThan(300 + params.mergeWindow);
    expect(shiftAlarm).toBeLessThan(300 + params.suppression);
    expect(out[shiftAlarm]?.feature).toBe('shift');
  });

  it('is causal: a prefix scores the same whatever follows', () => {
    const values = noisy(400);
    const full = run(values);
    const prefix = run(values.slice(0, 250));
    expect(prefix).toEqual(full.slice(0, 250));
  });

  it('continues identically from a JSON round trip of its state', () => {
    const values = noisy(400);
    const a = createStreamingDetectorState(params);
    values.slice(0, 200).forEach((x, i) => scoreNextPoint(a, params, x, i * HOUR));
    const b = JSON.parse(JSON.stringify(a)) as typeof a;
    for (let i = 200; i < 400; i++) {
      expect(scoreNextPoint(b, params, values[i] as number, i * HOUR)).toEqual(
        scoreNextPoint(a, params, values[i] as number, i * HOUR),
      );
    }
  });

  it('keeps bounded state', () => {
    const state = createStreamingDetectorState(params);
    noisy(2000).forEach((x, i) => scoreNextPoint(state, params, x, i * HOUR));
    expect(state.histories.value.values).toHaveLength(params.historySize);
    expect(state.seasonal.times.length).toBeLessThanOrEqual(7 * 24 + 1);
  });

  it('validates parameters at the boundary', () => {
    expect(parseStreamingParams(DEFAULT_STREAMING_PARAMS)).toEqual(DEFAULT_STREAMING_PARAMS);
    expect(() => parseStreamingParams({ ...DEFAULT_STREAMING_PARAMS, historySize: 0 })).toThrow(AnomalyParameterError);
    expect(() => parseStreamingParams({ ...DEFAULT_STREAMING_PARAMS, alarmLevel: 2 })).toThrow(AnomalyParameterError);
  });
});
