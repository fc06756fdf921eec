import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createLogger } from '../logger.ts';
import { createKafka } from './client.ts';
import { superviseConsumer } from './supervised-consumer.ts';

describe('superviseConsumer (real broker)', () => {
  const logger = createLogger({ level: 'silent' });
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const topic = `sc_${process.env.VITEST_POOL_ID ?? 0}_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    kafka = createKafka({ config: testConfig(), logger, clientSuffix: 'supervised-consumer-test' });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('replaces a consumer that kafkajs gave up on, which then reads the uncommitted records again', async () => {
    const seen: string[] = [];
    const crashes: boolean[] = [];
    let failures = 1;
    const consumers = new Set<unknown>();
    const supervised = superviseConsumer({
      name: topic,
      logger,
      initialDelayMs: 50,
      // kafkajs does not restart after a handler error once retries are spent and restartOnFailure says no:
      // the same kind of crash a lost group coordinator ends in.
      create: () => {
        const consumer = kafka.consumer({
          groupId: `${topic}-group`,
          retry: { retries: 0, restartOnFailure: async () => false },
          maxWaitTimeInMs: 100,
        });
        consumers.add(consumer);
        return consumer;
      },
      run: async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const value = message.value?.toString() ?? '';
            seen.push(value);
            if (value === 'boom' && failures-- > 0) throw new Error('handler failed');
          },
        });
      },
      onCrash: (_error, kafkajsRestarts) => {
        crashes.push(kafkajsRestarts);
      },
    });
    await supervised.start();
    const first = supervised.current;
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'boom' }, { value: 'b' }] });
    const deadline = Date.now() + 60_000;
    while (!seen.includes('b') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await supervised.stop();

    expect(crashes).toEqual([false]);
    expect(supervised.current).not.toBe(first);
    expect(consumers.size).toBe(2);
    // 'boom' failed once and was read again by the new consumer (nothing after it was committed); 'b' follows.
    expect(seen.filter((v) => v === 'boom')).toHaveLength(2);
    expect(seen.at(-1)).toBe('b');
  }, 90_000);
});
