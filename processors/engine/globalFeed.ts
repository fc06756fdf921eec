import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { superviseConsumer, type SupervisedConsumer } from '../../core/kafka/supervised-consumer.ts';
import type { Serde } from '../../schemas/serde.ts';

export interface GlobalFeedParameters<T> {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly topic: string;
  readonly serde: Serde<T>;
  /** Adds one read value to the table the stage's tasks share (stage.ts GlobalTable). */
  readonly apply: (value: T) => void;
}

/**
 * A topic read in full by every worker into the stage's global table (Kafka Streams' global table): price ticks,
 * token metadata. Each value is applied to the table as it is read, once per worker, not once per task, and it is
 * never written to a task's state or changelog (ADR 0024). `ready` resolves once the feed has read everything that
 * was in the topic when it started (bootstrap); the worker starts no task before. A value that cannot be decoded or
 * that the table refuses is logged with its offset and skipped (counted). A consumer that kafkajs gives up on is
 * replaced and goes on from the last position read.
 */
export class GlobalFeed<T> {
  /** Values applied to the table. */
  applied = 0;
  private consumer: SupervisedConsumer | undefined;
  private readonly positions = new Map<number, number>();
  private ends = new Map<number, number>();
  private readyResolve: (() => void) | undefined;
  readonly ready: Promise<void>;
  /** Values skipped: not decodable, or refused by the table. */
  skipped = 0;
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  readonly topic: string;
  private readonly serde: Serde<T>;
  private readonly apply: (value: T) => void;

  constructor(params: GlobalFeedParameters<T>) {
    ({ kafka: this.kafka, logger: this.logger, topic: this.topic, serde: this.serde, apply: this.apply } = params);
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      this.ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
    this.consumer = superviseConsumer({
      name: `global feed ${this.topic}`,
      logger: this.logger,
      create: () => this.createConsumer(),
      run: (consumer) => this.run(consumer),
    });
    await this.consumer.start();
    this.checkReady();
    // A source's open transaction holds the readable end (last stable offset) below the high watermark until it
    // commits; wait for it, bounded, then start with what was read (later entries are injected as they come).
    const deadline = Date.now() + 120_000;
    while (this.readyResolve !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (this.readyResolve !== undefined) {
      this.logger.warn({ msg: 'global feed bootstrap timed out: starting with what was read', topic: this.topic });
      this.markReady();
    }
  }

  private createConsumer(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: `oracul-global-${this.topic}-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
    // Every fetched batch, including marker-only ones eachBatch never sees, moves the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      this.advance(event.payload.partition, Number(event.payload.lastOffset) + 1);
      this.checkReady();
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          // Already read by a consumer this one replaced (its first fetch can race the seek below).
          if (Number(message.offset) < (this.positions.get(batch.partition) ?? 0)) continue;
          if (message.value !== null) await this.applyValue(message.value, batch.partition, message.offset);
          // Per record, so a replacement consumer (after a crash) neither skips nor repeats a value.
          this.advance(batch.partition, Number(message.offset) + 1);
        }
        this.advance(batch.partition, Number(batch.lastOffset()) + 1);
        this.checkReady();
      },
    });
    // A replacement after a crash goes on where the previous consumer stopped (the group commits nothing).
    for (const [partition, offset] of this.positions) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
  }

  private async applyValue(bytes: Buffer, partition: number, offset: string): Promise<void> {
    try {
      this.apply(await this.serde.deserialize(bytes));
      this.applied++;
    } catch (error) {
      this.skipped++;
      this.logger.error({ msg: 'global table record not applied: skipped', topic: this.topic, partition, offset, err: error });
    }
  }

  private advance(partition: number, next: number): void {
    this.positions.set(partition, Math.max(this.positions.get(partition) ?? 0, next));
  }

  private checkReady(): void {
    if ([...this.ends].every(([p, end]) => end === 0 || (this.positions.get(p) ?? 0) >= end)) this.markReady();
  }

  private markReady(): void {
    if (this.readyResolve === undefined) return;
    this.readyResolve();
    this.readyResolve = undefined;
    this.logger.info({ msg: 'global table bootstrapped', topic: this.topic, records: this.applied, skipped: this.skipped });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop().catch(() => undefined);
  }
}
