import { describe, expect, it } from 'vitest';
import { summarize } from './stage-progress.ts';

describe('summarize (pipeline bench phases)', () => {
  it('tells start-up (until the first commit) from the steady 10 % → 90 % part', () => {
    const samples = [0, 0, 0, 0.05, 0.1, 0.3, 0.6, 0.9, 1].map((share, i) => ({ atS: i * 0.5, share }));
    expect(summarize(samples)).toEqual({ firstCommitS: 1.5, steadyS: 3.5 - 2 });
  });

  it('has no figures for a run that never got there', () => {
    expect(summarize([{ atS: 1, share: 0 }])).toEqual({ firstCommitS: null, steadyS: null });
    expect(summarize([{ atS: 1, share: 0.95 }])).toEqual({ firstCommitS: 1, steadyS: null });
  });
});
