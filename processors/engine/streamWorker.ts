import { join } from 'node:path';
import type { Admin, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { DEFAULT_COMMIT_INTERVAL_MS, type TopicConfig } from '../../config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { superviseConsumer, type SupervisedConsumer } from '../../core/kafka/supervised-consumer.ts';
import { metrics, observeConsumerLag, observeTaskClosed, observeTaskOpened } from '../../core/metrics/index.ts';
import type { Serdes } from '../../schemas/serde.ts';
import type { TopicName } from '../../schemas/topics.ts';
import { changelogTopicName } from '../../state/changelog.ts';
import { GlobalFeed } from './globalFeed.ts';
import { kafkaTopicOf, type AnyStageSpec } from './stage.ts';
import { StreamTask, type TaskStats } from './streamTask.ts';

/**
 * A worker runs one stage as a member of the stage's consumer group: Kafka assigns it input partitions, it opens
 * a {@link StreamTask} per assigned partition (restoring state from the changelog if its disk lacks it) and closes
 * the tasks of partitions it loses. Any number of workers (processes, machines) can run the same stage; a
 * rebalance moves tasks between them. Within a worker, tasks of different partitions run concurrently.
 */

export interface StreamWorkerParameters {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly serdes: Serdes;
  readonly stage: AnyStageSpec;
  /** Application id: prefixes consumer groups, transactional ids and changelog topics. */
  readonly appId: string;
  /** This worker's state directory (tasks live in `<stateDir>/<stage>/<partition>`). */
  readonly stateDir: string;
  /** Declared topics (for the input's partition count and replication of changelogs). */
  readonly topics: readonly TopicConfig[];
  /** Start with an empty disk (restore everything from the changelogs). */
  readonly wipeState?: boolean;
  /** Let idle caught-up tasks advance event time from the wall clock (live mode only, never in a backfill). */
  readonly idleAdvance?: boolean;
  /** How often idle tasks are punctuated. Default 10 s. */
  readonly punctuateIntervalMs?: number;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Processing time after which a task commits its transaction and takes the rest of a fetch in the next one (config
   * `stream.commitIntervalMs`). Default {@link DEFAULT_COMMIT_INTERVAL_MS}.
   */
  readonly commitIntervalMs?: number;
}

export interface StreamWorker {
  readonly stage: string;
  readonly groupId: string;
  /** Assigned partitions and their task statistics. */
  tasks(): ReadonlyMap<number, TaskStats>;
  /** The last batch failure or consumer crash (for the status heartbeat), or null. */
  lastError(): WorkerError | null;
  stop(): Promise<void>;
}

export interface WorkerError {
  readonly code: string;
  readonly message: string;
  readonly atMs: number;
}

function workerError(error: unknown): WorkerError {
  const e = error as { code?: unknown; type?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : String(e.name ?? 'Error');
  return { code, message: String(e.message ?? error), atMs: Date.now() };
}

export function consumerGroupOf(appId: string, stage: string): string {
  return `${appId}-${stage}`;
}

/** The changelog topic of a stage: compacted, one partition per input partition (its tasks' stores, ADR 0019). */
export function changelogTopicsOf(appId: string, stage: AnyStageSpec, topics: readonly TopicConfig[]): TopicConfig[] {
  const input = topics.find((t) => t.name === stage.inputTopic);
  return [
    {
      name: changelogTopicName(appId, stage.name),
      partitions: input?.partitions ?? 1,
      replicationFactor: input?.replicationFactor ?? 1,
      cleanupPolicy: 'compact',
      key: '<store>/<d|s>/<generation>/<seq>: delta and snapshot records of the task stores (state/checkpoint-format.ts)',
    },
  ];
}

export async function startStreamWorker(params: StreamWorkerParameters): Promise<StreamWorker> {
  const { stage, appId } = params;
  const logger = params.logger.child({ stage: stage.name });
  const groupId = consumerGroupOf(appId, stage.name);
  await ensureChangelogTopics(params, logger);
  const globals = await startGlobalFeeds(params, logger);
  const tasks = new StageTasks(params, logger, groupId);
  const consumer = superviseStageConsumer(params, logger, groupId, tasks);
  await consumer.start();
  const timer = startIdlePunctuation(params, tasks);
  return {
    stage: stage.name,
    groupId,
    tasks: () => tasks.stats(),
    lastError: () => tasks.lastError,
    async stop() {
      tasks.stopping = true;
      clearInterval(timer);
      await consumer.stop().catch((err: unknown) => logger.error({ msg: 'consumer disconnect failed', err }));
      await tasks.closeAll();
      for (const feed of globals) await feed.stop();
      logger.info({ msg: 'worker stopped', group: groupId });
    },
  };
}

async function ensureChangelogTopics(params: StreamWorkerParameters, logger: Logger): Promise<void> {
  const admin = params.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, changelogTopicsOf(params.appId, params.stage, params.topics), logger);
    await checkAssumedPartitions(admin, params.stage);
  } finally {
    await admin.disconnect();
  }
}

/** The stage's self-partitioned outputs must have the partition counts it groups by (see StageSpec.assumedPartitions). */
export async function checkAssumedPartitions(admin: Admin, stage: AnyStageSpec): Promise<void> {
  const assumed = Object.entries(stage.assumedPartitions ?? {}) as [TopicName, number][];
  if (assumed.length === 0) return;
  const topics = assumed.map(([topic]) => kafkaTopicOf(stage, topic));
  const metadata = await admin.fetchTopicMetadata({ topics });
  for (const [i, [topic, partitions]] of assumed.entries()) {
    const actual = metadata.topics.find((t) => t.name === topics[i])?.partitions.length;
    if (actual !== partitions)
      throw new ConfigError(
        `stage ${stage.name} groups ${topic} by ${partitions} partitions, but the topic has ${actual ?? 'none'}: fix config/kafka.yml or the topic`,
        { details: { stage: stage.name, topic: topics[i], assumed: partitions, actual: actual ?? null } },
      );
  }
}

/** The stage's global tables, each filled from its topic's start to its end before any task starts. */
async function startGlobalFeeds(params: StreamWorkerParameters, logger: Logger): Promise<GlobalFeed<unknown>[]> {
  const { kafka, stage } = params;
  const globals: GlobalFeed<unknown>[] = [];
  for (const global of stage.globals ?? []) {
    const serde = params.serdes.forTopic(global.topic) as never;
    const topic = kafkaTopicOf(stage, global.topic);
    const feed = new GlobalFeed<unknown>({ kafka, logger, topic, serde, apply: (value) => global.apply(value) });
    globals.push(feed);
    await feed.start();
    await feed.ready;
  }
  return globals;
}

/** The worker's tasks by input partition: opened on first use (once, however many batches wait), closed on loss. */
class StageTasks {
  private readonly tasks = new Map<number, StreamTask>();
  private readonly opening = new Map<number, Promise<StreamTask>>();
  stopping = false;
  lastError: WorkerError | null = null;

  constructor(
    private readonly params: StreamWorkerParameters,
    private readonly logger: Logger,
    private readonly groupId: string,
  ) {}

  taskFor(partition: number): Promise<StreamTask> {
    const existing = this.tasks.get(partition);
    if (existing !== undefined) return Promise.resolve(existing);
    let pending = this.opening.get(partition);
    if (pending === undefined) {
      pending = this.open(partition).finally(() => this.opening.delete(partition));
      this.opening.set(partition, pending);
    }
    return pending;
  }

  private async open(partition: number): Promise<StreamTask> {
    const { params } = this;
    const { stage } = params;
    const task = await StreamTask.open({
      kafka: params.kafka,
      logger: this.logger,
      serdes: params.serdes,
      stage,
      appId: params.appId,
      groupId: this.groupId,
      partition,
      statePath: join(params.stateDir, stage.name, String(partition)),
      wipeState: params.wipeState,
    });
    this.tasks.set(partition, task);
    observeTaskOpened(stage.name, task.stats.restore);
    this.logger.info({ msg: 'task started', partition, restored_records: task.stats.restore?.restoredRecords ?? 0 });
    return task;
  }

  async close(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    if (task === undefined) return;
    this.tasks.delete(partition);
    observeTaskClosed(this.params.stage.name, this.params.stage.inputTopic, partition);
    await task.close();
    this.logger.info({ msg: 'task closed', partition });
  }

  /** Closes, in the background, the tasks of partitions no longer assigned (or all, without `assigned`). */
  closeInBackground(assigned: ReadonlySet<number> = new Set()): void {
    for (const partition of [...this.tasks.keys()]) {
      if (!assigned.has(partition))
        void this.close(partition).catch((err: unknown) => this.logger.error({ msg: 'task close failed', partition, err }));
    }
  }

  async closeAll(): Promise<void> {
    for (const partition of [...this.tasks.keys()]) await this.close(partition);
  }

  stats(): Map<number, TaskStats> {
    return new Map([...this.tasks].map(([p, t]) => [p, t.stats]));
  }

  /** Wall-clock punctuation of every task, serialised with its batches. */
  punctuateAll(idleAdvance: boolean): void {
    for (const task of this.tasks.values()) {
      void task
        .exclusive(() => task.punctuateIdle(idleAdvance))
        .catch((err: unknown) => this.logger.error({ msg: 'punctuation failed', partition: task.partition, err }));
    }
  }
}

/** A stage's consumer group member settings (also the pipeline bench's bare loop, which must read the same way). */
export function stageConsumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    readUncommitted: false,
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    allowAutoTopicCreation: false,
  };
}

/**
 * The stage's consumer group member. kafkajs gives up on some errors (e.g. no group coordinator while the brokers
 * restart): the stage would stop for good while the process stays up. The supervisor replaces such a consumer
 * until it runs again.
 */
function superviseStageConsumer(
  params: StreamWorkerParameters,
  logger: Logger,
  groupId: string,
  tasks: StageTasks,
): SupervisedConsumer {
  const { stage } = params;
  const inputTopic = kafkaTopicOf(stage, stage.inputTopic);
  const consumer: SupervisedConsumer = superviseConsumer({
    name: groupId,
    logger,
    initialDelayMs: 1_000,
    create: () => {
      const c = params.kafka.consumer(stageConsumerConfig(groupId));
      c.on(c.events.GROUP_JOIN, (event) => {
        if (c !== consumer.current) return;
        const assigned = new Set(event.payload.memberAssignment[inputTopic] ?? []);
        logger.info({ msg: 'partitions assigned', group: groupId, partitions: [...assigned].sort((a, b) => a - b) });
        tasks.closeInBackground(assigned);
      });
      return c;
    },
    run: async (c) => {
      await c.connect();
      await c.subscribe({ topic: inputTopic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: params.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => processBatch(params, logger, tasks, payload),
      });
    },
    onCrash: (error) => {
      tasks.lastError = workerError(error);
      tasks.closeInBackground();
    },
  });
  return consumer;
}

/**
 * One fetched batch through its partition's task, in transactions of at most the commit interval each, with a
 * heartbeat after each: a backlog's fetch holds a whole partition, and a member that worked through it in one go
 * would hold every partition it was first given (a rebalance waits for its next heartbeat) while the others idle.
 */
async function processBatch(
  params: StreamWorkerParameters,
  logger: Logger,
  tasks: StageTasks,
  { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
): Promise<void> {
  const { stage } = params;
  if (!isRunning() || isStale() || batch.isEmpty()) return;
  const task = await tasks.taskFor(batch.partition);
  const maxMs = params.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
  let rest = batch.messages;
  while (rest.length > 0 && isRunning() && !isStale()) {
    const pending = rest;
    let taken: number;
    try {
      taken = await task.exclusive(() => task.processBatch(pending, Number(batch.offsetLag()), maxMs));
    } catch (error) {
      // The transaction's fate is unknown (a commit can fail after the broker wrote it): drop the task so the
      // retry reopens it, which re-reads the committed offset after fencing and skips what was committed.
      logger.error({ msg: 'batch failed: reopening the task', partition: batch.partition, err: error });
      tasks.lastError = workerError(error);
      metrics.stageBatchFailures.inc({ stage: stage.name });
      await tasks.close(batch.partition).catch(() => undefined);
      throw error;
    }
    resolveOffset((pending[taken - 1] as KafkaMessage).offset);
    rest = pending.slice(taken);
    observeConsumerLag(stage.name, stage.inputTopic, batch.partition, Number(batch.offsetLag()) + rest.length);
    await heartbeat();
  }
}

/** Idle tasks are punctuated on a wall-clock timer (closing windows when no record arrives). */
function startIdlePunctuation(params: StreamWorkerParameters, tasks: StageTasks): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (!tasks.stopping) tasks.punctuateAll(params.idleAdvance === true);
  }, params.punctuateIntervalMs ?? 10_000);
  timer.unref();
  return timer;
}
