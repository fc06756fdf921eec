import type { StateChange, StateView, StoreSpecs, StoreValues } from './state.ts';

/**
 * The Processor API. A processor is a pure function of (read-only state view, one input record, context) →
 * (state changes, output records). It performs no I/O, keeps no mutable fields and reads the clock only from
 * its context, so the Kafka runtime, a backfill and the in-memory test driver run the same code and a replay of
 * the same inputs over the same state yields the same result.
 *
 * Lifecycle contract (the runtime's side, cf. Kafka Streams `Processor`): the runtime applies the returned
 * state changes and produces the outputs atomically with committing the input offset; it never calls `process`
 * concurrently for one task; a processor must not retain the view or the result between calls.
 */

/** One consumed record. `value` is already deserialised; `timestampMs` is the Kafka record timestamp. */
export interface InputRecord<V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: V;
  readonly timestampMs: number;
}

/** One record to produce. The runtime serialises `value` with the topic's serde. */
export interface OutputRecord<V> {
  readonly topic: string;
  readonly key: string;
  readonly value: V;
}

export interface ProcessorContext {
  /** Wall clock at processing time. Never used for event-time decisions; available for diagnostics. */
  readonly wallClockMs: number;
  readonly partition: number;
}

/** Context of a punctuation: the runtime calls `punctuate` before every commit and on a wall-clock timer. */
export interface PunctuateContext extends ProcessorContext {
  /** Wall clock of the last input record of this task, or null if none yet since start. */
  readonly lastInputWallClockMs: number | null;
  /**
   * True only when the task has consumed everything upstream has produced and upstream reports it is live
   * (at chain head). Idle-partition watermark advance is allowed only then: never during a backfill.
   */
  readonly caughtUp: boolean;
  /**
   * True when the task has consumed everything in its input partition so far (no backlog), live or not. Throttles
   * that exist for backlogs (e.g. the aggregates' `updateIntervalMs`) do not apply then: what is processed shows.
   */
  readonly drained: boolean;
}

export interface ProcessResult<S extends StoreValues, Out> {
  readonly stateChanges: readonly StateChange<S>[];
  readonly outputs: readonly OutputRecord<Out>[];
}

export interface Processor<S extends StoreValues, In, Out> {
  /** Unique within a topology; prefixes store changelog topics (`<app>-<name>-<store>-changelog`). */
  readonly name: string;
  /** The stores this processor reads and writes; using any other store is a wiring error. */
  readonly stores: StoreSpecs<S>;
  /** Topics this processor may produce to. */
  readonly outputTopics: readonly string[];
  process(state: StateView<S>, record: InputRecord<In>, ctx: ProcessorContext): ProcessResult<S, Out>;
  /**
   * Several records in one call (the inputs one Kafka record stands for, a block's transfer legs): the same result as
   * `process` over each record in order with its changes applied before the next, all-or-nothing. Optional: a
   * processor defines it when one call per batch saves what it costs per call (its transaction, the clock, memoised
   * reads); {@link processInputs} falls back to `process`.
   */
  processBatch?(state: StateView<S>, records: readonly InputRecord<In>[], ctx: ProcessorContext): ProcessResult<S, Out>;
  /** Time-driven work: emitting coalesced updates, idle-partition watermark advance, closing windows. */
  punctuate?(state: StateView<S>, ctx: PunctuateContext): ProcessResult<S, Out>;
}
