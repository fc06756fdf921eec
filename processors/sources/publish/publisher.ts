import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { RetryableError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import type { Serdes } from '../../../schemas/index.ts';
import { encodeBlockRecords, rawTopicEncoders, type EncodedBlockRecords, type RawTopicEncoders } from './encoded-block.ts';
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
  /** The same for records already encoded (by a fetch worker, or `encode`). */
  publishEncoded(items: readonly EncodedBlockRecords[]): Promise<PublishResult>;
  /** The raw topics' encoders under their registered schema ids (fetch workers encode with the same ids). */
  readonly encoders: RawTopicEncoders;
  /** Avro-encodes one block's records with this publisher's encoders. */
  encode(records: BlockRecords): EncodedBlockRecords;
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
  const compression = params.compression === 'gzip' ? CompressionTypes.GZIP : undefined;
  const encoders = await rawTopicEncoders(params.serdes);
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

  const publishEncoded = async (items: readonly EncodedBlockRecords[]): Promise<PublishResult> => {
    const startedAt = performance.now();
    const tx = await producer.transaction();
    let records = 0;
    let bytes = 0;
    try {
      // One produce request carries up to MAX_SEND_BYTES per topic: whatever the partitioner does,
      // no partition's record batch can pass the broker's 1 MiB limit, and requests stay few.
      const chunk = new Map<string, Message[]>();
      const chunkBytes = new Map<string, number>();
      const flush = async () => {
        if (chunk.size === 0) return;
        await tx.sendBatch({
          topicMessages: [...chunk].map(([topic, messages]) => ({ topic, messages })),
          ...(compression ? { compression } : {}),
        });
        chunk.clear();
        chunkBytes.clear();
      };
      const add = async (topic: string, key: string, value: Buffer) => {
        const size = value.length + key.length;
        if ((chunkBytes.get(topic) ?? 0) + size > MAX_SEND_BYTES) await flush();
        let list = chunk.get(topic);
        if (!list) chunk.set(topic, (list = []));
        list.push({ key, value });
        chunkBytes.set(topic, (chunkBytes.get(topic) ?? 0) + size);
        records += 1;
        bytes += size;
      };
      for (const item of items) {
        await add('eth.blocks.raw', item.key, item.block);
        for (const t of item.transactions) await add('eth.transactions.raw', item.key, t);
        for (const l of item.logs) await add('eth.logs.raw', item.key, l);
      }
      await flush();
      const sentAt = performance.now();
      timings.sendMs += sentAt - startedAt;
      await tx.commit();
      timings.commitMs += performance.now() - sentAt;
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw new PublishFailedError(`Kafka transaction failed: ${(error as Error).message}`, {
        cause: error,
        details: { blocks: items.length, records },
      });
    }
    return { records, bytes };
  };

  const encode = (records: BlockRecords): EncodedBlockRecords => {
    const startedAt = performance.now();
    const encoded = encodeBlockRecords(records, encoders);
    timings.serializeMs += performance.now() - startedAt;
    return encoded;
  };

  return {
    timings,
    encoders,
    encode,
    publishEncoded,
    publish: (items) => publishEncoded(items.map(encode)),
    close: () => producer.disconnect(),
  };
}
