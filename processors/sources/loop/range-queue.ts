/**
 * Block ranges fetched concurrently and consumed in block order: the fetch pipeline of both block sources.
 * `fill()` starts ranges from the next unscheduled block up to `target()` while fewer than `concurrency` are in
 * flight; the consumer takes them with `shift()` in order, and may look at the next one (`peek()`) to join it to
 * the same Kafka transaction once it is ready.
 */
export interface InFlightRange<T> {
  readonly from: number;
  readonly to: number;
  readonly promise: Promise<T>;
  /** Fetched or failed (a failure is thrown where the range is awaited, in order). */
  settled: boolean;
  /** Set once fetched. */
  result?: T;
}

export interface RangeQueue<T> {
  readonly length: number;
  fill(): void;
  shift(): InFlightRange<T> | undefined;
  peek(): InFlightRange<T> | undefined;
  /** The run ended: failures of ranges still in flight are nobody's to handle. */
  abandon(): void;
}

export function createRangeQueue<T>(p: {
  /** First block to schedule. */
  first: number;
  concurrency: number;
  /** Highest block that may be scheduled now. */
  target: () => number;
  /** Blocks per range (read for each new range: it may adapt). */
  size: () => number;
  start: (from: number, to: number) => Promise<T>;
}): RangeQueue<T> {
  const inflight: InFlightRange<T>[] = [];
  let scheduled = p.first;
  return {
    get length() {
      return inflight.length;
    },
    fill() {
      while (inflight.length < p.concurrency && scheduled <= p.target()) {
        const from = scheduled;
        const to = Math.min(from + p.size() - 1, p.target());
        const entry: InFlightRange<T> = { from, to, promise: p.start(from, to), settled: false };
        entry.promise.then(
          (result) => {
            entry.result = result;
            entry.settled = true;
          },
          () => (entry.settled = true), // awaited in order by the consumer
        );
        inflight.push(entry);
        scheduled = to + 1;
      }
    },
    shift: () => inflight.shift(),
    peek: () => inflight[0],
    abandon() {
      for (const f of inflight) f.promise.catch(() => undefined);
    },
  };
}
