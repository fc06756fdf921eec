import { describe, expect, it } from 'vitest';
import type { NativeHandle, NativeStreamChunk } from './engine-binding.ts';
import { nativeResultStream } from './engine-stream.ts';

const handle = {} as NativeHandle;
const chunk = (text: string): NativeStreamChunk => ({ done: false, bytes: Buffer.from(text), numRows: 1 });
const done: NativeStreamChunk = { done: true, bytes: Buffer.alloc(0), numRows: 0 };

function fake(chunks: NativeStreamChunk[]) {
  const events: string[] = [];
  let pending: (() => void) | undefined;
  const native = {
    StreamFetch: () => {
      events.push('fetch');
      const next = chunks.shift() ?? done;
      return new Promise<NativeStreamChunk>((resolve) => {
        pending = () => resolve(next);
      });
    },
    StreamCancel: () => {
      events.push('cancel');
    },
  };
  return { native, events, resolveFetch: () => pending?.() };
}

describe('nativeResultStream', () => {
  it('yields the first chunk, then fetches until done, and reports completion', async () => {
    const { native, events, resolveFetch } = fake([chunk('b')]);
    let closed: boolean | undefined;
    const stream = nativeResultStream({ native, handle, first: chunk('a'), track: (p) => p, onClosed: (c) => (closed = c) });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const bytes of stream.chunks) seen.push(bytes.toString());
    })();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1));
      resolveFetch();
    }
    await reading;
    expect(seen).toEqual(['a', 'b']);
    expect(events).toEqual(['fetch', 'fetch', 'cancel']);
    expect(closed).toBe(true);
    expect(stream.stats.resultRows).toBe(2);
  });

  it('does not fetch again after an empty first result', async () => {
    const { native, events } = fake([]);
    let closed: boolean | undefined;
    const stream = nativeResultStream({ native, handle, first: undefined, track: (p) => p, onClosed: (c) => (closed = c) });
    for await (const bytes of stream.chunks) void bytes;
    expect(events).toEqual(['cancel']);
    expect(closed).toBe(true);
  });

  it('cancels only after a fetch in flight settles, and reports the stream as cut', async () => {
    const { native, events, resolveFetch } = fake([chunk('b')]);
    let closed: boolean | undefined;
    const stream = nativeResultStream({ native, handle, first: chunk('a'), track: (p) => p, onClosed: (c) => (closed = c) });
    const iterator = stream.chunks[Symbol.asyncIterator]();
    await iterator.next(); // 'a'
    const second = iterator.next(); // starts a fetch
    await new Promise((r) => setTimeout(r, 1));
    stream.cancel();
    expect(events).toEqual(['fetch']);
    resolveFetch();
    await second;
    await new Promise((r) => setTimeout(r, 1));
    expect(events).toEqual(['fetch', 'cancel']);
    expect(closed).toBe(false);
  });
});
