import { describe, expect, it } from 'vitest';
import { createTestDriver } from '../engine/testDriver.ts';
import { createTokenMetricsDailyProcessor } from './token-metrics-daily.ts';
import { TOKEN, transfer } from './testing/fixtures.ts';
import { entityKeyOf } from './window-stage.ts';

describe('aggregate record keys (token.metrics.daily, address.flows.daily)', () => {
  it('drop the window day, so every day of an entity goes to one partition (the anomaly task keeping its baseline)', () => {
    expect(entityKeyOf('31337:0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0|2026-11-24')).toBe(
      '31337:0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
    );
    expect(entityKeyOf('1:0xabc:0xdef|2026-01-01')).toBe('1:0xabc:0xdef');
    expect(entityKeyOf('1:0xabc')).toBe('1:0xabc');
  });

  it('are the same for every day the token aggregator emits', () => {
    const driver = createTestDriver(createTokenMetricsDailyProcessor({ windowing: { updates: 'every_record' } }));
    const keys = new Set<string>();
    for (const at of ['2026-11-20T12:00:00Z', '2026-11-21T12:00:00Z', '2026-11-22T12:00:00Z', '2026-11-23T12:00:00Z']) {
      for (const o of driver.pipe(transfer({ at }))) if (o.topic === 'token.metrics.daily') keys.add(entityKeyOf(o.key));
    }
    expect([...keys]).toEqual([`1:${TOKEN}`]);
  });
});
