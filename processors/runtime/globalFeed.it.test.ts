import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../core/kafka/client.ts';
import { createLogger } from '../../core/logger.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import type { Serde } from '../../schemas/serde.ts';
import { GlobalFeed } from './globalFeed.ts';

const text: Serde<string> = {
  serialize: async (value) => Buffer.from(value),
  deserialize: async (bytes) => bytes.toString(),
} as Serde<string>;

describe('GlobalFeed (real broker)', () => {
  const logger = createLogger({ level: 'silent' });
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const topic = `gf_${process.env.VITEST_POOL_ID ?? 0}_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    kafka = createKafka({ config: testConfig(), logger, clientSuffix: 'global-feed-test' });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    producer = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const publish = async (values: string[]) => {
    const tx = await producer.transaction();
    await tx.send({ topic, messages: values.map((value, i) => ({ value, partition: i % 2 })) });
    await tx.commit();
  };

  it('bootstraps what the topic held, then receives every later transactional record once', async () => {
    const before = Array.from({ length: 40 }, (_, i) => `before-${i}`);
    for (let i = 0; i < before.length; i += 10) await publish(before.slice(i, i + 10));
    const feed = new GlobalFeed<string>(kafka, logger, topic, text);
    try {
      await feed.start();
      await feed.ready;
      expect([...feed.values].sort()).toEqual([...before].sort());
      const after = Array.from({ length: 30 }, (_, i) => `after-${i}`);
      for (let i = 0; i < after.length; i += 10) await publish(after.slice(i, i + 10));
      const deadline = Date.now() + 30_000;
      while (feed.values.length < before.length + after.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect([...feed.values].sort()).toEqual([...before, ...after].sort());
    } finally {
      await feed.stop();
    }
  }, 90_000);
});
