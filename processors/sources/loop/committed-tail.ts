import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../../core/logger.ts';
import type { BlockRecord as AvroBlockRecord, Serdes } from '../../../schemas/index.ts';

export interface CommittedTail {
  /** kind=block and kind=reorg records of the chain found in the tail, in version order. */
  records: AvroBlockRecord[];
  /** Whether every partition was read to its end (false: timed out, the caller falls back to its checkpoint). */
  complete: boolean;
}

/**
 * Reads the last `perPartition` committed records of every eth.blocks.raw partition (isolation
 * read_committed) and returns this chain's block and retraction records. Used at startup: a batch
 * whose Kafka transaction committed right before a crash, but whose LMDB checkpoint was not
 * written, is found here, so the source neither re-publishes it nor leaves a gap.
 * Call after the source's transactional producer connected: that aborts the killed predecessor's
 * open transaction, which would otherwise hold the read_committed end of the partitions back.
 */
export async function readCommittedTail(params: {
  kafka: Kafka;
  serdes: Serdes;
  chainId: number;
  perPartition: number;
  logger: Logger;
  timeoutMs?: number;
}): Promise<CommittedTail> {
  const topic = 'eth.blocks.raw';
  const { kafka, chainId, logger } = params;
  const serde = params.serdes.forTopic(topic);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `oracul-source-resume-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  const records: AvroBlockRecord[] = [];
  try {
    // Right after topic creation the partition leaders may not be known yet: retry retriable errors.
    let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>> | undefined;
    for (let attempt = 0; offsets === undefined; attempt += 1) {
      try {
        offsets = await admin.fetchTopicOffsets(topic);
      } catch (error) {
        if (attempt >= 10 || (error as { retriable?: boolean }).retriable !== true) throw error;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const starts = new Map(
      offsets.map((o) => {
        const from = BigInt(o.high) - BigInt(params.perPartition);
        return [o.partition, from > BigInt(o.low) ? from : BigInt(o.low)];
      }),
    );
    const remaining = new Set(offsets.filter((o) => starts.get(o.partition)! < ends.get(o.partition)!).map((o) => o.partition));
    if (remaining.size === 0) return { records, complete: true };

    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const reached = (partition: number, nextOffset: bigint) => {
      if (nextOffset >= ends.get(partition)!) remaining.delete(partition);
      if (remaining.size === 0) resolveDone();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      reached(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    let seeked = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (seeked) return;
      seeked = true;
      for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: offset.toString() });
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (BigInt(message.offset) < starts.get(batch.partition)!) continue;
          if (message.value === null) continue;
          try {
            const value = await serde.deserialize(message.value);
            if (value.chain_id === chainId && value.kind !== 'finalize') records.push(value);
          } catch (error) {
            logger.warn({
              msg: 'undecodable record in the eth.blocks.raw tail, ignored',
              partition: batch.partition,
              offset: message.offset,
              err: error,
            });
          }
        }
        reached(batch.partition, BigInt(batch.lastOffset()) + 1n);
      },
    });
    const timeoutMs = params.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const complete = await Promise.race([
      done.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!complete)
      logger.warn({ msg: 'committed tail not read to the end in time', partitions_left: [...remaining], timeout_ms: timeoutMs });
    records.sort((a, b) => a.version - b.version);
    return { records, complete };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
