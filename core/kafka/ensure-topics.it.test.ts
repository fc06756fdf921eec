import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import type { TopicConfig } from '../../config/schema.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createLogger } from '../logger.ts';
import { createKafka } from './client.ts';
import { ensureTopics } from './ensure-topics.ts';

const logger = createLogger({ level: 'silent' });
let admin: Admin;

beforeAll(async () => {
  admin = createKafka({ config: testConfig(), logger, clientSuffix: 'ensure-topics-test' }).admin();
  await admin.connect();
});
afterAll(async () => admin.disconnect());

const topic = (name: string, over: Partial<TopicConfig> = {}): TopicConfig => ({
  name,
  partitions: 3,
  replicationFactor: 1,
  cleanupPolicy: 'delete',
  retentionMs: 86_400_000,
  ...over,
});

describe('ensureTopics against the real broker', () => {
  it('creates, is idempotent, raises partitions and repairs drifted configs', async () => {
    const prefix = `t_${process.env.VITEST_POOL_ID ?? 0}_${randomUUID().slice(0, 8)}`;
    const events = topic(`${prefix}.events`);
    const latest = topic(`${prefix}.latest`, { partitions: 1, cleanupPolicy: 'compact', retentionMs: undefined });

    const first = await ensureTopics(admin, [events, latest], logger);
    expect(first.created.sort()).toEqual([events.name, latest.name].sort());

    const second = await ensureTopics(admin, [events, latest], logger);
    expect(second.created).toEqual([]);
    expect(second.unchanged.sort()).toEqual([events.name, latest.name].sort());

    const third = await ensureTopics(admin, [{ ...events, partitions: 5, retentionMs: 3_600_000 }], logger);
    expect(third.partitionsIncreased).toEqual([events.name]);
    expect(third.configsUpdated).toEqual([events.name]);

    const meta = await admin.fetchTopicMetadata({ topics: [events.name, latest.name] });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [events.name]: 5, [latest.name]: 1 });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: events.name, configNames: ['retention.ms'] },
        { type: 2, name: latest.name, configNames: ['cleanup.policy'] },
      ],
    });
    const values = configs.resources.map((r) => r.configEntries[0]?.configValue);
    expect(values).toEqual(['3600000', 'compact']);
  });

  it('creates every topic declared in config/kafka.yml', async () => {
    const config = testConfig();
    await ensureTopics(admin, config.kafka.topics, logger);
    const existing = new Set(await admin.listTopics());
    for (const t of config.kafka.topics) expect(existing.has(t.name), t.name).toBe(true);
  });
});
