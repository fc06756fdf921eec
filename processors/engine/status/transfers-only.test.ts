import { describe, expect, it } from 'vitest';
import { formatStatus } from './status.ts';
import { formatTransfersOnly } from './transfers-only.ts';

describe('oracul status: transfers-only ranges', () => {
  it('lists the ranges, says what is missing, and that nothing is when there are none', () => {
    const text = formatTransfersOnly({
      ranges: [
        { chain_id: 1, from_block: 19_000_000, to_block: 19_000_099, blocks: 100 },
        { chain_id: 1, from_block: 19_000_200, to_block: 19_000_200, blocks: 1 },
      ],
      total_blocks: 150,
      error: null,
    });
    expect(text).toContain('raw_transactions NOT filled');
    expect(text).toContain('chain 1: blocks 19000000-19000099 (100)');
    expect(text).toContain('chain 1: blocks 19000200-19000200 (1)');
    expect(text).toContain('… 49 more blocks');
    expect(formatTransfersOnly({ ranges: [], total_blocks: 0, error: null })).toMatch(/\n {2}none$/);
    expect(formatTransfersOnly({ ranges: [], total_blocks: 0, error: 'connect ECONNREFUSED' })).toContain('unknown');
  });

  it('is part of the text report when collected, and never a problem', () => {
    const report = {
      app_id: 'oracul',
      generated_at: '2026-12-06T00:00:00.000Z',
      groups: [],
      workers: [],
      problems: [],
      transfers_only: { ranges: [{ chain_id: 1, from_block: 5, to_block: 9, blocks: 5 }], total_blocks: 5, error: null },
    };
    const text = formatStatus(report);
    expect(text).toContain('chain 1: blocks 5-9 (5)');
    expect(text.trimEnd().endsWith('OK')).toBe(true);
    expect(formatStatus({ ...report, transfers_only: undefined })).not.toContain('Transfers-only');
  });
});
