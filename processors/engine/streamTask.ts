import { performance } from 'node:perf_hooks';
import type { Kafka, KafkaMessage, Message, Producer, Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { OraculError } from '../../core/errors.ts';
import { observeRestoreProgress, stageTally, type StageTally } from '../../core/metrics/index.ts';
import type { DeadLetter } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { keyPartitioner } from '../../schemas/topic-keys.ts';
import { deadLetterTopicOf, type TopicName } from '../../schemas/topics.ts';
import { changelogTopicName, restoreTaskState, type RestoreResult } from '../../state/changelog.ts';
import {
  commitRecords,
  snapshotDue,
  type ChangelogRecord,
  type StoreCheckpoint,
  type StoreCommit,
} from '../../state/checkpoint.ts';
import { ChangelogPositionError } from '../../state/errors.ts';
import { encodeStateValue } from '../../state/checkpoint-format.ts';
import { LmdbTaskState, type ChangelogPosition, type StoreDelta } from '../../state/lmdbTaskState.ts';
import type { StateCodec } from '../../state/types.ts';
import { UndeclaredOutputTopicError } from './errors.ts';
import type { OutputRecord, ProcessorContext, ProcessResult } from './processor.ts';
import type { KeyValueView, StateChange, StateView, StoreSpec, StoreValues } from './state.ts';
import { InMemoryKeyValueStore } from './inMemoryStore.ts';
import { numberCodec } from './state.ts';
import { processInputs } from './process-inputs.ts';
import { BatchOverlay } from './batchOverlay.ts';
import { kafkaTopicOf, type AnyStageSpec } from './stage.ts';

/**
 * One task = one stage × one input partition: its LMDB state, its transactional producer and its processing
 * loop. Each batch of input records is one Kafka transaction:
 *
 *   read (read_committed) → process against LMDB + the batch's pending writes → produce outputs, dead letters
 *   and changelog records → sendOffsets(input offset) → commit → apply the batch's net state delta to LMDB
 *   together with the new changelog offsets (one LMDB transaction).
 *
 * A crash before the commit aborts the transaction (the next owner's initTransactions fences and aborts it)
 * and LMDB is untouched; a crash between the Kafka commit and the LMDB write leaves LMDB one batch behind its
 * changelog, which the restore at the next start replays. Either way the state and the outputs are those of a
 * crash-free run (exactly-once effect). The transactional id is per (stage, partition), so a zombie owner of a
 * moved partition is fenced.
 */

export interface StreamTaskContext {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly serdes: Serdes;
  readonly stage: AnyStageSpec;
  readonly appId: string;
  readonly groupId: string;
  readonly partition: number;
  /** LMDB directory of this task. */
  readonly statePath: string;
  readonly wipeState?: boolean;
  readonly transactionTimeoutMs?: number;
}

export interface TaskStats {
  records: number;
  outputs: number;
  deadLetters: number;
  transactions: number;
  lastError: string | null;
  restore: RestoreResult | null;
}

interface Produced {
  readonly topic: string;
  readonly message: Message;
}

type ErasedStores = Record<string, unknown>;

/** What one transaction has gathered so far: the batch's pending state, the records to produce, the counts. */
interface BatchRun {
  readonly batch: BatchOverlay;
  readonly produced: Produced[];
  readonly context: ProcessorContext;
  readonly tally: StageTally;
  records: number;
  deadLetters: number;
}

const MAX_REQUEST_BYTES = 512 * 1024;

/** A key's last change in a batch was a delete. */
const DELETED: unique symbol = Symbol('deleted');

function messageBytes(message: Message): number {
  const key = message.key;
  const value = message.value;
  const size = (v: typeof key | typeof value): number =>
    v === null || v === undefined ? 0 : typeof v === 'string' ? v.length * 3 : v.length;
  return size(key) + size(value) + 32;
}

/** Splits the messages to produce into requests of at most ~`maxBytes` each, keeping each topic's order. */
export function chunkBySize(
  byTopic: ReadonlyMap<string, readonly Message[]>,
  maxBytes: number,
): { topic: string; messages: Message[] }[][] {
  const requests: { topic: string; messages: Message[] }[][] = [];
  let current: { topic: string; messages: Message[] }[] = [];
  let bytes = 0;
  for (const [topic, messages] of byTopic) {
    let entry: { topic: string; messages: Message[] } | undefined;
    for (const message of messages) {
      const size = messageBytes(message);
      if (bytes > 0 && bytes + size > maxBytes) {
        requests.push(current);
        current = [];
        bytes = 0;
        entry = undefined;
      }
      if (entry === undefined) current.push((entry = { topic, messages: [] }));
      entry.messages.push(message);
      bytes += size;
    }
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/**
 * The runtime's own store in every task: the next input offset, written in the same Kafka transaction as the batch's
 * outputs (through its changelog). The group's committed offset alone is not enough when a task opens: without
 * KIP-447's `require_stable` (kafkajs lacks it) the broker can still answer the previous offset for a moment after
 * the transaction that moved it completed, and records would be processed twice. The changelog is exact: its
 * transaction markers are written before the fencing InitProducerId returns, and the restore reads it to its end.
 */
export const SOURCE_OFFSET_STORE = '__source';

const SOURCE_OFFSET_KEY = 'next_offset';
const sourceOffsetCodec = numberCodec(SOURCE_OFFSET_STORE);

type ErasedStoreSpecs = Record<string, StoreSpec<unknown>>;

/** A stage's stores in LMDB and its changelog: the processor's (volatile ones aside), plus the source-offset store. */
export function taskStoresOf(stage: AnyStageSpec): Record<string, StateCodec<unknown>> {
  const stores = Object.entries(stage.processor.stores as ErasedStoreSpecs).filter(([, spec]) => spec.volatile !== true);
  return {
    ...Object.fromEntries(stores.map(([name, spec]) => [name, spec.codec])),
    [SOURCE_OFFSET_STORE]: sourceOffsetCodec as StateCodec<unknown>,
  };
}

/** The processor's volatile stores (StoreSpec.volatile): kept in the task's memory, empty when it opens. */
function volatileStoresOf(stage: AnyStageSpec): Map<string, InMemoryKeyValueStore<unknown>> {
  const stores = Object.entries(stage.processor.stores as ErasedStoreSpecs).filter(([, spec]) => spec.volatile === true);
  return new Map(stores.map(([name, spec]) => [name, new InMemoryKeyValueStore(name, spec.segmentPrefixLength ?? 0)]));
}

export class StreamTask {
  readonly stats: TaskStats = { records: 0, outputs: 0, deadLetters: 0, transactions: 0, lastError: null, restore: null };
  private readonly storeNames: string[];
  private readonly codecs: Record<string, StateCodec<unknown>>;
  private readonly volatileStores: Map<string, InMemoryKeyValueStore<unknown>>;
  private readonly changelogTopic: string;
  private readonly baseView: StateView<ErasedStores>;
  private lock: Promise<unknown> = Promise.resolve();
  private lastInputWallClockMs: number | null = null;
  lastOffsetLag = Number.POSITIVE_INFINITY;
  /** The group's committed offset when the task opened (-1: none): older records are skipped. */
  committedOffset = -1;

  private constructor(
    private readonly ctx: StreamTaskContext,
    private readonly state: LmdbTaskState,
    private readonly producer: Producer,
  ) {
    this.codecs = taskStoresOf(ctx.stage);
    this.volatileStores = volatileStoresOf(ctx.stage);
    // Processors see their own stores only; the source-offset store is the runtime's.
    const durable = Object.keys(this.codecs).filter((s) => s !== SOURCE_OFFSET_STORE);
    this.storeNames = [...durable, ...this.volatileStores.keys()];
    this.changelogTopic = changelogTopicName(ctx.appId, ctx.stage.name);
    const view: Record<string, KeyValueView<unknown>> = {};
    for (const store of durable) view[store] = state.view(store);
    for (const [store, memory] of this.volatileStores) view[store] = memory;
    this.baseView = view;
  }

  /** Opens the LMDB state, restores it from the changelog as far as needed, and starts the producer. */
  static async open(ctx: StreamTaskContext): Promise<StreamTask> {
    const stores = taskStoresOf(ctx.stage);
    const state = LmdbTaskState.open({ path: ctx.statePath, stores, wipe: ctx.wipeState });
    const logger = ctx.logger.child({ task: `${ctx.stage.name}-${ctx.partition}`, partition: ctx.partition });
    if (state.wipedAfterRestart)
      logger.warn({ msg: 'the machine restarted before the task state was flushed: wiped, restoring from the changelog' });
    const producer = ctx.kafka.producer({
      transactionalId: `${ctx.appId}-${ctx.stage.name}-${ctx.partition}`,
      createPartitioner: keyPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: ctx.transactionTimeoutMs ?? 60_000,
    });
    // connect() runs InitProducerId for our transactional id: it fences a previous owner and waits until that
    // owner's pending transaction is aborted or, if it was already committing, completed. Before the restore,
    // so the changelog has no open transaction while it is read.
    let restore: RestoreResult;
    try {
      await producer.connect();
      restore = await restoreTaskState({
        kafka: ctx.kafka,
        logger,
        state,
        partition: ctx.partition,
        topic: changelogTopicName(ctx.appId, ctx.stage.name),
        onProgress: (progress) => observeRestoreProgress(ctx.stage.name, progress),
      });
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      await state.close();
      throw error;
    }
    // Only now is the group's committed offset final. The consumer fetched its position at assignment, possibly
    // before a dying owner's commit completed (kafkajs has no KIP-447 require_stable): records below the
    // committed offset were already processed and must be skipped, or their outputs would be produced twice.
    const committedOffset = await StreamTask.committedOffsetOf(ctx, state, logger);
    const task = new StreamTask({ ...ctx, logger }, state, producer);
    task.stats.restore = restore;
    task.committedOffset = committedOffset;
    return task;
  }

  /** The group's committed offset of the task's partition, or the task state's when that is ahead (-1: none). */
  private static async committedOffsetOf(ctx: StreamTaskContext, state: LmdbTaskState, logger: Logger): Promise<number> {
    const admin = ctx.kafka.admin();
    const inputTopic = kafkaTopicOf(ctx.stage, ctx.stage.inputTopic);
    let committedOffset = -1;
    try {
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: ctx.groupId, topics: [inputTopic] });
      const own = offsets?.partitions.find((p) => p.partition === ctx.partition);
      committedOffset = own === undefined ? -1 : Number(own.offset);
    } finally {
      await admin.disconnect();
    }
    const fromState = state.view(SOURCE_OFFSET_STORE).get(SOURCE_OFFSET_KEY) as number | undefined;
    if (fromState !== undefined && fromState > committedOffset) {
      logger.info({
        msg: 'group offset behind the task state: using the state',
        group_offset: committedOffset,
        state_offset: fromState,
      });
      return fromState;
    }
    return committedOffset;
  }

  get partition(): number {
    return this.ctx.partition;
  }

  /** Serialises work on this task (the consumer loop and the punctuation timer). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Processes consumed records from the start of `all` as one transaction and returns how many of them it took: all
   * of them, or fewer when processing them has taken `maxMs` (at least one record is always taken). A fetch of a
   * backlog holds a whole partition's records; committing it in transactions of bounded time lets the worker
   * heartbeat, hand partitions over on a rebalance and keep transactions short (config `stream.commitIntervalMs`).
   * Records below the committed offset (already processed by a previous owner) are skipped; the input offset
   * committed is the last taken record's + 1.
   */
  async processBatch(all: readonly KafkaMessage[], offsetLag: number, maxMs = Number.POSITIVE_INFINITY): Promise<number> {
    const messages = this.committedOffset > 0 ? all.filter((m) => Number(m.offset) >= this.committedOffset) : all;
    const skipped = all.length - messages.length;
    if (skipped > 0) {
      this.ctx.logger.info({
        msg: 'skipped records committed by the previous owner',
        skipped,
        committed_offset: this.committedOffset,
      });
    }
    if (messages.length === 0) return all.length;
    this.lastInputWallClockMs = Date.now();
    const taken = await this.transaction(messages, { offsetLag, deadlineMs: performance.now() + maxMs });
    return skipped + taken;
  }

  /** Wall-clock punctuation of an idle task: one transaction if the processor has anything to say. */
  async punctuateIdle(idleAdvance: boolean): Promise<void> {
    await this.transaction([], undefined, idleAdvance);
  }

  /**
   * One transaction: global entries, records (from the first, until `input.deadlineMs`), punctuation, then outputs,
   * changelog and input offset committed together, and only then the state made durable in LMDB. Returns the number
   * of records taken.
   */
  private async transaction(
    messages: readonly KafkaMessage[],
    input: { readonly offsetLag: number; readonly deadlineMs: number } | undefined,
    idleAdvance = false,
  ): Promise<number> {
    const started = performance.now();
    const run = this.newBatchRun();
    const taken = await this.processRecords(run, messages, input?.deadlineMs ?? Number.POSITIVE_INFINITY);
    // The records left of this fetch are a backlog too: the punctuation must not see the task as drained.
    if (input !== undefined) this.lastOffsetLag = input.offsetLag + (messages.length - taken);
    const lastOffset = taken === 0 ? undefined : Number((messages[taken - 1] as KafkaMessage).offset);
    await this.punctuate(run, idleAdvance);
    const changes = run.batch.changes();
    const deltas = this.netDeltas(changes.filter((change) => !this.volatileStores.has(change.store)));
    if (lastOffset !== undefined)
      deltas.set(SOURCE_OFFSET_STORE, new Map([[SOURCE_OFFSET_KEY, encodeStateValue(lastOffset + 1)]]));
    // This task is the only writer of its changelog partition: its records land from the recorded position on,
    // contiguous, then the transaction's marker.
    const firstOffset = this.expectedChangelogOffset();
    const { records: changelog, checkpoints } = this.changelogRecords(deltas, firstOffset);
    if (lastOffset === undefined && run.produced.length === 0 && changelog.length === 0) {
      this.applyVolatile(changes);
      return taken;
    }
    const produced = changelog.map((r) => this.changelogMessage(r));
    const expectedFirst = changelog.length > 0 ? firstOffset : undefined;
    await this.commitInKafka([...run.produced, ...produced], lastOffset, expectedFirst);
    // Only now the state: committed in Kafka, so safe to make durable locally.
    const position: ChangelogPosition | undefined =
      expectedFirst === undefined ? undefined : { offset: expectedFirst + changelog.length + 1, checkpoints };
    this.state.commit(deltas, position);
    this.applyVolatile(changes);
    this.countCommitted(run, changelog.length, lastOffset, started);
    return taken;
  }

  private newBatchRun(): BatchRun {
    const { stage } = this.ctx;
    return {
      batch: new BatchOverlay(this.baseView, this.storeNames),
      produced: [],
      context: { wallClockMs: Date.now(), partition: this.ctx.partition },
      tally: stageTally(stage.name, stage.inputTopic),
      records: 0,
      deadLetters: 0,
    };
  }

  /**
   * The records in order until the deadline has passed (at least one); returns how many were taken. Each one is
   * all-or-nothing, so a failing record is dead-lettered without partial state.
   */
  private async processRecords(run: BatchRun, messages: readonly KafkaMessage[], deadlineMs: number): Promise<number> {
    for (const message of messages) {
      if (run.records > 0 && performance.now() >= deadlineMs) break;
      run.records++;
      try {
        if (message.value === null) continue; // tombstones carry nothing for a processor
        await this.processRecord(run, message, message.value);
      } catch (error) {
        if (!(error instanceof OraculError) || error.retryable) throw error;
        run.deadLetters++;
        run.produced.push(await this.deadLetter(message, error, run.context.wallClockMs));
      }
    }
    return run.records;
  }

  /** One record's inputs in one all-or-nothing call (processInputs); merged into the batch only if it succeeds. */
  private async processRecord(run: BatchRun, message: KafkaMessage, bytes: Buffer): Promise<void> {
    const { stage } = this.ctx;
    const meta = {
      topic: stage.inputTopic,
      partition: this.ctx.partition,
      offset: Number(message.offset),
      key: message.key === null ? null : message.key.toString('utf8'),
      timestampMs: Number(message.timestamp),
    };
    const value = await this.ctx.serdes.forTopic(stage.inputTopic).deserialize(bytes);
    const inputs = stage.toInputs(value, meta).map((input) => ({ ...meta, value: input }));
    if (inputs.length === 0) return;
    const result = processInputs(stage.processor, run.batch.view, inputs, run.context) as ProcessResult<ErasedStores, unknown>;
    this.checkDeclared(result.outputs);
    const serialized = await this.serializeOutputs(result.outputs, run.tally);
    run.batch.apply(result.stateChanges);
    run.produced.push(...serialized);
  }

  /** 3. Punctuation before every commit (coalesced window updates, closes) and on the idle timer. */
  private async punctuate(run: BatchRun, idleAdvance: boolean): Promise<void> {
    const { processor } = this.ctx.stage;
    if (processor.punctuate === undefined) return;
    const result = processor.punctuate(run.batch.view, {
      ...run.context,
      lastInputWallClockMs: this.lastInputWallClockMs,
      caughtUp: idleAdvance && this.lastOffsetLag === 0,
      drained: this.lastOffsetLag === 0,
    });
    await this.emit(run, result);
  }

  /** A global entry's or the punctuation's result: its state changes into the batch, its outputs to produce. */
  private async emit(run: BatchRun, processed: ProcessResult<StoreValues, unknown>): Promise<void> {
    const result = processed as ProcessResult<ErasedStores, unknown>;
    run.batch.apply(result.stateChanges);
    this.checkDeclared(result.outputs);
    run.produced.push(...(await this.serializeOutputs(result.outputs, run.tally)));
  }

  private checkDeclared(outputs: readonly OutputRecord<unknown>[]): void {
    const { processor } = this.ctx.stage;
    for (const o of outputs)
      if (!processor.outputTopics.includes(o.topic)) throw new UndeclaredOutputTopicError(processor.name, o.topic);
  }

  private async serializeOutputs(outputs: readonly OutputRecord<unknown>[], tally: StageTally): Promise<Produced[]> {
    const { stage } = this.ctx;
    const result: Produced[] = [];
    for (const output of outputs) {
      const avro = stage.toAvro(output);
      const value = await this.ctx.serdes.forTopic(avro.topic).serialize(avro.value as never);
      result.push({ topic: kafkaTopicOf(stage, avro.topic), message: { key: avro.key, value } });
      tally.output(avro.topic, avro.value);
    }
    return result;
  }

  /**
   * The batch's changelog records: per store, its net delta as delta records and, when the store's deltas have
   * outgrown its last snapshot, a new snapshot of its committed state first; then the index (state/checkpoint.ts).
   * They land from the position LMDB recorded: this task is the partition's only writer.
   */
  private changelogRecords(
    deltas: ReadonlyMap<string, StoreDelta>,
    firstOffset: number,
  ): {
    records: ChangelogRecord[];
    checkpoints: Map<string, StoreCheckpoint>;
  } {
    const stores = Object.keys(this.codecs).map((store): StoreCommit => {
      const checkpoint = this.state.checkpointOf(store);
      const committed = snapshotDue(checkpoint) ? () => this.state.entries(store) : undefined;
      return { store, checkpoint, delta: deltas.get(store), committed };
    });
    return commitRecords(stores, firstOffset);
  }

  private expectedChangelogOffset(): number {
    const offset = this.state.changelogOffset();
    if (offset === undefined) throw new ChangelogPositionError('no changelog position recorded', { partition: this.partition });
    return offset;
  }

  private changelogMessage(record: ChangelogRecord): Produced {
    return { topic: this.changelogTopic, message: { key: record.key, value: record.value, partition: this.ctx.partition } };
  }

  /**
   * 4. One Kafka transaction: outputs, dead letters, changelog, input offset. `expectedFirst` is where its first
   * changelog record must land (undefined: it writes none).
   */
  private async commitInKafka(
    records: readonly Produced[],
    lastOffset: number | undefined,
    expectedFirst: number | undefined,
  ): Promise<void> {
    const txn = await this.producer.transaction();
    try {
      const firstOffsets = await this.sendInRequests(txn, records);
      const landed = firstOffsets.get(this.changelogTopic);
      // The index and the checkpoints name offsets computed before sending: they must be where the records landed.
      if (expectedFirst !== undefined && landed !== expectedFirst) {
        throw new ChangelogPositionError('changelog records did not land at the recorded position', {
          partition: this.partition,
          expected: expectedFirst,
          landed,
        });
      }
      if (lastOffset !== undefined) {
        const { stage } = this.ctx;
        await txn.sendOffsets({
          consumerGroupId: this.ctx.groupId,
          topics: [
            {
              topic: kafkaTopicOf(stage, stage.inputTopic),
              partitions: [{ partition: this.ctx.partition, offset: String(lastOffset + 1) }],
            },
          ],
        });
      }
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /**
   * Sends the records in requests under the broker's message.max.bytes (1 MiB by default): kafkajs puts one
   * partition's messages of a request into one record batch. Returns the first offset written in this task's
   * partition of each topic.
   */
  private async sendInRequests(txn: Transaction, records: readonly Produced[]): Promise<Map<string, number>> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of records) {
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [message]);
      else list.push(message);
    }
    const firstOffsets = new Map<string, number>();
    for (const request of chunkBySize(byTopic, MAX_REQUEST_BYTES)) {
      const metadata = await txn.sendBatch({ topicMessages: request, acks: -1 });
      for (const m of metadata) {
        if (m.partition === this.ctx.partition && m.baseOffset !== undefined && !firstOffsets.has(m.topicName)) {
          firstOffsets.set(m.topicName, Number(m.baseOffset));
        }
      }
    }
    return firstOffsets;
  }

  /** 5. The committed batch in the task's statistics, the stage's metrics and the debug log. */
  private countCommitted(run: BatchRun, changelogRecords: number, lastOffset: number | undefined, started: number): void {
    const outputs = run.produced.length - run.deadLetters;
    this.stats.records += run.records;
    this.stats.outputs += outputs;
    this.stats.deadLetters += run.deadLetters;
    this.stats.transactions++;
    run.tally.committed(run.records, run.deadLetters);
    this.ctx.logger.debug({
      msg: 'batch committed',
      records: run.records,
      outputs,
      dead_letters: run.deadLetters,
      changelog_records: changelogRecords,
      last_offset: lastOffset,
      duration_ms: Math.round(performance.now() - started),
    });
  }

  /** The batch's changes to volatile stores, once nothing durable of the batch can fail any more. */
  private applyVolatile(changes: readonly StateChange<ErasedStores>[]): void {
    for (const change of changes) this.volatileStores.get(change.store)?.apply(change);
  }

  /**
   * A batch's changes as net per-key deltas (what LMDB and the changelog need): range deletes become key deletes,
   * each key's last value is encoded once, and a delete of a key the committed state does not hold (written and
   * removed within the batch, e.g. a window's pending-update mark) is no change at all.
   */
  private netDeltas(changes: readonly StateChange<ErasedStores>[]): Map<string, StoreDelta> {
    const finals = new Map<string, Map<string, unknown>>();
    for (const change of changes) {
      let last = finals.get(change.store);
      if (last === undefined) finals.set(change.store, (last = new Map()));
      if (change.op === 'put') last.set(change.key, change.value);
      else if (change.op === 'delete') last.set(change.key, DELETED);
      else {
        for (const key of this.state.keysInRange(change.store, change.gte, change.lt)) last.set(key, DELETED);
        for (const key of last.keys()) if (key >= change.gte && key < change.lt) last.set(key, DELETED);
      }
    }
    const deltas = new Map<string, StoreDelta>();
    for (const [store, last] of finals) {
      const codec = this.codecs[store] as StateCodec<unknown>;
      const delta: StoreDelta = new Map();
      for (const [key, value] of last) {
        if (value !== DELETED) delta.set(key, encodeStateValue(codec.encode(value)));
        else if (this.state.has(store, key)) delta.set(key, undefined);
      }
      if (delta.size > 0) deltas.set(store, delta);
    }
    return deltas;
  }

  private async deadLetter(message: KafkaMessage, error: OraculError, wallClockMs: number): Promise<Produced> {
    const { stage } = this.ctx;
    const topic: TopicName = deadLetterTopicOf(stage.inputTopic);
    const record: DeadLetter = {
      source_topic: kafkaTopicOf(stage, stage.inputTopic),
      source_partition: this.ctx.partition,
      source_offset: Number(message.offset),
      source_timestamp: Number(message.timestamp),
      original_key: message.key,
      original_value: message.value,
      original_headers: Object.entries(message.headers ?? {}).flatMap(([key, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => ({ key, value: v === undefined ? null : Buffer.from(v) })),
      ),
      stage: stage.name,
      error_code: error.code,
      error_message: error.message,
      error_details: JSON.stringify(error.details),
      retryable: false,
      attempts: 1,
      failed_at: wallClockMs,
    };
    this.ctx.logger.warn({
      msg: 'record dead-lettered',
      code: error.code,
      err: error,
      topic: stage.inputTopic,
      offset: message.offset,
      dlq: kafkaTopicOf(stage, topic),
    });
    const value = await this.ctx.serdes.forTopic(topic).serialize(record as never);
    return { topic: kafkaTopicOf(stage, topic), message: { key: message.key, value } };
  }

  async close(): Promise<void> {
    await this.lock;
    await this.producer.disconnect().catch(() => undefined);
    await this.state.close();
  }
}
