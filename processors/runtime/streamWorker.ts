import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { TopicConfig } from '../../config/schema.ts';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { superviseConsumer, type SupervisedConsumer } from '../../core/kafka/supervised-consumer.ts';
import { metrics, observeConsumerLag, observeTaskClosed, observeTaskOpened } from '../../core/metrics/index.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { changelogTopicName } from '../../state/changelog.ts';
import { GlobalFeed } from './globalFeed.ts';
import { taskStoresOf } from './streamTask.ts';
import type { AnyStageSpec } from './stage.ts';
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

/** The changelog topics of a stage: compacted, one partition per input partition. */
export function changelogTopicsOf(appId: string, stage: AnyStageSpec, topics: readonly TopicConfig[]): TopicConfig[] {
  const input = topics.find((t) => t.name === stage.inputTopic);
  const partitions = input?.partitions ?? 1;
  return Object.keys(taskStoresOf(stage)).map((store) => ({
    name: changelogTopicName(appId, stage.name, store),
    partitions,
    replicationFactor: input?.replicationFactor ?? 1,
    cleanupPolicy: 'compact',
    key: 'state store key',
  }));
}

export async function startStreamWorker(params: StreamWorkerParameters): Promise<StreamWorker> {
  const { kafka, stage, appId } = params;
  const logger = params.logger.child({ stage: stage.name });
  const groupId = consumerGroupOf(appId, stage.name);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, changelogTopicsOf(appId, stage, params.topics), logger);
  } finally {
    await admin.disconnect();
  }

  const globals = new Map<string, GlobalFeed<unknown>>();
  for (const global of stage.globals ?? []) {
    const feed = new GlobalFeed<unknown>(kafka, logger, global.topic, params.serdes.forTopic(global.topic) as never);
    globals.set(global.topic, feed);
    await feed.start();
    await feed.ready;
  }

  const tasks = new Map<number, StreamTask>();
  const opening = new Map<number, Promise<StreamTask>>();
  let stopping = false;
  let lastError: WorkerError | null = null;

  const taskFor = (partition: number): Promise<StreamTask> => {
    const existing = tasks.get(partition);
    if (existing !== undefined) return Promise.resolve(existing);
    let pending = opening.get(partition);
    if (pending === undefined) {
      pending = StreamTask.open({
        kafka,
        logger,
        serdes: params.serdes,
        stage,
        appId,
        groupId,
        partition,
        statePath: join(params.stateDir, stage.name, String(partition)),
        wipeState: params.wipeState,
        globals,
      }).then(
        (task) => {
          tasks.set(partition, task);
          opening.delete(partition);
          observeTaskOpened(stage.name, task.stats.restore);
          logger.info({ msg: 'task started', partition, restored_records: task.stats.restore?.restoredRecords ?? 0 });
          return task;
        },
        (error: unknown) => {
          opening.delete(partition);
          throw error;
        },
      );
      opening.set(partition, pending);
    }
    return pending;
  };

  const closeTask = async (partition: number): Promise<void> => {
    const task = tasks.get(partition);
    if (task === undefined) return;
    tasks.delete(partition);
    observeTaskClosed(stage.name, stage.inputTopic, partition);
    await task.close();
    logger.info({ msg: 'task closed', partition });
  };

  // kafkajs gives up on some errors (e.g. no group coordinator while the brokers restart): the stage would stop for
  // good while the process stays up. The supervisor replaces such a consumer until it runs again.
  const consumer: SupervisedConsumer = superviseConsumer({
    name: groupId,
    logger,
    initialDelayMs: 1_000,
    create: () => {
      const c = kafka.consumer({
        groupId,
        readUncommitted: false,
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        heartbeatInterval: 3_000,
        maxBytesPerPartition: 8 * 1024 * 1024,
        maxBytes: 32 * 1024 * 1024,
        allowAutoTopicCreation: false,
      });
      c.on(c.events.GROUP_JOIN, (event) => {
        if (c !== consumer.current) return;
        const assigned = new Set(event.payload.memberAssignment[stage.inputTopic] ?? []);
        logger.info({ msg: 'partitions assigned', group: groupId, partitions: [...assigned].sort((a, b) => a - b) });
        for (const partition of [...tasks.keys()]) {
          if (!assigned.has(partition))
            void closeTask(partition).catch((err: unknown) => logger.error({ msg: 'task close failed', partition, err }));
        }
      });
      return c;
    },
    run: async (c) => {
      await c.connect();
      await c.subscribe({ topic: stage.inputTopic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: params.partitionsConsumedConcurrently ?? 3,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.isEmpty()) return;
          const task = await taskFor(batch.partition);
          try {
            await task.exclusive(() => task.processBatch(batch.messages, Number(batch.offsetLag())));
          } catch (error) {
            // The transaction's fate is unknown (a commit can fail after the broker wrote it): drop the task so the
            // retry reopens it, which re-reads the committed offset after fencing and skips what was committed.
            logger.error({ msg: 'batch failed: reopening the task', partition: batch.partition, err: error });
            lastError = workerError(error);
            metrics.stageBatchFailures.inc({ stage: stage.name });
            await closeTask(batch.partition).catch(() => undefined);
            throw error;
          }
          resolveOffset(batch.lastOffset());
          observeConsumerLag(stage.name, stage.inputTopic, batch.partition, Number(batch.offsetLag()));
          await heartbeat();
        },
      });
    },
    onCrash: (error) => {
      lastError = workerError(error);
      for (const partition of [...tasks.keys()]) void closeTask(partition).catch(() => undefined);
    },
  });
  await consumer.start();

  const interval = params.punctuateIntervalMs ?? 10_000;
  const timer = setInterval(() => {
    if (stopping) return;
    for (const task of tasks.values()) {
      void task
        .exclusive(() => task.punctuateIdle(params.idleAdvance === true))
        .catch((err: unknown) => logger.error({ msg: 'punctuation failed', partition: task.partition, err }));
    }
  }, interval);
  timer.unref();

  return {
    stage: stage.name,
    groupId,
    tasks: () => new Map([...tasks].map(([p, t]) => [p, t.stats])),
    lastError: () => lastError,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await consumer.stop().catch((err: unknown) => logger.error({ msg: 'consumer disconnect failed', err }));
      for (const partition of [...tasks.keys()]) await closeTask(partition);
      for (const feed of globals.values()) await feed.stop();
      logger.info({ msg: 'worker stopped', group: groupId });
    },
  };
}
