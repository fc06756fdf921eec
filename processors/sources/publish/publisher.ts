import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { RetryableError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { topicKeys, type Serdes } from '../../../schemas/index.ts';
import type { BlockRecords } from './to-avro.ts';

/** Largest sum of record values per produce request: under the broker's 1 MiB batch limit per partition. */
const MAX_SEND_BYTES = 768 * 1024;

export class PublishFailedError extends RetryableError {
  override readonly name = 'PublishFailedError';
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('ORACUL_SOURCE_PUBLISH_FAILED', message, options);
  }
}

export interface PublishResult {
  records: number;
  bytes: number;
}

export interface BlockPublisher {
  /**
   * Publishes the records of several blocks (retractions first, then blocks, in the given order)
   * in one Kafka transaction: all of them become visible to read_committed consumers at once, or none.
   */
  publish(items: readonly BlockRecords[]): Promise<PublishResult>;
  /** Cumulative ms spent serialising (Avro), sending and committing. */
  readonly timings: { serializeMs: number; sendMs: number; commitMs: number };
  close(): Promise<void>;
}

/**
 * Transactional, idempotent producer of one chain's raw topics. The transactional id is fixed
 * per chain (`<clientId>-source-<chain>`): a restarted source fences its killed predecessor,
 * whose open transaction is aborted, so a half-published batch never becomes visible.
 */
export async function createBlockPublisher(params: {
  kafka: Kafka;
  serdes: Serdes;
  transactionalId: string;
  logger: Logger;
  /** Record batch compression; gzip is the only codec kafkajs ships. Default none. */
  compression?: 'gzip' | 'none';
}): Promise<BlockPublisher> {
  const { serdes } = params;
  const compression = params.compression === 'gzip' ? CompressionTypes.GZIP : undefined;
  const producer: Producer = params.kafka.producer({
    transactionalId: params.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    transactionTimeout: 60_000,
    // A transaction started right after the previous commit gets CONCURRENT_TRANSACTIONS until the
    // coordinator has written the markers (a few ms): retry quickly instead of kafkajs' 100-300 ms.
    retry: { initialRetryTime: 10, maxRetryTime: 1_000, retries: 30 },
  });
  await producer.connect();
  const timings = { serializeMs: 0, sendMs: 0, commitMs: 0 };
  const blocks = serdes.forTopic('eth.blocks.raw');
  const transactions = serdes.forTopic('eth.transactions.raw');
  const logs = serdes.forTopic('eth.logs.raw');

  return {
    timings,
    async publish(items) {
      const startedAt = performance.now();
      const out: { topic: string; message: Message; size: number }[] = [];
      const push = async <T>(topic: string, serialize: (v: T) => Promise<Buffer>, value: T, key: string) => {
        const buffer = await serialize(value);
        out.push({ topic, message: { key, value: buffer }, size: buffer.length + key.length });
      };
      for (const item of items) {
        const key = topicKeys.block(item.block.chain_id, item.block.block_number);
        await push('eth.blocks.raw', (v) => blocks.serialize(v), item.block, key);
        for (const t of item.transactions) await push('eth.transactions.raw', (v) => transactions.serialize(v), t, key);
        for (const l of item.logs) await push('eth.logs.raw', (v) => logs.serialize(v), l, key);
      }
      const serializedAt = performance.now();
      timings.serializeMs += serializedAt - startedAt;
      const tx = await producer.transaction();
      let bytes = 0;
      try {
        // One produce request carries up to MAX_SEND_BYTES per topic: whatever the partitioner does,
        // no partition's record batch can pass the broker's 1 MiB limit, and requests stay few.
        let chunk = new Map<string, Message[]>();
        const chunkBytes = new Map<string, number>();
        const flush = async () => {
          if (chunk.size === 0) return;
          await tx.sendBatch({
            topicMessages: [...chunk].map(([topic, messages]) => ({ topic, messages })),
            ...(compression ? { compression } : {}),
          });
          chunk = new Map();
          chunkBytes.clear();
        };
        for (const r of out) {
          if ((chunkBytes.get(r.topic) ?? 0) + r.size > MAX_SEND_BYTES) await flush();
          let list = chunk.get(r.topic);
          if (!list) chunk.set(r.topic, (list = []));
          list.push(r.message);
          chunkBytes.set(r.topic, (chunkBytes.get(r.topic) ?? 0) + r.size);
          bytes += r.size;
        }
        await flush();
        const sentAt = performance.now();
        timings.sendMs += sentAt - serializedAt;
        await tx.commit();
        timings.commitMs += performance.now() - sentAt;
      } catch (error) {
        await tx.abort().catch(() => undefined);
        throw new PublishFailedError(`Kafka transaction failed: ${(error as Error).message}`, {
          cause: error,
          details: { blocks: items.length, records: out.length },
        });
      }
      return { records: out.length, bytes };
    },
    close: () => producer.disconnect(),
  };
}
