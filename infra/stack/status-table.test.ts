import { describe, expect, it } from 'vitest';
import { formatStatusTable, formatTable } from './status-table.ts';
import type { ComponentStatus } from './stack-lifecycle.ts';

describe('formatTable', () => {
  it('aligns columns and does not pad the last one', () => {
    expect(
      formatTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'last'],
          ['z', 'long', ''],
        ],
      ),
    ).toBe('A    BB    C\nxxx  y     last\nz    long\n');
  });
});

describe('formatStatusTable', () => {
  it('shows component, version, port, pid and health', () => {
    const row: ComponentStatus = {
      component: 'kafka',
      version: '3.9.1',
      host: '127.0.0.1',
      port: 9092,
      ports: [{ role: 'broker', port: 9092 }],
      pid: null,
      health: 'stopped',
      detail: 'not running',
      log_file: '/s/kafka/kafka.log',
    };
    const text = formatStatusTable([row]);
    expect(text.split('\n')[0]).toMatch(/^COMPONENT\s+VERSION\s+PORT\s+PID\s+HEALTH\s+DETAIL$/);
    expect(text.split('\n')[1]).toMatch(/^kafka\s+3\.9\.1\s+127\.0\.0\.1:9092\s+-\s+stopped\s+not running$/);
  });
});
