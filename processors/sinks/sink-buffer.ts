import type { KafkaMessage } from 'kafkajs';
import type { RowSet } from './sink-types.ts';

/** A consumed record and the rows it maps to (objects, or RowBinary from a transcoder), waiting for the next insert. */
export interface BufferedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rows: RowSet;
}

/** A topic partition and the next offset to read in it (one commit entry). */
export interface TopicOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** What one flush inserts and then commits. */
export interface SinkBatch {
  readonly records: BufferedRecord[];
  /** topic|partition → next offset to commit once the records are inserted. */
  readonly offsets: Map<string, TopicOffset>;
  readonly rows: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}|${partition}`;

/** The offset after `offset` (kafkajs offsets are decimal strings). */
export const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

/** topic → partition → offset, for stats and hooks. */
export function byTopic(offsets: Iterable<TopicOffset>): Record<string, Record<number, string>> {
  const out: Record<string, Record<number, string>> = {};
  for (const { topic, partition, offset } of offsets) (out[topic] ??= {})[partition] = offset;
  return out;
}

/**
 * Batch assembly: the records read since the last flush, their rows, and the offsets to commit once they are in
 * ClickHouse (dead-lettered records and transaction markers move the offsets without adding rows).
 */
export class SinkBuffer {
  private records: BufferedRecord[] = [];
  private rows = 0;
  private pending = new Map<string, TopicOffset>();
  /** When the first record of this batch arrived; `maxWaitMs` counts from here. */
  private pendingSince: number | undefined;

  constructor(private readonly maxWaitMs: number) {}

  get bufferedRows(): number {
    return this.rows;
  }

  get isEmpty(): boolean {
    return this.records.length === 0 && this.pending.size === 0;
  }

  /** Due by time: `maxWaitMs` passed since the batch's first record. */
  get isDue(): boolean {
    return this.pendingSince !== undefined && Date.now() - this.pendingSince >= this.maxWaitMs;
  }

  add(record: BufferedRecord): void {
    this.records.push(record);
    this.rows += record.rows.length;
  }

  /** The partition's commit position moves to `next` (never backwards). */
  markPending(topic: string, partition: number, next: string): void {
    const key = tpKey(topic, partition);
    const current = this.pending.get(key);
    if (current === undefined || BigInt(next) > BigInt(current.offset)) this.pending.set(key, { topic, partition, offset: next });
    this.pendingSince ??= Date.now();
  }

  /** Hands the batch over and starts an empty one. */
  take(): SinkBatch {
    const batch: SinkBatch = { records: this.records, offsets: this.pending, rows: this.rows };
    this.clear();
    return batch;
  }

  /** Forgets everything buffered (it was not committed, so it is read again). */
  clear(): void {
    this.records = [];
    this.rows = 0;
    this.pending = new Map();
    this.pendingSince = undefined;
  }
}
