import { StateSerdeError, UnknownStoreError } from './errors.ts';
import { createInMemoryTask, type InMemoryTaskStats, type ProcessOptions } from './inMemoryTask.ts';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import type { OutputRecord, Processor } from './processor.ts';
import type { Entry, KeyValueView, Plain, StateCodec, StoreValues } from './state.ts';

export interface TestDriverOptions<S extends StoreValues, Out> {
  /** Entries loaded into stores before the first record (e.g. a seed table). */
  readonly initialState?: { readonly [N in keyof S]?: Iterable<Entry<S[N]>> };
  /**
   * Round-trip every written value through codec → JSON → codec and store the decoded copy. Proves state is
   * serialisable (bigints included) and catches a processor mutating a value after returning it. Default true.
   */
  readonly verifySerde?: boolean;
  /** Starting wall clock. Default 0. */
  readonly wallClockMs?: number;
  readonly partition?: number;
  readonly inputTopic?: string;
  /** Called with every output; when set, outputs are not retained (long runs, benchmarks). */
  readonly onOutput?: (record: OutputRecord<Out>) => void;
}

export interface TestDriver<S extends StoreValues, In, Out> {
  /** Processes one record, applies its state changes, returns its outputs. */
  pipe(value: In, options?: ProcessOptions): readonly OutputRecord<Out>[];
  pipeAll(values: Iterable<In>): void;
  /**
   * Processes records as the runtime processes the inputs of one Kafka record: one all-or-nothing call
   * (`processBatch` when the processor has it, see processInputs). Returns their outputs.
   */
  pipeBatch(values: readonly In[], options?: ProcessOptions): readonly OutputRecord<Out>[];
  /**
   * Runs the processor's punctuation at the current wall clock. `caughtUp` defaults to true; `drained` (no backlog)
   * defaults to `caughtUp`.
   */
  punctuate(options?: { readonly caughtUp?: boolean; readonly drained?: boolean }): readonly OutputRecord<Out>[];
  advanceWallClock(ms: number): void;
  readonly wallClockMs: number;
  /** Retained outputs, optionally of one topic. */
  outputs(topic?: string): readonly OutputRecord<Out>[];
  /** Returns and forgets retained outputs, optionally of one topic. */
  drainOutputs(topic?: string): OutputRecord<Out>[];
  store<N extends keyof S & string>(name: N): InMemoryKeyValueStore<S[N]>;
  readonly stats: InMemoryTaskStats;
}

/**
 * Runs a processor without Kafka, as Kafka Streams' TopologyTestDriver does: feed records, state changes land in
 * in-memory stores (an {@link createInMemoryTask in-memory task}), outputs are collected. On top of the task it proves
 * state serialisable (`verifySerde`) and keeps the outputs for assertions.
 */
export function createTestDriver<S extends StoreValues, In, Out>(
  processor: Processor<S, In, Out>,
  options: TestDriverOptions<S, Out> = {},
): TestDriver<S, In, Out> {
  let retained: OutputRecord<Out>[] = [];
  const task = createInMemoryTask(processor, {
    onOutput: options.onOutput ?? ((output) => void retained.push(output)),
    initialState: options.initialState,
    storedValue: options.verifySerde === false ? undefined : (store, key, value) => roundTrip(processor, store, key, value),
    wallClockMs: options.wallClockMs,
    partition: options.partition,
    inputTopic: options.inputTopic,
  });
  return {
    pipe: (value, pipeOptions) => task.process([value], pipeOptions),
    pipeAll(values) {
      for (const value of values) task.process([value]);
    },
    pipeBatch: (values, pipeOptions) => task.process(values, pipeOptions),
    punctuate: (punctuateOptions) => task.punctuate(punctuateOptions),
    advanceWallClock: (ms) => task.advanceWallClock(ms),
    get wallClockMs() {
      return task.wallClockMs;
    },
    outputs: (topic) => (topic === undefined ? retained : retained.filter((o) => o.topic === topic)),
    drainOutputs(topic) {
      const taken = topic === undefined ? retained : retained.filter((o) => o.topic === topic);
      retained = topic === undefined ? [] : retained.filter((o) => o.topic !== topic);
      return taken;
    },
    store: (name) => task.store(name),
    stats: task.stats,
  };
}

/** A value as it would come back from a store: codec → JSON → codec (bigints and mutation caught here, not in LMDB). */
function roundTrip<S extends StoreValues>(
  processor: Processor<S, unknown, unknown>,
  store: string,
  key: string,
  value: unknown,
): unknown {
  const codec = (processor.stores as Record<string, { codec: StateCodec<unknown> } | undefined>)[store]?.codec;
  if (codec === undefined) throw new UnknownStoreError(processor.name, store);
  let json: string;
  try {
    json = JSON.stringify(codec.encode(value));
  } catch (cause) {
    throw new StateSerdeError(store, key, 'encoded value is not JSON-serialisable', { cause });
  }
  return codec.decode(JSON.parse(json) as Plain, key);
}

/** A read-only view over a plain Map, for unit tests of code that only reads state. */
export function viewOf<V>(entries: Iterable<Entry<V>>): KeyValueView<V> {
  const store = new InMemoryKeyValueStore<V>('view');
  for (const [key, value] of entries) store.put(key, value);
  return store;
}
