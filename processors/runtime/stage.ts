import type { ConsumedTopicName, TopicName } from '../../schemas/topics.ts';
import type { OutputRecord, Processor } from '../core/processor.ts';
import type { StoreValues } from '../core/state.ts';

/**
 * One stage of the topology: a processor bound to an input topic, with the mapping between the topics' Avro
 * values and the processor's domain types. The runtime (streamWorker) runs one task per input partition.
 * Values cross this boundary as `unknown`: the serde of the topic produced them, the stage narrows them.
 */

export interface InputMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly timestampMs: number;
}

/** A topic every task of the stage reads in full (Kafka Streams' global table), e.g. prices or token metadata. */
export interface GlobalInput<In> {
  readonly topic: TopicName;
  /** The Avro value → a processor input, or null to ignore the record. */
  toInput(value: unknown): In | null;
}

export interface AvroOutput {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
}

export interface StageSpec<S extends StoreValues, In, Out> {
  /** Processor name; also the consumer group suffix and the changelog topic infix. */
  readonly name: string;
  readonly inputTopic: ConsumedTopicName;
  readonly processor: Processor<S, In, Out>;
  /** One Avro record → the processor inputs it stands for (a block's logs, a transfer's address legs). */
  toInputs(value: unknown, meta: InputMeta): readonly In[];
  /** A processor output → the Avro record to produce. */
  toAvro(output: OutputRecord<Out>): AvroOutput;
  readonly globals?: readonly GlobalInput<In>[];
}

/** A stage with its type parameters erased, as the runtime and the topology list hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStageSpec = StageSpec<any, any, any>;
