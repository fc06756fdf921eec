import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { Consumer, Kafka } from 'kafkajs';
import { LRUCache } from 'lru-cache';
import { superviseConsumer, type SupervisedConsumer } from '../core/kafka/supervised-consumer.ts';
import type { Logger } from '../core/logger.ts';
import type { AddressFlowsDaily, Anomaly, Serdes, TokenMetricsDaily } from '../schemas/index.ts';
import { GATEWAY_ERROR_CODES, gatewayError } from './errors.ts';

/** One record of a subscribed topic as the gateway received it. */
export interface LiveEvent<T> {
  /** `<partition>:<offset>` in the topic: pass it back as `after` to resume. */
  eventId: string;
  /** Kafka record timestamp (the producer's send time), epoch ms. */
  publishedAt: number;
  /** When the gateway decoded it, epoch ms. */
  receivedAt: number;
  value: T;
}

export type AnomalyEventKind = 'NEW' | 'ESCALATED';
export interface AnomalyEvent extends LiveEvent<Anomaly> {
  kind: AnomalyEventKind;
}
export type TokenMetricsEvent = LiveEvent<TokenMetricsDaily>;

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3 };
export const severityRank = (severity: string): number => SEVERITY_RANK[severity] ?? 0;

const EVENT_ID = /^\d{1,6}:\d{1,20}$/;

/** A bounded, ordered history of one topic's events, for reconnecting clients. */
export class ReplayBuffer<E extends { eventId: string }> {
  private readonly items: E[] = [];
  constructor(readonly capacity: number) {}

  push(event: E): void {
    if (this.capacity === 0) return;
    this.items.push(event);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /**
   * Events after `eventId`. If the id is no longer (or never was) in the buffer, every
   * buffered event: the client may see some twice and deduplicates by eventId.
   */
  after(eventId: string): E[] {
    const index = this.items.findIndex((e) => e.eventId === eventId);
    return index === -1 ? [...this.items] : this.items.slice(index + 1);
  }

  get size(): number {
    return this.items.length;
  }
}

type Listener<E> = (event: E) => void;

/** Fan-out of one source to any number of subscribers, with replay from the buffer. */
class Channel<E extends { eventId: string }> {
  readonly buffer: ReplayBuffer<E>;
  private readonly listeners = new Set<Listener<E>>();
  constructor(capacity: number) {
    this.buffer = new ReplayBuffer<E>(capacity);
  }

  publish(event: E): void {
    this.buffer.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Missed events after `after` (if given), then live ones, each passing `accept`. */
  subscribe(accept: (event: E) => boolean, after: string | undefined): AsyncIterable<E> {
    if (after !== undefined && !EVENT_ID.test(after)) {
      throw gatewayError(GATEWAY_ERROR_CODES.invalidCursor, 'after must be an eventId (<partition>:<offset>)');
    }
    // Replay and live registration happen synchronously, so nothing published in between is lost.
    return new Repeater<E>(async (push, stop) => {
      const replay = after === undefined ? [] : this.buffer.after(after).filter(accept);
      for (const event of replay) void push(event);
      const listener: Listener<E> = (event) => {
        if (accept(event)) void push(event);
      };
      this.listeners.add(listener);
      await stop;
      this.listeners.delete(listener);
    }, new SlidingBuffer(1_000));
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

export interface LiveFeedParameters {
  kafka: Kafka;
  serdes: Serdes;
  logger: Logger;
  clientId: string;
  replayBufferSize: number;
  /** A new version of a token's or address's day was published (cache invalidation). */
  onMartUpdate?: (entity: string, day: string) => void;
}

export interface AnomalySubscriptionFilter {
  minSeverity: string | undefined;
  entityType: string | undefined;
  entityId: string | undefined;
}

const TOPICS = ['anomalies', 'token.metrics.daily', 'address.flows.daily'] as const;

export function epochDayToIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The gateway's one Kafka consumer. Its group id is unique to this instance, so each
 * gateway instance receives every partition, from the latest offset at start; events
 * fan out in memory to every subscriber, and the last `replayBufferSize` events per
 * topic are kept for clients that reconnect with the last eventId they saw. A consumer
 * that kafkajs gives up on is replaced (core/kafka/supervised-consumer.ts) and the new
 * one goes on from the last offsets this instance received, so subscribers miss nothing.
 */
export class LiveFeed {
  readonly anomalies: Channel<AnomalyEvent>;
  readonly tokenMetrics: Channel<TokenMetricsEvent>;
  /** Latest severity rank seen per anomaly_id: a new version only fans out when it is new or escalated. */
  private readonly seen = new LRUCache<string, number>({ max: 200_000 });
  private readonly consumer: SupervisedConsumer;
  private readonly logger: Logger;
  private readonly params: LiveFeedParameters;
  /** Next offset per topic partition, so a replacement consumer goes on where the crashed one stopped. */
  private readonly positions = new Map<string, { topic: string; partition: number; offset: string }>();
  private running = false;
  private assigned = false;
  readonly groupId: string;

  constructor(params: LiveFeedParameters) {
    this.params = params;
    this.logger = params.logger;
    this.anomalies = new Channel<AnomalyEvent>(params.replayBufferSize);
    this.tokenMetrics = new Channel<TokenMetricsEvent>(params.replayBufferSize);
    this.groupId = `${params.clientId}-gateway-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.consumer = superviseConsumer({
      name: this.groupId,
      logger: this.logger,
      create: () => this.createConsumer(),
      run: (consumer) => this.run(consumer),
      onCrash: () => {
        this.running = false;
      },
    });
  }

  /** Consumer connected and partitions assigned: events produced from now on are delivered. */
  get ready(): boolean {
    return this.running && this.assigned;
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  private createConsumer(): Consumer {
    const consumer = this.params.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // Also after kafkajs restarted the consumer following a retriable crash.
      this.assigned = true;
      this.running = true;
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [...TOPICS], fromBeginning: false });
    await consumer.run({
      // Nothing to resume from: each start reads from the latest offsets, so the group keeps no
      // committed offsets and disappears from the broker once this instance leaves.
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        // Already delivered by a consumer this one replaced (its first fetch can race the seek below).
        const seen = this.positions.get(`${topic}:${partition}`);
        if (seen !== undefined && BigInt(message.offset) < BigInt(seen.offset)) return;
        this.positions.set(`${topic}:${partition}`, { topic, partition, offset: (BigInt(message.offset) + 1n).toString() });
        if (!message.value) return;
        await this.onMessage(topic, partition, message.offset, Number(message.timestamp), message.value);
      },
    });
    // A replacement after a crash: resume where the previous consumer stopped, not at the latest offsets.
    for (const position of this.positions.values()) consumer.seek(position);
    this.running = true;
  }

  private async onMessage(topic: string, partition: number, offset: string, publishedAt: number, bytes: Buffer): Promise<void> {
    const eventId = `${partition}:${offset}`;
    try {
      if (topic === 'anomalies') {
        const value = await this.params.serdes.forTopic('anomalies').deserialize(bytes);
        this.onAnomaly({ eventId, publishedAt, receivedAt: Date.now(), value });
      } else if (topic === 'token.metrics.daily') {
        const value = await this.params.serdes.forTopic('token.metrics.daily').deserialize(bytes);
        this.params.onMartUpdate?.(`token:${value.token_address}`, epochDayToIso(value.date));
        this.tokenMetrics.publish({ eventId, publishedAt, receivedAt: Date.now(), value });
      } else {
        const value: AddressFlowsDaily = await this.params.serdes.forTopic('address.flows.daily').deserialize(bytes);
        this.params.onMartUpdate?.(`address:${value.address}`, epochDayToIso(value.date));
      }
    } catch (error) {
      // A record the gateway cannot decode is the pipeline's concern (its DLQ); skip it here.
      this.logger.warn({ msg: 'live feed skipped an undecodable record', topic, partition, offset, err: error });
    }
  }

  private onAnomaly(event: LiveEvent<Anomaly>): void {
    const { anomaly_id: id, severity, status } = event.value;
    const previous = this.seen.get(id);
    const rank = severityRank(severity);
    if (status === 'withdrawn') {
      this.seen.set(id, 0);
      return;
    }
    this.seen.set(id, Math.max(rank, previous ?? 0));
    if (previous === undefined || previous === 0) this.anomalies.publish({ ...event, kind: 'NEW' });
    else if (rank > previous) this.anomalies.publish({ ...event, kind: 'ESCALATED' });
  }

  subscribeAnomalies(filter: AnomalySubscriptionFilter, after: string | undefined): AsyncIterable<AnomalyEvent> {
    const minRank = filter.minSeverity ? severityRank(filter.minSeverity) : 0;
    return this.anomalies.subscribe(
      (e) =>
        severityRank(e.value.severity) >= minRank &&
        (filter.entityType === undefined || e.value.entity_type === filter.entityType) &&
        (filter.entityId === undefined || e.value.entity_id === filter.entityId),
      after,
    );
  }

  subscribeTokenMetrics(token: string | undefined, after: string | undefined): AsyncIterable<TokenMetricsEvent> {
    return this.tokenMetrics.subscribe((e) => token === undefined || e.value.token_address === token, after);
  }

  get subscriberCount(): number {
    return this.anomalies.subscribers + this.tokenMetrics.subscribers;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.stop();
  }
}
