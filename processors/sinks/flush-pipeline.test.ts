import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { SinkRowsRejectedError } from './errors.ts';
import { FlushPipeline, type FlushPipelineParameters } from './flush-pipeline.ts';
import { SinkBuffer, type TopicOffset } from './sink-buffer.ts';
import type { SinkRetry } from './sink-retry.ts';
import type { RowSet, SinkCounters, SinkRow } from './sink-types.ts';

/**
 * The sink's ordering guarantees without Kafka or ClickHouse: offsets are committed only after their rows are
 * inserted, batches one at a time in order, nothing after a failed background batch, and a rejected row
 * dead-letters only its own record.
 */

const message = (offset: number): KafkaMessage =>
  ({ offset: String(offset), key: null, value: Buffer.from('v'), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

/** The row objects of an insert's sets (these tests buffer row objects only). */
const rowsOf = (sets: readonly RowSet[]): SinkRow[] => sets.flatMap((set) => set as SinkRow[]);

/** Buffers records `from`..`to - 1` of partition 0, one row each (`{ n }`). */
function fill(buffer: SinkBuffer, from: number, to: number): void {
  for (let n = from; n < to; n += 1) {
    buffer.add({ topic: 't', partition: 0, message: message(n), rows: [{ n }] });
    buffer.markPending('t', 0, String(n + 1));
  }
}

interface Harness {
  readonly pipeline: FlushPipeline;
  readonly buffer: SinkBuffer;
  /** What happened, in order: `insert:<first n>-<last n>`, `commit:<offset>`, `dead-letter:<offset>`. */
  readonly events: string[];
  readonly counters: SinkCounters;
  readonly committed: Map<string, TopicOffset>;
}

function harness(overrides: Partial<FlushPipelineParameters> = {}): Harness {
  const events: string[] = [];
  const buffer = new SinkBuffer(1_000);
  const counters: SinkCounters = { records: 0, rows: 0, batches: 0, deadLettered: 0, insertFailures: 0 };
  const committed = new Map<string, TopicOffset>();
  const retry: SinkRetry = (_what, fn) => fn();
  const pipeline = new FlushPipeline({
    topic: 't',
    table: 'tbl',
    format: 'RowBinary',
    buffer,
    insert: async (sets) => {
      const rows = rowsOf(sets);
      events.push(`insert:${rows[0]!.n}-${rows.at(-1)!.n}`);
    },
    retry,
    deadLetter: async (failed) => {
      events.push(`dead-letter:${failed.message.offset}`);
      counters.deadLettered += 1;
    },
    commitOffsets: async (offsets) => void events.push(...offsets.map((o) => `commit:${o.offset}`)),
    afterInsert: undefined,
    counters,
    committed,
    signal: new AbortController().signal,
    logger: createLogger({ level: 'silent', pretty: false }),
    ...overrides,
  });
  return { pipeline, buffer, events, counters, committed };
}

describe('FlushPipeline', () => {
  it('commits a batch only after ClickHouse acknowledged its rows', async () => {
    const h = harness();
    fill(h.buffer, 0, 3);
    await h.pipeline.locked(() => h.pipeline.flush('size'));
    expect(h.events).toEqual(['insert:0-2', 'commit:3']);
    expect(h.counters).toMatchObject({ records: 3, rows: 3, batches: 1 });
    expect([...h.committed.values()]).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
    expect(h.buffer.isEmpty).toBe(true);
  });

  it('background batches run one at a time: the next insert starts after the previous commit', async () => {
    const releases: (() => void)[] = [];
    const events: string[] = [];
    const h = harness({
      insert: async (sets) => {
        const rows = rowsOf(sets);
        events.push(`insert:${rows[0]!.n}`);
        await new Promise<void>((resolve) => releases.push(resolve));
      },
      commitOffsets: async (offsets) => void events.push(...offsets.map((o) => `commit:${o.offset}`)),
    });
    fill(h.buffer, 0, 2);
    await h.pipeline.locked(() => h.pipeline.flush('size', true));
    expect(h.pipeline.dueByTime).toBe(false); // an insert runs: the next batch keeps filling
    fill(h.buffer, 2, 4);
    const second = h.pipeline.locked(() => h.pipeline.flush('size', true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['insert:0']);
    releases[0]!();
    await second;
    await new Promise((resolve) => setImmediate(resolve));
    releases[1]!();
    await h.pipeline.locked(() => h.pipeline.flush('stop'));
    expect(events).toEqual(['insert:0', 'commit:2', 'insert:2', 'commit:4']);
  });

  it('a batch of minRows is ready while no insert runs, and onIdle is called once an insert has committed', async () => {
    const releases: (() => void)[] = [];
    let idle = 0;
    const h = harness({
      minRows: 2,
      onIdle: () => (idle += 1),
      insert: () => new Promise<void>((resolve) => releases.push(resolve)),
    });
    fill(h.buffer, 0, 1);
    expect(h.pipeline.ready).toBe(false); // 1 row < minRows
    fill(h.buffer, 1, 2);
    expect(h.pipeline.ready).toBe(true);
    await h.pipeline.locked(() => h.pipeline.flush('ready', true));
    fill(h.buffer, 2, 5);
    expect(h.pipeline.ready).toBe(false); // an insert runs: the next batch keeps filling
    releases[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(1);
    expect(h.pipeline.ready).toBe(true);
  });

  it('a batch of minRows waits while the consumer has not read everything (a backlog fills it up instead)', async () => {
    let caughtUp = false;
    const h = harness({ minRows: 2, caughtUp: () => caughtUp });
    fill(h.buffer, 0, 3);
    expect(h.pipeline.ready).toBe(false);
    caughtUp = true;
    expect(h.pipeline.ready).toBe(true);
  });

  it('after a failed background batch nothing is committed until the consumer restarts', async () => {
    const failure = new Error('injected after the insert');
    const h = harness({
      afterInsert: () => {
        throw failure;
      },
    });
    fill(h.buffer, 0, 2);
    await h.pipeline.locked(() => h.pipeline.flush('size', true));
    fill(h.buffer, 2, 4);
    await expect(h.pipeline.locked(() => h.pipeline.flush('time', true))).rejects.toBe(failure);
    expect(h.pipeline.failed).toBe(true);
    expect(() => h.pipeline.throwIfFailed()).toThrow(failure);
    expect(h.events).toEqual(['insert:0-1']);
    expect(h.committed.size).toBe(0);

    await h.pipeline.dropUncommitted();
    expect(h.pipeline.failed).toBe(false);
    expect(h.buffer.isEmpty).toBe(true);
  });

  it('rows ClickHouse rejects: the batch is re-inserted record by record and only the bad record is dead-lettered', async () => {
    const events: string[] = [];
    const h = harness({
      insert: async (sets) => {
        const rows = rowsOf(sets);
        if (rows.some((r) => r.n === 1)) throw new SinkRowsRejectedError('bad value');
        events.push(`insert:${rows.map((r) => r.n).join(',')}`);
      },
      commitOffsets: async (offsets) => void events.push(...offsets.map((o) => `commit:${o.offset}`)),
      deadLetter: async (failed) => void events.push(`dead-letter:${failed.message.offset}`),
    });
    fill(h.buffer, 0, 3);
    await h.pipeline.locked(() => h.pipeline.flush('size'));
    expect(events).toEqual(['insert:0', 'dead-letter:1', 'insert:2', 'commit:3']);
  });
});
