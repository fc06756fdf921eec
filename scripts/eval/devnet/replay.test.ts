import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { scoringParamsFromConfig } from '../../../processors/anomalies/scoring/params.ts';
import { replayDevnet, summarizeReplay } from './replay.ts';
import { DAY_MS } from '../../../core/time.ts';

const DAY = DAY_MS;

/**
 * The devnet's planted history through the stream's scorers, for every weekday of the launch (the devnet starts
 * "now", so which weekday's baseline holds the launch changes from run to run). Before the launch was kept out of
 * the baselines, these runs had 48-56 high anomalies on the first scored day (scripts/eval/devnet.ts).
 */
describe('devnet replay: anomalies an on-call engineer can trust', () => {
  const config = loadConfig({ env: {} });
  const params = { tokens: scoringParamsFromConfig(config, 'tokens'), addresses: scoringParamsFromConfig(config, 'addresses') };
  const start = Date.parse('2025-06-04T12:00:00Z');
  for (let i = 0; i < 7; i++) {
    it(`launch weekday ${i}: no flood on the first scored day, the planted anomalies high`, () => {
      const s = summarizeReplay(replayDevnet(start + i * DAY, params));
      expect(s.firstDay.high).toBeLessThanOrEqual(1);
      expect(s.spikeTransferCount).toBe('high');
      expect(s.whaleOutflow).toBe('high');
      expect(s.highAddress).toBeLessThanOrEqual(10);
      // The hourly streaming detector: the planted bursts page, ordinary hours do not (at most one high elsewhere).
      expect(s.hourly.high).toBeGreaterThanOrEqual(2);
      expect(s.hourly.highOffPlanted).toBeLessThanOrEqual(1);
    });
  }
});
