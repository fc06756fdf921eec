import DataLoader from 'dataloader';

/** How reads of one statement are coalesced (gateway.readBatch). */
export interface CoalescingOptions {
  /** Statements of this kind in flight at once; reads that arrive meanwhile wait and go out together. */
  readonly maxInFlight: number;
  /** Most reads answered by one statement. */
  readonly maxBatch: number;
}

/**
 * A DataLoader for warehouse reads whose batches go out as soon as a slot is free, not on a timer: while
 * `maxInFlight` statements run, new reads queue into the next batch. An idle gateway therefore sends every read
 * alone, at once (no added latency), and a loaded one sends fewer, larger statements; the engine's fixed cost per
 * statement (planning, opening parts, the endpoint's HTTP work) is shared by the reads of a batch, so the cost per
 * read falls as the rate rises instead of the queue growing. Results are never cached here (cache: false): the
 * finalized-day cache decides what may be reused. A batch calls `answered` when its statements have answered: what it
 * does with the answers after that (split, parse) no longer holds the next statement back.
 */
export function coalescedLoader<K, V>(
  batch: (keys: readonly K[], answered: () => void) => Promise<readonly (V | Error)[]>,
  options: CoalescingOptions,
): DataLoader<K, V> {
  const slots = new Slots(options.maxInFlight);
  return new DataLoader<K, V>(
    async (keys) => {
      // The slot is the statement's: `answered` frees it once the warehouse has answered, so the next statement
      // goes out while this answer is still being split and parsed (at the latest, when the batch settles).
      let held = true;
      const answered = () => {
        if (held) slots.release();
        held = false;
      };
      try {
        return await batch(keys, answered);
      } finally {
        answered();
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatch,
      batchScheduleFn: (dispatch) => slots.acquire(() => process.nextTick(dispatch)),
    },
  );
}

/** A counting semaphore whose waiters run in arrival order; a released slot passes straight to the next waiter. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  acquire(run: () => void): void {
    if (this.used < this.max) {
      this.used += 1;
      run();
    } else {
      this.waiting.push(run);
    }
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used -= 1;
  }
}

/**
 * Splits reads into rounds in which each entity appears once: one statement answers one range per entity. Identical
 * reads share their round's entry; reads of an entity with different arguments go to later rounds. `roundOf[i]` is
 * the round that answers `keys[i]`.
 */
export function roundsByEntity<K>(
  keys: readonly K[],
  entityOf: (key: K) => string,
  same: (a: K, b: K) => boolean,
): { rounds: K[][]; roundOf: number[] } {
  const rounds: Map<string, K>[] = [];
  const roundOf = keys.map((key) => {
    const entity = entityOf(key);
    let index = rounds.findIndex((round) => {
      const held = round.get(entity);
      return held === undefined || same(held, key);
    });
    if (index === -1) index = rounds.push(new Map()) - 1;
    if (!rounds[index]!.has(entity)) rounds[index]!.set(entity, key);
    return index;
  });
  return { rounds: rounds.map((round) => [...round.values()]), roundOf };
}
