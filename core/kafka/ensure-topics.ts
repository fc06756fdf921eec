import type { Admin, ITopicConfig } from 'kafkajs';
import pRetry from 'p-retry';
import type { OraculConfig, TopicConfig } from '../../config/schema.ts';
import { RetryableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createKafka } from './client.ts';

export interface EnsureTopicsResult {
  created: string[];
  partitionsIncreased: string[];
  configsUpdated: string[];
  unchanged: string[];
}

function topicConfigEntries(topic: TopicConfig): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [{ name: 'cleanup.policy', value: topic.cleanupPolicy }];
  if (topic.retentionMs !== undefined) entries.push({ name: 'retention.ms', value: String(topic.retentionMs) });
  return entries;
}

/**
 * Waits until every partition of the topics has a leader that serves it: right after creation, clients that ask too
 * early get "not the leader" or "does not host this topic-partition" (no auto-creation here). The metadata can name a
 * leader before that broker has taken the partition over, so each topic's offsets are listed too.
 */
async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const named = metadata.length === topics.length && metadata.every((t) => t.partitions.every((p) => p.leader >= 0));
      if (named && metadata.every((t) => t.partitions.length > 0)) {
        for (const topic of topics) await admin.fetchTopicOffsets(topic);
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Makes the broker match the declared topics, idempotently: creates missing topics,
 * raises partition counts (Kafka cannot lower them) and updates drifted configs.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicConfig[], logger: Logger): Promise<EnsureTopicsResult> {
  // Metadata of topics created a moment ago (by this or another process) may not have reached the broker's
  // cache yet ("does not host this topic-partition"): the whole pass is idempotent, so retry it.
  return pRetry(() => ensureTopicsOnce(admin, topics, logger), {
    retries: 8,
    minTimeout: 250,
    maxTimeout: 3_000,
    onFailedAttempt: (error) =>
      logger.warn({ msg: 'ensuring topics failed, retrying', attempt: error.attemptNumber, err: error }),
  });
}

async function ensureTopicsOnce(admin: Admin, topics: readonly TopicConfig[], logger: Logger): Promise<EnsureTopicsResult> {
  const result: EnsureTopicsResult = { created: [], partitionsIncreased: [], configsUpdated: [], unchanged: [] };
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      const specs: ITopicConfig[] = missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: topicConfigEntries(t),
      }));
      await admin.createTopics({ topics: specs, waitForLeaders: true });
      result.created.push(...missing.map((t) => t.name));
      await waitForLeaders(admin, result.created);
    }
    const present = topics.filter((t) => existing.has(t.name));
    if (present.length === 0) return result;

    const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
    const partitionCounts = new Map(metadata.topics.map((m) => [m.name, m.partitions.length]));
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((t) => ({ type: 2 /* TOPIC */, name: t.name, configNames: ['cleanup.policy', 'retention.ms'] })),
    });
    const currentConfigs = new Map(
      described.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]),
    );

    for (const topic of present) {
      let changed = false;
      const partitions = partitionCounts.get(topic.name) ?? 0;
      if (partitions < topic.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: topic.name, count: topic.partitions }] });
        result.partitionsIncreased.push(topic.name);
        changed = true;
      } else if (partitions > topic.partitions) {
        logger.warn({
          msg: 'topic has more partitions than configured; Kafka cannot shrink them',
          topic: topic.name,
          partitions,
        });
      }
      const wanted = topicConfigEntries(topic);
      const current = currentConfigs.get(topic.name);
      if (wanted.some((e) => current?.get(e.name) !== e.value)) {
        await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic.name, configEntries: wanted }] });
        result.configsUpdated.push(topic.name);
        changed = true;
      }
      if (!changed) result.unchanged.push(topic.name);
    }
    return result;
  } catch (cause) {
    throw new RetryableError('ORACUL_KAFKA_ADMIN_FAILED', `could not ensure topics: ${(cause as Error).message}`, { cause });
  }
}

/**
 * ensureTopics for the topics declared in config (`kafka.topics`), with its own short-lived
 * admin connection: what `oracul topics ensure` and `oracul start` both run.
 */
export async function ensureDeclaredTopics(params: {
  config: Pick<OraculConfig, 'kafka'>;
  logger: Logger;
}): Promise<EnsureTopicsResult> {
  const admin = createKafka({ config: params.config, logger: params.logger, clientSuffix: 'admin' }).admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, params.config.kafka.topics, params.logger);
  } finally {
    await admin.disconnect();
  }
}
