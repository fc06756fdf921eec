import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { testConfig } from './test-config.ts';

export interface TestTopic {
  /** A unique topic name (created before the suite's tests, deleted after them). */
  readonly topic: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
}

/**
 * A throwaway topic on the integration stack for one describe block: a client, a connected admin and the topic are
 * ready in beforeAll; afterAll runs `cleanup` (e.g. disconnect the suite's producers), deletes the topic and
 * disconnects. Read the fields inside hooks and tests, not at collection time.
 */
export function useTestTopic(prefix: string, options: { partitions?: number; cleanup?: () => Promise<void> } = {}): TestTopic {
  const topic = `${prefix}_${process.env.VITEST_POOL_ID ?? 0}_${randomUUID().slice(0, 8)}`;
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  beforeAll(async () => {
    kafka = createKafka({ config: testConfig(), logger: createLogger({ level: 'silent' }), clientSuffix: `${prefix}-test` });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: options.partitions ?? 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    await options.cleanup?.().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTestTopic: read its fields inside hooks or tests');
    return value;
  };
  return {
    topic,
    get kafka() {
      return ready(kafka);
    },
    get admin() {
      return ready(admin);
    },
  };
}
