import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeAssignment, formatStatus, type StatusReport } from './status.ts';

describe('status helpers', () => {
  it('decodes a consumer-protocol member assignment (as the broker returns it) into sorted partitions per topic', () => {
    const buffer = AssignerProtocol.MemberAssignment.encode({
      version: 0,
      assignment: { 'erc20.transfers': [5, 1, 3], 'market.prices.raw': [0] },
      userData: Buffer.alloc(0),
    });
    expect(decodeAssignment(buffer)).toEqual({ 'erc20.transfers': [1, 3, 5], 'market.prices.raw': [0] });
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({});
  });

  it('renders groups, members, partitions, stale workers and problems', () => {
    const report: StatusReport = {
      app_id: 'oracul',
      generated_at: '2026-01-01T00:00:00.000Z',
      groups: [
        {
          group_id: 'oracul-token-metrics-daily',
          kind: 'stage',
          name: 'token-metrics-daily',
          state: 'Stable',
          members: [
            { member_id: 'm1', client_id: 'oracul-worker', host: '127.0.0.1', assignment: { 'erc20.transfers': [0, 1] } },
          ],
          partitions: [
            { topic: 'erc20.transfers', partition: 0, committed: 10, end: 12, lag: 2, owner: 'oracul-worker' },
            { topic: 'erc20.transfers', partition: 1, committed: null, end: 3, lag: 3, owner: 'oracul-worker' },
          ],
          lag: 5,
        },
      ],
      workers: [
        {
          v: 1,
          worker_id: 'host:42',
          app_id: 'oracul',
          host: 'host',
          pid: 42,
          state: 'running',
          started_at: '2026-01-01T00:00:00.000Z',
          sent_at: '2026-01-01T00:00:00.000Z',
          interval_ms: 10_000,
          stages: [
            {
              stage: 'token-metrics-daily',
              group_id: 'oracul-token-metrics-daily',
              partitions: [
                { partition: 0, records: 7, outputs: 3, dead_letters: 0, transactions: 2, restored_records: 11, restore_ms: 5 },
              ],
              records_in: 7,
              records_out: 3,
              rate_in: 1.5,
              rate_out: 0.5,
              last_error: { code: 'ORACUL_X', message: 'boom', at: '2026-01-01T00:00:00.000Z' },
            },
          ],
          sinks: [],
          last_error: null,
          age_ms: 90_000,
          stale: true,
        },
      ],
      problems: ['group g lags 5 records (> --max-lag 1)'],
    };
    const text = formatStatus(report);
    expect(text).toContain('oracul-token-metrics-daily  stage  Stable  1        2           5');
    expect(text).toContain('erc20.transfers[0,1]');
    expect(text).toMatch(/oracul-token-metrics-daily\s+erc20.transfers\s+1\s+-\s+3\s+3\s+oracul-worker/);
    expect(text).toMatch(/host:42\s+STALE\s+90s\s+stage token-metrics-daily\s+0\s+7\s+1.5\/s\s+11\s+ORACUL_X/);
    expect(text.trimEnd().endsWith('PROBLEM: group g lags 5 records (> --max-lag 1)')).toBe(true);
  });
});
