import { describe, expect, it } from 'vitest';
import { Gate } from './gate.ts';

describe('Gate', () => {
  it('admits up to its concurrency, queues FIFO, refuses beyond the queue', async () => {
    const gate = new Gate(1, 1, () => new Error('full'));
    const first = await gate.acquire();
    const order: number[] = [];
    const second = gate.acquire().then((release) => {
      order.push(2);
      return release;
    });
    await expect(gate.acquire()).rejects.toThrow('full');
    expect([gate.running, gate.queued]).toEqual([1, 1]);
    first();
    first(); // idempotent
    (await second)();
    expect(order).toEqual([2]);
    expect([gate.running, gate.queued]).toEqual([0, 0]);
  });

  it('drops a waiter whose signal aborts', async () => {
    const gate = new Gate(1);
    const release = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(gate.queued).toBe(0);
    release();
    expect(gate.running).toBe(0);
  });
});
