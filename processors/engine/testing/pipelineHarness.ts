import { randomUUID } from 'node:crypto';
import type { Admin, EachMessagePayload, Kafka } from 'kafkajs';
import pRetry from 'p-retry';
import type { OraculConfig, TopicConfig } from '../../../config/schema.ts';
import { createWarehouseClient } from '../../../dwh/client.ts';
import { migrate } from '../../../dwh/migrate.ts';
import { ensureTopics } from '../../../core/kafka/ensure-topics.ts';
import type { Logger } from '../../../core/logger.ts';
import type { LogBatch, PriceTick, TokenMetadata } from '../../../schemas/generated/types.ts';
import type { Serdes } from '../../../schemas/serde.ts';
import type { TopicName } from '../../../schemas/topics.ts';
import { kafkaTopicOf, type AnyStageSpec } from '../stage.ts';
import { changelogTopicsOf, consumerGroupOf } from '../streamWorker.ts';

/**
 * Helpers for tests and benchmarks that run the real pipeline on a local stack: a clean slate of topics, the
 * generated input produced transactionally (so every topic ends with a commit marker, as in production), and
 * "caught up" checks on consumer groups.
 */

/** Topics the stream engine reads and writes. */
export const PIPELINE_TOPICS: readonly TopicName[] = [
  'eth.logs.raw',
  'eth.logs.raw.dlq',
  'market.prices.raw',
  'erc20.tokens',
  'erc20.transfers',
  'erc20.transfers.dlq',
  'erc20.transfer-batches.by-token',
  'erc20.transfer-batches.by-token.dlq',
  'erc20.transfer-batches.by-address',
  'erc20.transfer-batches.by-address.dlq',
  'erc20.transfers.late',
  'erc20.rejects',
  'token.metrics.daily',
  'address.flows.daily',
];

/** Deletes and recreates topics (and the stages' changelogs): a test starts from empty logs. */
export async function resetTopics(
  admin: Admin,
  config: OraculConfig,
  logger: Logger,
  stages: readonly AnyStageSpec[],
  appId: string,
): Promise<void> {
  const changelogs = stages.flatMap((s) => changelogTopicsOf(appId, s, config.kafka.topics));
  // Every declared topic must exist (the broker does not auto-create); the pipeline's are emptied first.
  const all: TopicConfig[] = [...config.kafka.topics, ...changelogs];
  const emptied = new Set<string>([...PIPELINE_TOPICS, ...changelogs.map((t) => t.name)]);
  const existing = new Set(await admin.listTopics());
  const doomed = all.map((t) => t.name).filter((n) => emptied.has(n) && existing.has(n));
  if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
  // Deletion is asynchronous in the broker: wait until the names are free, then create (with retries of its own).
  for (let attempt = 0; ; attempt++) {
    const listed = new Set(await admin.listTopics());
    const left = doomed.filter((n) => listed.has(n));
    if (left.length === 0) break;
    if (attempt >= 240) throw new Error(`topics still present 2 min after deletion: ${left.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await pRetry(
    async () => {
      await ensureTopics(admin, all, logger);
      await admin.fetchTopicMetadata({ topics: all.map((t) => t.name) });
    },
    { retries: 20, minTimeout: 250, maxTimeout: 2000 },
  );
}

/** Produces the generated stream in transactions: tokens, prices, then the blocks' logs in publication order. */
export async function produceStream(
  kafka: Kafka,
  serdes: Serdes,
  input: { tokens: readonly TokenMetadata[]; prices: readonly PriceTick[]; logBatches: readonly LogBatch[] },
  transactionalId: string,
): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const send = async <N extends TopicName>(topic: N, records: { key: string; value: unknown }[]): Promise<void> => {
      const serde = serdes.forTopic(topic);
      for (let i = 0; i < records.length; i += 200) {
        const chunk = records.slice(i, i + 200);
        const messages = await Promise.all(
          chunk.map(async (r) => ({ key: r.key, value: await serde.serialize(r.value as never) })),
        );
        // Right after topics are recreated the client's metadata can name a stale leader: retry the transaction.
        await pRetry(
          async () => {
            const txn = await producer.transaction();
            try {
              await txn.send({ topic, messages, acks: -1 });
              await txn.commit();
            } catch (error) {
              await txn.abort().catch(() => undefined);
              throw error;
            }
          },
          { retries: 10, minTimeout: 200, maxTimeout: 2000 },
        );
      }
    };
    await send(
      'erc20.tokens',
      input.tokens.map((t) => ({ key: `${t.chain_id}:${t.address}`, value: t })),
    );
    await send(
      'market.prices.raw',
      input.prices.map((p) => ({ key: `${p.chain_id}:${p.token_address}`, value: p })),
    );
    await send(
      'eth.logs.raw',
      input.logBatches.map((b) => ({ key: `${b.chain_id}:${b.block_number}`, value: b })),
    );
  } finally {
    await producer.disconnect();
  }
}

/**
 * Whether a consumer group has committed everything in a topic. Every record is written in a transaction, so a
 * partition's last offset is a commit marker: caught up = committed ≥ high − 1 (or the partition is empty).
 */
export async function groupCaughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.every((e) => {
    const high = Number(e.high);
    return high === 0 || (byPartition.get(e.partition) ?? -1) >= high - 1;
  });
}

/**
 * Reads a topic's committed records (read_committed) up to the end offsets it had when the read began, and throws
 * when that end is not reached within `timeoutMs`. The end is an exact marker: kafkajs reports every fetched batch,
 * also those of only transaction markers or aborted records that no handler sees, so a partition is done when a
 * batch ends at its end offset.
 */
export async function readCommittedToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  eachMessage: (payload: EachMessagePayload) => Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, Number(e.high)]));
  let reached = (): void => undefined;
  const done = new Promise<void>((resolve) => (reached = resolve));
  const consumer = kafka.consumer({ groupId: `read-to-end-${randomUUID()}`, readUncommitted: false });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (Number(payload.lastOffset) + 1 >= (remaining.get(payload.partition) ?? 0)) remaining.delete(payload.partition);
    if (remaining.size === 0) reached();
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new Error(
          `${topic}: end offsets not reached within ${timeoutMs} ms (partitions left: ${[...remaining.keys()].join(', ')})`,
        ),
      );
    }, timeoutMs);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage });
    if (remaining.size === 0) reached();
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

/** Waits until every stage's group has consumed its whole input (stages in dependency order). */
export async function waitForStages(
  admin: Admin,
  appId: string,
  stages: readonly AnyStageSpec[],
  options: { timeoutMs?: number; onPoll?: () => void } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  // Two consecutive "all caught up" polls: a stage may still be producing into the next one's input.
  let streak = 0;
  while (Date.now() < deadline) {
    options.onPoll?.();
    let all = true;
    for (const stage of stages) {
      if (!(await groupCaughtUp(admin, consumerGroupOf(appId, stage.name), kafkaTopicOf(stage, stage.inputTopic)))) {
        all = false;
        break;
      }
    }
    streak = all ? streak + 1 : 0;
    if (streak >= 2) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`stages did not catch up within ${options.timeoutMs ?? 300_000} ms`);
}

/**
 * A clean slate for a pipeline test: the test's database migrated, schemas registered, the pipeline topics
 * emptied and the generated stream produced.
 */
export async function preparePipelineRun(params: {
  readonly config: OraculConfig;
  readonly logger: Logger;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly serdes: Serdes;
  readonly stages: readonly AnyStageSpec[];
  readonly appId: string;
  readonly stream: { tokens: readonly TokenMetadata[]; prices: readonly PriceTick[]; logBatches: readonly LogBatch[] };
}): Promise<void> {
  const { config, logger } = params;
  const bootstrap = createWarehouseClient({ config, withoutDatabase: true });
  try {
    await migrate({ client: bootstrap, database: config.clickhouse.database, logger });
  } finally {
    await bootstrap.close();
  }
  await params.serdes.registerAll();
  await resetTopics(params.admin, config, logger, params.stages, params.appId);
  await produceStream(params.kafka, params.serdes, params.stream, `${params.appId}-producer`);
}
