import { describe, expect, it } from 'vitest';
import { Channel, LIVE_BACKLOG, ReplayBuffer } from './live.ts';

type Event = { eventId: string; n: number };
const event = (n: number): Event => ({ eventId: `0:${n}`, n });

async function take(iterator: AsyncIterator<Event>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const result = await iterator.next();
    if (result.done) break;
    out.push(result.value.n);
  }
  return out;
}

describe('Channel: subscribers are cursors into one shared per-topic buffer', () => {
  it('delivers live events in order to every subscriber, each through its own filter', async () => {
    const channel = new Channel<Event>(10);
    const all = channel.subscribe(() => true, undefined);
    const even = channel.subscribe((e) => e.n % 2 === 0, undefined);
    expect(channel.subscribers).toBe(2);
    for (let n = 1; n <= 6; n += 1) channel.publish(event(n));
    expect(await take(all, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await take(even, 3)).toEqual([2, 4, 6]);
    // A pending next() is woken by the next publish.
    const pending = all.next();
    channel.publish(event(7));
    expect((await pending).value).toEqual(event(7));
  });

  it('replays after an eventId, or the whole replayable buffer when the id is gone', async () => {
    const channel = new Channel<Event>(3);
    for (let n = 0; n < 5; n += 1) channel.publish(event(n));
    expect(
      await take(
        channel.subscribe(() => true, '0:3'),
        1,
      ),
    ).toEqual([4]);
    expect(
      await take(
        channel.subscribe(() => true, '0:0'),
        3,
      ),
    ).toEqual([2, 3, 4]);
  });

  it('a subscriber slower than the retained backlog skips the oldest events, like a sliding buffer', async () => {
    const channel = new Channel<Event>(0);
    const slow = channel.subscribe(() => true, undefined);
    for (let n = 0; n < LIVE_BACKLOG + 5; n += 1) channel.publish(event(n));
    expect(channel.buffer.size).toBe(0);
    expect(await take(slow, 2)).toEqual([5, 6]);
  });

  it('return() ends a waiting subscriber and unregisters it', async () => {
    const channel = new Channel<Event>(10);
    const sub = channel.subscribe(() => true, undefined);
    const pending = sub.next();
    await sub.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(channel.subscribers).toBe(0);
    channel.publish(event(1));
    expect(await sub.next()).toEqual({ value: undefined, done: true });
  });

  it('subscribers hold no copy: the buffer keeps each event once however many subscribe with after', () => {
    const buffer = new ReplayBuffer<Event>(1000, LIVE_BACKLOG);
    for (let n = 0; n < 1200; n += 1) buffer.push(event(n));
    expect(buffer.size).toBe(1000);
    expect(buffer.end - buffer.oldest).toBe(1000);
    expect(buffer.startAfter('0:1100')).toBe(1101);
    expect(buffer.startAfter('0:1')).toBe(buffer.oldest);
  });
});
