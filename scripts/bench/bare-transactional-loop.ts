import { performance } from 'node:perf_hooks';
import type { Admin, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { chunkBySize } from '../../processors/engine/streamTask.ts';
import { stageConsumerConfig } from '../../processors/engine/streamWorker.ts';

/**
 * The pipeline bench's paired baseline (issue 14): the Kafka part of the stages alone. A consumer group reads the
 * stages' input topics with the same client and consumer settings as a stream worker, and for every fetched batch one
 * transaction (one transactional producer per input partition, as tasks have) produces as many records of the same
 * size as the stages produced per input record (measured in the main run) and sends the input offsets. No Avro, no
 * state, no processing: what the pipeline would cost if its processors were free.
 */

export interface BareLoopParameters {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly logger: Logger;
  readonly appId: string;
  readonly inputTopics: readonly string[];
  readonly inputRecords: number;
  /** Records the stages produced per input record (outputs and changelogs), and their mean size. */
  readonly outputsPerInput: number;
  readonly bytesPerOutput: number;
  readonly partitions: number;
}

export interface BareLoopResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly transactions: number;
  readonly producedRecords: number;
}

export async function runBareTransactionalLoop(params: BareLoopParameters): Promise<BareLoopResult> {
  const outputTopic = `${params.appId}-bare-out`;
  const { admin, logger } = params;
  await ensureTopics(
    admin,
    [{ name: outputTopic, partitions: params.partitions, replicationFactor: 1, cleanupPolicy: 'delete' }],
    logger,
  );
  const loop = new BareLoop(params, outputTopic);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  try {
    await loop.run();
    const cpu = process.cpuUsage(cpu0);
    return {
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      transactions: loop.transactions,
      producedRecords: loop.produced,
    };
  } finally {
    await loop.close();
  }
}

class BareLoop {
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Per input partition: the fractional output records carried to its next batch. */
  private readonly carry = new Map<string, number>();
  private readonly value: Buffer;
  private readonly consumer;
  private consumed = 0;
  transactions = 0;
  produced = 0;

  constructor(
    private readonly params: BareLoopParameters,
    private readonly outputTopic: string,
  ) {
    this.value = Buffer.alloc(Math.max(1, Math.round(params.bytesPerOutput)), 7);
    this.consumer = params.kafka.consumer(stageConsumerConfig(`${params.appId}-bare`));
  }

  async run(): Promise<void> {
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.params.inputTopics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async (payload) => {
        await this.transaction(payload);
        if (this.consumed >= this.params.inputRecords) done();
      },
    });
    await finished;
  }

  /** One fetched batch: its share of output records and its input offset, in one transaction. */
  private async transaction({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const id = `${batch.topic}-${batch.partition}`;
    const wanted = batch.messages.length * this.params.outputsPerInput + (this.carry.get(id) ?? 0);
    const count = Math.floor(wanted);
    this.carry.set(id, wanted - count);
    const messages: Message[] = [];
    for (let i = 0; i < count; i++)
      messages.push({ key: batch.messages[i % batch.messages.length]?.key ?? null, value: this.value });
    const producer = await this.producerFor(id);
    const txn = await producer.transaction();
    for (const request of chunkBySize(new Map([[this.outputTopic, messages]]), 512 * 1024))
      await txn.sendBatch({ topicMessages: request, acks: -1 });
    await txn.sendOffsets({
      consumerGroupId: `${this.params.appId}-bare`,
      topics: [
        { topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] },
      ],
    });
    await txn.commit();
    resolveOffset(batch.lastOffset());
    await heartbeat();
    this.transactions++;
    this.produced += count;
    this.consumed += batch.messages.length;
  }

  private producerFor(id: string): Promise<Producer> {
    let producer = this.producers.get(id);
    if (producer === undefined) {
      const created = this.params.kafka.producer({
        transactionalId: `${this.params.appId}-bare-${id}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      producer = created.connect().then(() => created);
      this.producers.set(id, producer);
    }
    return producer;
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    for (const producer of this.producers.values()) await (await producer).disconnect().catch(() => undefined);
  }
}
