import { UndeclaredOutputTopicError, UnknownStoreError } from './errors.ts';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import { processInputs } from './process-inputs.ts';
import type { InputRecord, OutputRecord, ProcessResult, Processor } from './processor.ts';
import type { Entry, StateChange, StateView, StoreValues } from './state.ts';

export interface InMemoryTaskOptions<S extends StoreValues, Out> {
  /** Receives every output, in order. */
  readonly onOutput: (record: OutputRecord<Out>) => void;
  /** Entries loaded into stores before the first record (e.g. a seed table). */
  readonly initialState?: { readonly [N in keyof S]?: Iterable<Entry<S[N]>> };
  /** What a written value is stored as; default the value itself (the test driver round-trips it through its codec). */
  readonly storedValue?: (store: string, key: string, value: unknown) => unknown;
  /** Starting wall clock. Default 0. */
  readonly wallClockMs?: number;
  readonly partition?: number;
  readonly inputTopic?: string;
}

export interface ProcessOptions {
  readonly key?: string | null;
  readonly timestampMs?: number;
  readonly topic?: string;
}

/** What a task applied: input records, state changes (puts, deletes, range deletes) in all and per store, outputs. */
export interface InMemoryTaskStats {
  readonly records: number;
  readonly stateChanges: number;
  readonly stateChangesByStore: ReadonlyMap<string, number>;
  readonly outputs: number;
}

export interface InMemoryTask<S extends StoreValues, In, Out> {
  /** Processes values as one Kafka record's inputs (one all-or-nothing call, processInputs); returns their outputs. */
  process(values: readonly In[], options?: ProcessOptions): readonly OutputRecord<Out>[];
  /** Runs the processor's punctuation at the current wall clock (`drained` defaults to `caughtUp`, which defaults to true). */
  punctuate(options?: { readonly caughtUp?: boolean; readonly drained?: boolean }): readonly OutputRecord<Out>[];
  advanceWallClock(ms: number): void;
  readonly wallClockMs: number;
  store<N extends keyof S & string>(name: N): InMemoryKeyValueStore<S[N]>;
  readonly stats: InMemoryTaskStats;
}

/**
 * One stream task without Kafka: a processor over in-memory stores, fed records and punctuated by its caller. What
 * `oracul recompute` runs the stream's processors on, and what the test driver builds on; the Kafka task
 * (streamTask.ts) runs the same processors through the same `processInputs`.
 */
export function createInMemoryTask<S extends StoreValues, In, Out>(
  processor: Processor<S, In, Out>,
  options: InMemoryTaskOptions<S, Out>,
): InMemoryTask<S, In, Out> {
  const stores = storesOf(processor);
  const view = stores as unknown as StateView<S>;
  const storedValue = options.storedValue ?? ((_store, _key, value) => value);
  const partition = options.partition ?? 0;
  let wallClockMs = options.wallClockMs ?? 0;
  let lastInputWallClockMs: number | null = null;
  let offset = 0;
  const stats = { records: 0, stateChanges: 0, outputs: 0, stateChangesByStore: new Map<string, number>() };
  const outputTopics = new Set(processor.outputTopics);
  const storeOf = (name: string): InMemoryKeyValueStore<unknown> => {
    const store = (stores as Record<string, InMemoryKeyValueStore<unknown>>)[name];
    if (store === undefined) throw new UnknownStoreError(processor.name, name);
    return store;
  };
  for (const [name, entries] of Object.entries(options.initialState ?? {}) as [string, Iterable<Entry<unknown>>][])
    for (const [key, value] of entries) storeOf(name).put(key, storedValue(name, key, value));

  const apply = (result: ProcessResult<S, Out>): readonly OutputRecord<Out>[] => {
    for (const change of result.stateChanges as readonly StateChange<StoreValues>[]) {
      const store = storeOf(change.store);
      if (change.op === 'put') store.put(change.key, storedValue(change.store, change.key, change.value));
      else store.apply(change);
    }
    stats.stateChanges += result.stateChanges.length;
    for (const { store } of result.stateChanges)
      stats.stateChangesByStore.set(store, (stats.stateChangesByStore.get(store) ?? 0) + 1);
    stats.outputs += result.outputs.length;
    for (const output of result.outputs) {
      if (!outputTopics.has(output.topic)) throw new UndeclaredOutputTopicError(processor.name, output.topic);
      options.onOutput(output);
    }
    return result.outputs;
  };

  return {
    process(values, processOptions = {}) {
      if (values.length === 0) return [];
      stats.records += values.length;
      lastInputWallClockMs = wallClockMs;
      const records = values.map((value): InputRecord<In> => ({
        topic: processOptions.topic ?? options.inputTopic ?? 'input',
        partition,
        offset: offset++,
        key: processOptions.key ?? null,
        value,
        timestampMs: processOptions.timestampMs ?? wallClockMs,
      }));
      return apply(processInputs(processor, view, records, { wallClockMs, partition }));
    },
    punctuate(punctuateOptions = {}) {
      if (processor.punctuate === undefined) return [];
      const caughtUp = punctuateOptions.caughtUp ?? true;
      const ctx = { wallClockMs, partition, lastInputWallClockMs, caughtUp, drained: punctuateOptions.drained ?? caughtUp };
      return apply(processor.punctuate(view, ctx));
    },
    advanceWallClock(ms) {
      wallClockMs += ms;
    },
    get wallClockMs() {
      return wallClockMs;
    },
    store: (name) => stores[name],
    stats,
  };
}

function storesOf<S extends StoreValues>(
  processor: Processor<S, unknown, unknown>,
): { [N in keyof S]: InMemoryKeyValueStore<S[N]> } {
  const stores = {} as { [N in keyof S]: InMemoryKeyValueStore<S[N]> };
  for (const name of Object.keys(processor.stores) as (keyof S & string)[]) {
    stores[name] = new InMemoryKeyValueStore<S[typeof name]>(name, processor.stores[name].segmentPrefixLength ?? 0);
  }
  return stores;
}
