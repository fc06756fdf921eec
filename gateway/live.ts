import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { LRUCache } from 'lru-cache';
import { superviseConsumer, type SupervisedConsumer } from '../core/kafka/supervised-consumer.ts';
import type { Logger } from '../core/logger.ts';
import { isoDayOfEpochDay } from '../core/time.ts';
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

/** How far a subscriber may fall behind the live topic before it skips the oldest events (as a sliding buffer would). */
export const LIVE_BACKLOG = 1_000;

/**
 * The bounded, ordered history of one topic's events, shared by every subscriber of the
 * topic: events are numbered by arrival (`seq`), subscribers hold only a position in it.
 * The newest `capacity` events can be replayed to reconnecting clients; `retain` (at least
 * `capacity`) is how many are kept for subscribers that read slower than events arrive.
 */
export class ReplayBuffer<E extends { eventId: string }> {
  private readonly items: E[] = [];
  /** seq of items[0]. */
  private first = 0;
  readonly retain: number;

  constructor(
    readonly capacity: number,
    retain = capacity,
  ) {
    this.retain = Math.max(capacity, retain);
  }

  push(event: E): void {
    if (this.retain === 0) return;
    this.items.push(event);
    if (this.items.length > this.retain) {
      const drop = this.items.length - this.retain;
      this.items.splice(0, drop);
      this.first += drop;
    }
  }

  /** seq of the oldest retained event. */
  get oldest(): number {
    return this.first;
  }

  /** seq the next pushed event gets. */
  get end(): number {
    return this.first + this.items.length;
  }

  at(seq: number): E | undefined {
    return seq < this.first ? undefined : this.items[seq - this.first];
  }

  /**
   * Where a subscriber resuming after `eventId` starts: just after it, or, if the id is no
   * longer (or never was) among the replayable events, at the oldest of them (the client
   * may see some twice and deduplicates by eventId).
   */
  startAfter(eventId: string): number {
    const replayFrom = Math.max(this.first, this.end - this.capacity);
    for (let seq = this.end - 1; seq >= replayFrom; seq -= 1) {
      if (this.at(seq)?.eventId === eventId) return seq + 1;
    }
    return replayFrom;
  }

  /** Events a subscriber resuming after `eventId` receives first (a copy; subscribers themselves never copy). */
  after(eventId: string): E[] {
    const from = this.startAfter(eventId);
    return this.items.slice(from - this.first);
  }

  /** Replayable events held. */
  get size(): number {
    return Math.min(this.items.length, this.capacity);
  }
}

/**
 * Fan-out of one source to any number of subscribers. Each subscriber is a cursor into the
 * shared ReplayBuffer (no per-subscriber copy or queue), so a subscription costs a few
 * objects however large the buffer is.
 */
export class Channel<E extends { eventId: string }> {
  readonly buffer: ReplayBuffer<E>;
  /** Wakes a subscriber waiting for the next event. */
  private readonly wakers = new Set<() => void>();

  constructor(capacity: number) {
    this.buffer = new ReplayBuffer<E>(capacity, LIVE_BACKLOG);
  }

  publish(event: E): void {
    this.buffer.push(event);
    for (const wake of this.wakers) wake();
  }

  /** Missed events after `after` (if given), then live ones, each passing `accept`. */
  subscribe(accept: (event: E) => boolean, after: string | undefined): AsyncIterableIterator<E> {
    if (after !== undefined && !EVENT_ID.test(after)) {
      throw gatewayError(GATEWAY_ERROR_CODES.invalidCursor, 'after must be an eventId (<partition>:<offset>)');
    }
    // The position is taken now, so nothing published before the first next() is lost.
    let cursor = after === undefined ? this.buffer.end : this.buffer.startAfter(after);
    let closed = false;
    let waiting: (() => void)[] = [];
    const wake = () => {
      const resolvers = waiting;
      waiting = [];
      for (const resolve of resolvers) resolve();
    };
    this.wakers.add(wake);
    const close = (): IteratorResult<E> => {
      closed = true;
      this.wakers.delete(wake);
      wake();
      return { value: undefined, done: true };
    };
    const next = async (): Promise<IteratorResult<E>> => {
      while (!closed) {
        // A subscriber that fell more than the retained events behind skips the oldest ones.
        cursor = Math.max(cursor, this.buffer.oldest);
        while (cursor < this.buffer.end) {
          const event = this.buffer.at(cursor);
          cursor += 1;
          if (event && accept(event)) return { value: event, done: false };
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<E> = {
      next,
      return: () => Promise.resolve(close()),
      throw: (error: unknown) => {
        close();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  get subscribers(): number {
    return this.wakers.size;
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
        this.params.onMartUpdate?.(`token:${value.token_address}`, isoDayOfEpochDay(value.date));
        this.tokenMetrics.publish({ eventId, publishedAt, receivedAt: Date.now(), value });
      } else {
        const value: AddressFlowsDaily = await this.params.serdes.forTopic('address.flows.daily').deserialize(bytes);
        this.params.onMartUpdate?.(`address:${value.address}`, isoDayOfEpochDay(value.date));
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

  subscribeAnomalies(filter: AnomalySubscriptionFilter, after: string | undefined): AsyncIterableIterator<AnomalyEvent> {
    const minRank = filter.minSeverity ? severityRank(filter.minSeverity) : 0;
    return this.anomalies.subscribe(
      (e) =>
        severityRank(e.value.severity) >= minRank &&
        (filter.entityType === undefined || e.value.entity_type === filter.entityType) &&
        (filter.entityId === undefined || e.value.entity_id === filter.entityId),
      after,
    );
  }

  subscribeTokenMetrics(token: string | undefined, after: string | undefined): AsyncIterableIterator<TokenMetricsEvent> {
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
