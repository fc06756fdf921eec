import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import type { OraculConfig } from '../../config/schema.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { superviseConsumer, type SupervisedConsumer } from '../../core/kafka/supervised-consumer.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import { observeConsumerLag } from '../../core/metrics/index.ts';
import type { BackoffPolicy } from '../../core/retry.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import type { Serde, TopicName, TopicValue } from '../../schemas/index.ts';
import { createDeadLetterWriter, deadLetterTopics } from './dead-letter-writer.ts';
import { FlushPipeline } from './flush-pipeline.ts';
import { waitForGroupCatchUp } from './group-lag.ts';
import { RecordMapper } from './record-mapper.ts';
import { createRowEncoder } from './row-binary/row-encoder.ts';
import { byTopic, nextOffset, SinkBuffer, tpKey, type TopicOffset } from './sink-buffer.ts';
import { createSinkRetry } from './sink-retry.ts';
import type { ClickHouseSink, CreateClickHouseSinkOptions, SinkCounters, SinkStats } from './sink-types.ts';
import { TableInserter } from './table-inserter.ts';

export type {
  ClickHouseSink,
  CreateClickHouseSinkOptions,
  SinkBatchOptions,
  SinkFlushInfo,
  SinkRecordMeta,
  SinkRow,
  SinkStats,
} from './sink-types.ts';

const DEFAULT_MAX_ROWS = 50_000;
const DEFAULT_MAX_WAIT_MS = 1_000;
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/** The options with their defaults applied. */
interface SinkSettings<N extends TopicName> {
  readonly topics: readonly N[];
  /** The first topic, which names the sink. */
  readonly topic: string;
  readonly table: string;
  readonly groupId: string;
  readonly stage: string;
  readonly maxRows: number;
  readonly minRows: number;
  readonly maxWaitMs: number;
  readonly backoff: BackoffPolicy;
  readonly stopTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly fromBeginning: boolean;
}

function sinkSettings<N extends TopicName>(config: OraculConfig, options: CreateClickHouseSinkOptions<N>): SinkSettings<N> {
  const topics: readonly N[] = typeof options.topic === 'string' ? [options.topic as N] : (options.topic as readonly N[]);
  if (topics.length === 0) throw new Error('createClickHouseSink: no topic');
  const { table } = options;
  return {
    topics,
    topic: topics[0]!,
    table,
    groupId: options.groupId ?? `${config.kafka.clientId}-sink-${table}`,
    stage: `sink:${table}`,
    maxRows: options.batch?.maxRows ?? DEFAULT_MAX_ROWS,
    minRows: options.batch?.minRows ?? Math.ceil((options.batch?.maxRows ?? DEFAULT_MAX_ROWS) / 2),
    maxWaitMs: options.batch?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    backoff: { initialDelayMs: options.retry?.initialDelayMs ?? 250, maxDelayMs: options.retry?.maxDelayMs ?? 15_000 },
    stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
    sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    fromBeginning: options.fromBeginning ?? true,
  };
}

/**
 * A Kafka → ClickHouse sink for one topic and one table (docs: processors/sinks/README.md).
 *
 * - reads committed records only (isolation read_committed), decodes them with the topic's Serde,
 *   maps them to rows and buffers them across partitions up to `maxRows` / `maxWaitMs` (or `minRows` once no insert
 *   runs and the consumer has caught up);
 * - inserts (RowBinary encoded while sent when `rowBinary` columns are given, else JSONEachRow), then commits the offsets it covered: at-least-once delivery, and an
 *   exactly-once effect through the tables' ReplacingMergeTree keys and versions (a replayed batch
 *   re-inserts identical rows, which FINAL collapses);
 * - undecodable records, mapping failures and rows ClickHouse rejects go to `<topic>.dlq`, with the
 *   error code and the source topic/partition/offset, and their offsets are committed;
 * - while ClickHouse is unavailable the batch is retried with exponential backoff and jitter and
 *   consumption waits (nothing else is buffered, nothing is skipped); the group membership is kept
 *   alive with heartbeats.
 */
export function createClickHouseSink<N extends TopicName>(
  common: Common,
  options: CreateClickHouseSinkOptions<N>,
): ClickHouseSink {
  return new KafkaClickHouseSink(common, options, sinkSettings(common.config, options));
}

/** The sink's lifecycle (start, stop, catch-up) and its consumer loop; the parts are wired in the constructor. */
class KafkaClickHouseSink<N extends TopicName> implements ClickHouseSink {
  readonly topic: string;
  readonly topics: readonly string[];
  readonly table: string;
  readonly groupId: string;

  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly clickhouse: ClickHouseClient;
  private readonly ownsClickHouse: boolean;
  private readonly abort = new AbortController();
  private readonly counters: SinkCounters = { records: 0, rows: 0, batches: 0, deadLettered: 0, insertFailures: 0 };
  private readonly committed = new Map<string, TopicOffset>();
  /** topic|partition → records after the last fetched batch of it (its offset lag): 0 everywhere is caught up. */
  private readonly fetchLag = new Map<string, number>();
  private readonly buffer: SinkBuffer;
  private readonly inserter: TableInserter;
  private readonly mapper: RecordMapper<N>;
  private readonly pipeline: FlushPipeline;

  private consumer: SupervisedConsumer | undefined;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: (() => Promise<void>) | undefined;
  private started = false;
  private stopping = false;

  constructor(
    common: Common,
    private readonly options: CreateClickHouseSinkOptions<N>,
    private readonly settings: SinkSettings<N>,
  ) {
    const { config } = common;
    const { topics, topic, table, groupId } = settings;
    this.topic = topic;
    this.topics = [...topics];
    this.table = table;
    this.groupId = groupId;
    this.logger = componentLogger(common.logger, 'clickhouse-sink', { topic, table, group_id: groupId });
    const dlqs = deadLetterTopics(options.serdes, topics, options.deadLetterRows !== undefined);
    this.kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `sink-${table}` });
    this.ownsClickHouse = options.ownsClickHouse ?? options.clickhouse === undefined;
    this.clickhouse = options.clickhouse ?? createWarehouseClient({ config, role: 'writer' });
    this.buffer = new SinkBuffer(settings.maxWaitMs);
    this.inserter = new TableInserter({
      clickhouse: this.clickhouse,
      table,
      // Built once: a column type the encoder cannot write fails here, at creation, not on the first batch.
      encoder: options.rowBinary ? createRowEncoder(table, options.rowBinary.columns) : undefined,
      insertSettings: options.insertSettings,
      chunkRows: options.rowBinary?.chunkRows,
      signal: this.abort.signal,
      logger: this.logger,
    });
    const retry = createSinkRetry({
      logger: this.logger,
      policy: settings.backoff,
      signal: this.abort.signal,
      bufferedRows: () => this.buffer.bufferedRows,
      onRetry: (what) => (this.counters.insertFailures += what === 'insert' ? 1 : 0),
      heartbeat: () => this.heartbeat,
    });
    const insert = this.inserter.insert.bind(this.inserter);
    const deadLetter = createDeadLetterWriter({
      stage: settings.stage,
      table,
      topics: dlqs,
      producer: () => this.producer!,
      deadLetterRows: options.deadLetterRows,
      insert,
      retry,
      signal: this.abort.signal,
      counters: this.counters,
      logger: this.logger,
    });
    const serdes = new Map(topics.map((t) => [t as string, options.serdes.forTopic(t) as Serde<TopicValue<N>>] as const));
    this.mapper = new RecordMapper<N>({
      serdes,
      toRows: options.toRows,
      retry,
      deadLetter,
      signal: this.abort.signal,
      transcoder: options.rowBinary?.transcoder,
    });
    this.pipeline = new FlushPipeline({
      topic,
      table,
      format: this.inserter.format,
      buffer: this.buffer,
      minRows: settings.minRows,
      caughtUp: () => this.caughtUp(),
      // A batch that filled up while the previous insert ran goes right after it, not at the next timer tick.
      onIdle: () => this.flushIfDue(),
      insert,
      retry,
      deadLetter,
      commitOffsets: (offsets) => this.consumer!.current.commitOffsets(offsets),
      afterInsert: options.afterInsert,
      counters: this.counters,
      committed: this.committed,
      signal: this.abort.signal,
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('sink already started');
    this.started = true;
    // Not awaited: an unreachable warehouse must not fail start(); the first insert waits for (or retries) it.
    this.inserter.checkColumns().catch(() => undefined);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();
    // kafkajs restarts a crashed consumer only after retriable errors; a broker restart can end it with a
    // non-retriable one ("Failed to find group coordinator"), after which the sink would stay stopped for good.
    this.consumer = superviseConsumer({
      name: this.groupId,
      logger: this.logger,
      ...this.settings.backoff,
      create: () => this.createConsumer(),
      run: (consumer) => this.runConsumer(consumer),
      onCrash: async (_error, kafkajsRestarts) => {
        // A failed background insert is the sink's own state: reset it whoever restarts the consumer (both
        // resume from the committed offsets).
        if (!kafkajsRestarts || this.pipeline.failed) await this.pipeline.dropUncommitted();
      },
    });
    await this.consumer.start();
    this.flushTimer = setInterval(() => this.flushIfDue(), Math.max(25, Math.floor(this.settings.maxWaitMs / 4)));
    const { maxRows, minRows, maxWaitMs } = this.settings;
    const format = this.inserter.format;
    this.logger.info({ msg: 'sink started', max_rows: maxRows, min_rows: minRows, max_wait_ms: maxWaitMs, format });
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const giveUp = setTimeout(() => this.abort.abort(new Error('sink stop timeout')), this.settings.stopTimeoutMs);
    try {
      await this.pipeline.locked(() => this.pipeline.flush('stop'));
    } catch (error) {
      this.logger.warn({ msg: 'last batch not inserted; it will be read again', err: error });
    } finally {
      clearTimeout(giveUp);
    }
    await this.consumer?.stop();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
    if (this.ownsClickHouse) await this.clickhouse.close();
    this.logger.info({ msg: 'sink stopped', ...this.counters });
  }

  async waitUntilCaughtUp({ timeoutMs = 60_000, pollMs = 200 } = {}): Promise<void> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const { groupId, topics, stage, table } = this.settings;
    await waitForGroupCatchUp(this.admin, { groupId, topics, stage, table }, { timeoutMs, pollMs });
  }

  stats(): SinkStats {
    const committedByTopic = byTopic(this.committed.values());
    return { ...this.counters, committedOffsets: { ...committedByTopic[this.topic] }, committedByTopic };
  }

  /**
   * The flush timer, and the end of each background insert: a batch due by time, or ready (minRows) while nothing
   * is inserted, goes even when no new records arrive.
   */
  private flushIfDue(): void {
    // After a failed background insert only eachBatch acts (it rethrows, so the consumer restarts).
    const { pipeline } = this;
    const reason = (): string | undefined => (pipeline.dueByTime ? 'time' : pipeline.ready ? 'ready' : undefined);
    if (this.stopping || pipeline.failed || reason() === undefined) return;
    pipeline
      .locked(() => {
        const now = reason();
        return now === undefined ? Promise.resolve() : pipeline.flush(now, true);
      })
      .catch((error: unknown) => {
        if (!this.abort.signal.aborted) this.logger.error({ msg: 'timed flush failed', err: error });
      });
  }

  /** Every partition fetched so far was read to its end (a partition not fetched yet does not count). */
  private caughtUp(): boolean {
    for (const lag of this.fetchLag.values()) if (lag > 0) return false;
    return true;
  }

  /** A new member of the group's consumer; superviseConsumer (started in start()) replaces one that crashed for good. */
  private createConsumer(): Consumer {
    const { groupId, sessionTimeoutMs, maxWaitMs, topics } = this.settings;
    const consumer = this.kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.floor(sessionTimeoutMs / 3),
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: Math.min(500, maxWaitMs),
    });
    const topicSet = new Set<string>(topics);
    // A new assignment: the lags of partitions this member may no longer own must not hold batches back.
    consumer.on(consumer.events.GROUP_JOIN, () => this.fetchLag.clear());
    // Batches made only of transaction markers (or aborted records) never reach eachBatch:
    // move the commit position past them so the group does not show a false lag.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && topicSet.has(payload.topic) && !this.stopping) {
        this.buffer.markPending(payload.topic, payload.partition, nextOffset(payload.lastOffset));
      }
    });
    return consumer;
  }

  private async runConsumer(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.settings.topics], fromBeginning: this.settings.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    this.heartbeat = payload.heartbeat;
    if (this.stopping) return;
    await this.pipeline.locked(async () => {
      // A failed background flush crashes this consumer: the group re-reads from the last commit.
      this.pipeline.throwIfFailed();
      for (const message of batch.messages) {
        if (this.stopping || !isRunning() || isStale()) return;
        await this.consume(batch.topic, batch.partition, message);
        // In-memory progress only (autoCommit is off): the next fetch starts after this record.
        payload.resolveOffset(message.offset);
        if (this.buffer.bufferedRows >= this.settings.maxRows) await this.pipeline.flush('size', true);
      }
      // Past the transaction marker that may close the batch.
      this.buffer.markPending(batch.topic, batch.partition, nextOffset(batch.lastOffset()));
      const lag = Number(batch.offsetLag());
      this.fetchLag.set(tpKey(batch.topic, batch.partition), lag);
      observeConsumerLag(this.settings.stage, batch.topic, batch.partition, lag);
      // At the end of what was fetched: a batch due by time, or one big enough while the warehouse has nothing to do
      // and nothing more waits in Kafka (a backlog fills the batch up to maxRows instead).
      if (this.pipeline.dueByTime) await this.pipeline.flush('time', true);
      else if (this.pipeline.ready) await this.pipeline.flush('ready', true);
    });
    await payload.heartbeat();
  }

  /**
   * Transcodes, or decodes and maps, one record into the buffer (or dead-letters it); its offset becomes pending
   * either way.
   */
  private async consume(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const record = { topic, partition, message };
    const encoded = await this.mapper.encoded(record);
    if (encoded !== undefined) {
      this.buffer.add({ ...record, rows: encoded });
      this.buffer.markPending(topic, partition, nextOffset(message.offset));
      return;
    }
    const value = await this.mapper.decode(record);
    if (value !== undefined) {
      if (this.options.flushBefore?.(value)) await this.pipeline.flush('barrier');
      const rows = await this.mapper.rows(record, value);
      if (rows !== undefined) this.buffer.add({ ...record, rows });
    }
    this.buffer.markPending(topic, partition, nextOffset(message.offset));
  }
}

/** Starts the sink, waits until it has consumed the whole topic, and stops it (tests, benchmarks, one-shot loads). */
export async function runSinkUntilCaughtUp(sink: ClickHouseSink, options: { timeoutMs?: number } = {}): Promise<SinkStats> {
  await sink.start();
  try {
    await sink.waitUntilCaughtUp(options);
  } finally {
    await sink.stop();
  }
  return sink.stats();
}
