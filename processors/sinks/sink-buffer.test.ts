import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SinkBuffer } from './sink-buffer.ts';

const message = (offset: number): KafkaMessage =>
  ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

describe('SinkBuffer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps, per topic partition, the highest next offset; take() hands over the batch and starts an empty one', () => {
    const buffer = new SinkBuffer(1_000);
    expect(buffer.isEmpty).toBe(true);
    buffer.add({ topic: 'a', partition: 0, message: message(4), rows: [{ x: 1 }, { x: 2 }] });
    buffer.markPending('a', 0, '5');
    buffer.markPending('a', 0, '3'); // never backwards
    buffer.markPending('b', 0, '10'); // a marker-only batch of another topic
    expect(buffer.bufferedRows).toBe(2);

    const batch = buffer.take();
    expect(batch.rows).toBe(2);
    expect(batch.records.map((r) => r.message.offset)).toEqual(['4']);
    expect([...batch.offsets.values()]).toEqual([
      { topic: 'a', partition: 0, offset: '5' },
      { topic: 'b', partition: 0, offset: '10' },
    ]);
    expect(buffer.isEmpty).toBe(true);
    expect(buffer.bufferedRows).toBe(0);
  });

  it('is due maxWaitMs after the first pending offset, not after the last', () => {
    vi.useFakeTimers({ now: 0 });
    const buffer = new SinkBuffer(1_000);
    expect(buffer.isDue).toBe(false);
    buffer.markPending('a', 0, '1');
    vi.advanceTimersByTime(600);
    buffer.markPending('a', 0, '2');
    vi.advanceTimersByTime(399);
    expect(buffer.isDue).toBe(false);
    vi.advanceTimersByTime(1);
    expect(buffer.isDue).toBe(true);
    buffer.clear();
    expect(buffer.isDue).toBe(false);
  });
});
