import type { Producer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { useTestTopic } from '../../scripts/test/test-topic.ts';

/**
 * read_committed must hide every aborted transaction, also when several transactional producers write to one
 * partition and their aborted transactions overlap (the late-events and anomaly topics: one producer per stream
 * task, and a killed worker's tasks are all aborted at once when their successors fence them). The broker lists the
 * aborted transactions of a fetch in abort-marker order, not first-offset order; kafkajs 2.2.4 assumed the latter and
 * let the first records of an overlapping aborted transaction through. Fixed by infra/patches/kafkajs+2.2.4.patch (ADR 0008).
 */
describe('read_committed with overlapping aborted transactions (real broker)', () => {
  const producers: Producer[] = [];
  const t = useTestTopic('rc', {
    cleanup: async () => {
      for (const p of producers) await p.disconnect().catch(() => undefined);
    },
  });
  const { topic } = t;

  const transactional = async (id: string): Promise<Producer> => {
    const p = t.kafka.producer({ transactionalId: `${topic}-${id}`, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    producers.push(p);
    return p;
  };

  it('hides the records of aborted transactions that started before an earlier-aborted one', async () => {
    const p1 = await transactional('p1');
    const p2 = await transactional('p2');
    const p3 = await transactional('p3');
    const send = (tx: Awaited<ReturnType<Producer['transaction']>>, value: string) => tx.send({ topic, messages: [{ value }] });

    // Offsets: 0 a1 (p1), 1 b1 (p2), 2 c1 (p3, committed), 3 a2 (p1), 4 b2 (p2); p2 aborts first, then p1.
    const t1 = await p1.transaction();
    await send(t1, 'aborted-1');
    const t2 = await p2.transaction();
    await send(t2, 'aborted-2');
    const t3 = await p3.transaction();
    await send(t3, 'committed-1');
    await t3.commit();
    await send(t1, 'aborted-3');
    await send(t2, 'aborted-4');
    await t2.abort();
    await t1.abort();
    const t4 = await p3.transaction();
    await send(t4, 'committed-2');
    await t4.commit();

    const seen: string[] = [];
    const consumer = t.kafka.consumer({ groupId: `${topic}-reader`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
    try {
      await vi.waitFor(() => expect(seen).toContain('committed-2'), { timeout: 30_000, interval: 100 });
    } finally {
      await consumer.disconnect();
    }

    expect(seen).toEqual(['committed-1', 'committed-2']);
  }, 60_000);
});
