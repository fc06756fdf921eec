import { describe, expect, it } from 'vitest';
import { coalescedLoader, roundsByEntity } from './coalesced-loader.ts';

/** A batch function whose calls the test completes by hand, recording each call's keys. */
function manualBatches() {
  const calls: { keys: readonly number[]; finish: () => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const batch = (keys: readonly number[]) =>
    new Promise<number[]>((resolve) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      calls.push({
        keys,
        finish: () => {
          running -= 1;
          resolve(keys.map((k) => k * 10));
        },
      });
    });
  return { batch, calls, maxRunning: () => maxRunning };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('coalescedLoader', () => {
  it('sends a read alone and at once when nothing is in flight', async () => {
    const m = manualBatches();
    const loader = coalescedLoader(m.batch, { maxInFlight: 1, maxBatch: 8 });
    const answer = loader.load(1);
    await tick();
    expect(m.calls.map((c) => c.keys)).toEqual([[1]]);
    m.calls[0]!.finish();
    expect(await answer).toBe(10);
  });

  it('sends the next statement once the previous one answered, while its answer is still being processed', async () => {
    const answered: (() => void)[] = [];
    const processed: (() => void)[] = [];
    const sent: (readonly number[])[] = [];
    const loader = coalescedLoader<number, number>(
      (keys, statementAnswered) => {
        sent.push(keys);
        answered.push(statementAnswered);
        return new Promise((resolve) => processed.push(() => resolve(keys.map((k) => k * 10))));
      },
      { maxInFlight: 1, maxBatch: 8 },
    );
    const first = loader.load(1);
    await tick();
    const second = loader.load(2);
    await tick();
    expect(sent).toEqual([[1]]);
    answered[0]!(); // the warehouse answered; the first batch is still parsing
    answered[0]!(); // idempotent: one slot is freed once
    await tick();
    expect(sent).toEqual([[1], [2]]);
    const third = loader.load(3);
    await tick();
    expect(sent).toEqual([[1], [2]]); // the second statement holds the only slot
    processed[0]!();
    processed[1]!();
    await tick();
    expect(sent).toEqual([[1], [2], [3]]); // a batch that settles frees its slot if it has not yet
    processed[2]!();
    expect(await Promise.all([first, second, third])).toEqual([10, 20, 30]);
  });

  it('queues reads that arrive while the slots are busy into the next statement, in arrival order', async () => {
    const m = manualBatches();
    const loader = coalescedLoader(m.batch, { maxInFlight: 1, maxBatch: 3 });
    const first = loader.load(1);
    await tick();
    const later = [2, 3, 4, 5, 6].map(async (k) => {
      await tick();
      return loader.load(k);
    });
    await tick();
    await tick();
    expect(m.calls).toHaveLength(1); // the others wait for the slot
    m.calls[0]!.finish();
    await tick();
    expect(m.calls.map((c) => c.keys)).toEqual([[1], [2, 3, 4]]);
    m.calls[1]!.finish();
    await tick();
    expect(m.calls.map((c) => c.keys)).toEqual([[1], [2, 3, 4], [5, 6]]);
    m.calls[2]!.finish();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40, 50, 60]);
    expect(m.maxRunning()).toBe(1);
  });

  it('keeps at most maxInFlight statements running, and a failed statement frees its slot', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const loader = coalescedLoader<number, number>(
      async (keys) => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 2));
        running -= 1;
        if (keys.includes(13)) throw new Error('engine down');
        return keys.map((k) => k + 1);
      },
      { maxInFlight: 2, maxBatch: 4 },
    );
    const answers = await Promise.allSettled(Array.from({ length: 40 }, (_, k) => loader.load(k)));
    expect(maxRunning).toBe(2);
    expect(calls).toBeLessThanOrEqual(10);
    const failed = answers.flatMap((a, k) => (a.status === 'rejected' ? [k] : []));
    expect(failed).toContain(13);
    expect(failed.length).toBeLessThanOrEqual(4); // only the reads of the failed statement
    answers.forEach((a, k) => {
      if (a.status === 'fulfilled') expect(a.value).toBe(k + 1);
    });
    expect(await loader.load(100)).toBe(101); // slots were all given back
  });
});

describe('roundsByEntity', () => {
  const key = (entity: string, range: string) => ({ entity, range });
  it('puts each entity once per round; identical reads share an entry, other arguments go to later rounds', () => {
    const keys = [key('a', '1'), key('b', '1'), key('a', '2'), key('a', '1'), key('a', '3'), key('c', '2')];
    const { rounds, roundOf } = roundsByEntity(
      keys,
      (k) => k.entity,
      (x, y) => x.range === y.range,
    );
    expect(rounds).toEqual([[key('a', '1'), key('b', '1'), key('c', '2')], [key('a', '2')], [key('a', '3')]]);
    expect(roundOf).toEqual([0, 0, 1, 0, 2, 0]);
  });
});
