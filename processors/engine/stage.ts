import type { ConsumedTopicName, TopicName } from '../../schemas/topics.ts';
import type { OutputRecord, Processor } from './processor.ts';
import type { StoreValues } from './state.ts';

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

/**
 * A topic each worker reads in full into one in-memory table that the stage's tasks share (Kafka Streams' global
 * table), e.g. prices or token metadata: rebuilt from its topic at every worker start, never part of a task's state
 * or changelog (ADR 0024). The stage's processor reads the same table object.
 */
export interface GlobalTable {
  readonly topic: TopicName;
  /** Adds one record of the topic (its Avro value) to the table. @throws an OraculError for a value it refuses */
  apply(value: unknown): void;
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
  readonly globals?: readonly GlobalTable[];
  /**
   * Output topics whose partition the stage computes itself (it groups records by partition before producing), with
   * the partition counts it assumes. The worker refuses to start when a topic has another count: rows would land in
   * partitions their entity's other records are not in.
   */
  readonly assumedPartitions?: Readonly<Partial<Record<TopicName, number>>>;
  /** Kafka topics of this stage's topics where they differ from the topic names (tests run on topics of their own). */
  readonly kafkaTopics?: KafkaTopics;
}

/**
 * Topic name → the Kafka topic that carries it, for the names that are not their own Kafka topic. Processors, stage
 * specs, serdes and metrics speak topic names (schemas/topics.ts); only the runtime's Kafka calls use this map.
 * Production leaves it empty, so every topic is the Kafka topic of its name.
 */
export type KafkaTopics = Readonly<Partial<Record<TopicName, string>>>;

/** The Kafka topic a stage reads or writes for a topic name. */
export function kafkaTopicOf(stage: { readonly kafkaTopics?: KafkaTopics }, topic: TopicName): string {
  return stage.kafkaTopics?.[topic] ?? topic;
}

/** A stage with its type parameters erased, as the runtime and the topology list hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStageSpec = StageSpec<any, any, any>;
