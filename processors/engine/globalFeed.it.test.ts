import type { Producer } from 'kafkajs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { useTestTopic } from '../../scripts/test/test-topic.ts';
import type { Serde } from '../../schemas/serde.ts';
import { GlobalFeed } from './globalFeed.ts';

const text: Serde<string> = {
  serialize: async (value) => Buffer.from(value),
  deserialize: async (bytes) => bytes.toString(),
} as Serde<string>;

describe('GlobalFeed (real broker)', () => {
  const logger = createLogger({ level: 'silent' });
  let producer: Producer | undefined;
  const t = useTestTopic('gf', { partitions: 2, cleanup: async () => producer?.disconnect() });
  const { topic } = t;
  beforeAll(async () => {
    producer = t.kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  const publish = async (values: string[]) => {
    const tx = await producer!.transaction();
    await tx.send({ topic, messages: values.map((value, i) => ({ value, partition: i % 2 })) });
    await tx.commit();
  };

  it('bootstraps what the topic held, then receives every later transactional record once', async () => {
    const before = Array.from({ length: 40 }, (_, i) => `before-${i}`);
    for (let i = 0; i < before.length; i += 10) await publish(before.slice(i, i + 10));
    const table: string[] = [];
    const feed = new GlobalFeed<string>({ kafka: t.kafka, logger, topic, serde: text, apply: (value) => table.push(value) });
    try {
      await feed.start();
      await feed.ready;
      expect([...table].sort()).toEqual([...before].sort());
      const after = Array.from({ length: 30 }, (_, i) => `after-${i}`);
      for (let i = 0; i < after.length; i += 10) await publish(after.slice(i, i + 10));
      await vi.waitFor(() => expect(table.length).toBeGreaterThanOrEqual(before.length + after.length), {
        timeout: 30_000,
        interval: 100,
      });
      expect([...table].sort()).toEqual([...before, ...after].sort());
      expect(feed.applied).toBe(table.length);
    } finally {
      await feed.stop();
    }
  }, 90_000);
});
