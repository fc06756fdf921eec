import { StateSerdeError, UndeclaredOutputTopicError, UnknownStoreError } from './errors.ts';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import { processInputs } from './process-inputs.ts';
import type { InputRecord, OutputRecord, ProcessResult, Processor } from './processor.ts';
import type { Entry, KeyValueView, Plain, StateChange, StateCodec, StateView, StoreValues } from './state.ts';

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

export interface PipeOptions {
  readonly key?: string | null;
  readonly timestampMs?: number;
  readonly topic?: string;
}

export interface TestDriver<S extends StoreValues, In, Out> {
  /** Processes one record, applies its state changes, returns its outputs. */
  pipe(value: In, options?: PipeOptions): readonly OutputRecord<Out>[];
  pipeAll(values: Iterable<In>): void;
  /**
   * Processes records as the runtime processes the inputs of one Kafka record: one all-or-nothing call
   * (`processBatch` when the processor has it, see processInputs). Returns their outputs.
   */
  pipeBatch(values: readonly In[], options?: PipeOptions): readonly OutputRecord<Out>[];
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
  readonly stats: { readonly records: number; readonly stateChanges: number; readonly outputs: number };
}

/**
 * Runs a processor without Kafka, as Kafka Streams' TopologyTestDriver does: feed records, state changes land in
 * in-memory stores, outputs are collected. It also serves backfills and benchmarks, which run the same processor.
 */
export function createTestDriver<S extends StoreValues, In, Out>(
  processor: Processor<S, In, Out>,
  options: TestDriverOptions<S, Out> = {},
): TestDriver<S, In, Out> {
  const stores = {} as { [N in keyof S]: InMemoryKeyValueStore<S[N]> };
  for (const name of Object.keys(processor.stores) as (keyof S & string)[]) {
    stores[name] = new InMemoryKeyValueStore<S[typeof name]>(name, processor.stores[name].segmentPrefixLength ?? 0);
  }
  const view = stores as unknown as StateView<S>;
  const verifySerde = options.verifySerde ?? true;
  const partition = options.partition ?? 0;
  const inputTopic = options.inputTopic ?? 'input';
  let wallClockMs = options.wallClockMs ?? 0;
  let lastInputWallClockMs: number | null = null;
  let offset = 0;
  let retained: OutputRecord<Out>[] = [];
  const stats = { records: 0, stateChanges: 0, outputs: 0 };

  const storeOf = (name: string): InMemoryKeyValueStore<unknown> => {
    const store = (stores as Record<string, InMemoryKeyValueStore<unknown>>)[name];
    if (store === undefined) throw new UnknownStoreError(processor.name, name);
    return store;
  };

  const roundTrip = (store: string, key: string, value: unknown): unknown => {
    const codec = (processor.stores as Record<string, { codec: StateCodec<unknown> } | undefined>)[store]?.codec;
    if (codec === undefined) throw new UnknownStoreError(processor.name, store);
    let json: string;
    try {
      json = JSON.stringify(codec.encode(value));
    } catch (cause) {
      throw new StateSerdeError(store, key, 'encoded value is not JSON-serialisable', { cause });
    }
    return codec.decode(JSON.parse(json) as Plain, key);
  };

  const load = <N extends keyof S & string>(name: N, entries: Iterable<Entry<S[N]>>): void => {
    const store = storeOf(name);
    for (const [key, value] of entries) store.put(key, verifySerde ? roundTrip(name, key, value) : value);
  };
  for (const name of Object.keys(options.initialState ?? {}) as (keyof S & string)[]) {
    const entries = options.initialState?.[name];
    if (entries !== undefined) load(name, entries);
  }

  const outputTopics = new Set(processor.outputTopics);
  const apply = (result: ProcessResult<S, Out>): readonly OutputRecord<Out>[] => {
    let lastName: string | undefined;
    let store: InMemoryKeyValueStore<unknown> | undefined;
    for (const change of result.stateChanges as readonly StateChange<StoreValues>[]) {
      if (change.store !== lastName || store === undefined) {
        store = storeOf(change.store);
        lastName = change.store;
      }
      if (change.op === 'put')
        store.put(change.key, verifySerde ? roundTrip(change.store, change.key, change.value) : change.value);
      else store.apply(change);
    }
    stats.stateChanges += result.stateChanges.length;
    stats.outputs += result.outputs.length;
    for (const output of result.outputs) {
      if (!outputTopics.has(output.topic)) {
        throw new UndeclaredOutputTopicError(processor.name, output.topic);
      }
      if (options.onOutput !== undefined) options.onOutput(output);
      else retained.push(output);
    }
    return result.outputs;
  };

  const inputRecord = (value: In, pipeOptions: PipeOptions): InputRecord<In> => {
    stats.records++;
    lastInputWallClockMs = wallClockMs;
    return {
      topic: pipeOptions.topic ?? inputTopic,
      partition,
      offset: offset++,
      key: pipeOptions.key ?? null,
      value,
      timestampMs: pipeOptions.timestampMs ?? wallClockMs,
    };
  };

  return {
    pipe(value, pipeOptions = {}) {
      return apply(processor.process(view, inputRecord(value, pipeOptions), { wallClockMs, partition }));
    },
    pipeAll(values) {
      for (const value of values) this.pipe(value);
    },
    pipeBatch(values, pipeOptions = {}) {
      if (values.length === 0) return [];
      const records = values.map((value) => inputRecord(value, pipeOptions));
      return apply(processInputs(processor, view, records, { wallClockMs, partition }));
    },
    punctuate(punctuateOptions = {}) {
      if (processor.punctuate === undefined) return [];
      return apply(
        processor.punctuate(view, {
          wallClockMs,
          partition,
          lastInputWallClockMs,
          caughtUp: punctuateOptions.caughtUp ?? true,
          drained: punctuateOptions.drained ?? punctuateOptions.caughtUp ?? true,
        }),
      );
    },
    advanceWallClock(ms) {
      wallClockMs += ms;
    },
    get wallClockMs() {
      return wallClockMs;
    },
    outputs(topic) {
      return topic === undefined ? retained : retained.filter((o) => o.topic === topic);
    },
    drainOutputs(topic) {
      if (topic === undefined) {
        const all = retained;
        retained = [];
        return all;
      }
      const taken = retained.filter((o) => o.topic === topic);
      retained = retained.filter((o) => o.topic !== topic);
      return taken;
    },
    store(name) {
      return stores[name];
    },
    stats,
  };
}

/** A read-only view over a plain Map, for unit tests of code that only reads state. */
export function viewOf<V>(entries: Iterable<Entry<V>>): KeyValueView<V> {
  const store = new InMemoryKeyValueStore<V>('view');
  for (const [key, value] of entries) store.put(key, value);
  return store;
}
