import type { Producer } from 'kafkajs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestTopic } from '../../scripts/test/test-topic.ts';
import { createLogger } from '../logger.ts';
import { superviseConsumer } from './supervised-consumer.ts';

describe('superviseConsumer (real broker)', () => {
  const logger = createLogger({ level: 'silent' });
  let producer: Producer | undefined;
  const t = useTestTopic('sc', { cleanup: async () => producer?.disconnect() });
  const { topic } = t;
  beforeAll(async () => {
    producer = t.kafka.producer();
    await producer.connect();
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
        const consumer = t.kafka.consumer({
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
    await producer!.send({ topic, messages: [{ value: 'a' }, { value: 'boom' }, { value: 'b' }] });
    try {
      await vi.waitFor(() => expect(seen).toContain('b'), { timeout: 60_000, interval: 100 });
    } finally {
      await supervised.stop();
    }

    expect(crashes).toEqual([false]);
    expect(supervised.current).not.toBe(first);
    expect(consumers.size).toBe(2);
    // 'boom' failed once and was read again by the new consumer (nothing after it was committed); 'b' follows.
    expect(seen.filter((v) => v === 'boom')).toHaveLength(2);
    expect(seen.at(-1)).toBe('b');
  }, 90_000);
});
