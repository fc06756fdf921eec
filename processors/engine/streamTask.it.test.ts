import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Admin, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import pRetry from 'p-retry';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import type { Serde, Serdes } from '../../schemas/serde.ts';
import type { TopicName } from '../../schemas/topics.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { useTestTopic } from '../../scripts/test/test-topic.ts';
import type { Processor } from './processor.ts';
import { numberCodec, type StateChange, type StoreValues } from './state.ts';
import type { AnyStageSpec, StageSpec } from './stage.ts';
import { StreamTask } from './streamTask.ts';
import { checkAssumedPartitions, changelogTopicsOf } from './streamWorker.ts';
import { erc20DecoderStage } from '../erc20/erc20-decoder-stage.ts';
import { ConfigError } from '../../core/errors.ts';

/** JSON for every topic: this test is about the task's transactions, not about Avro. */
const json: Serde<unknown> = {
  serialize: async (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: async (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
} as Serde<unknown>;

type ProbeStores = { seen: number };
type ProbeInput = { record: string };
type ProbeOutput = { record: string; globals: string[] };

/** Serdes that record every value serialised for `outputTopic` into `outputs` (JSON on the wire). */
function capturingSerdes(outputTopic: string, outputs: ProbeOutput[]): Serdes {
  return {
    forTopic: (topic) =>
      ({
        serialize: async (value: unknown) => {
          if (topic === outputTopic) outputs.push(value as ProbeOutput);
          return json.serialize(value);
        },
        deserialize: json.deserialize,
      }) as never,
    frameEncoder: () => Promise.reject(new Error('the stream task does not use frame encoders')),
    registerAll: async () => [],
  };
}

/** A consumed input record whose value is `value` as JSON, at `offset`. */
function message(offset: number, value: string): KafkaMessage {
  return {
    key: Buffer.from(value),
    value: Buffer.from(JSON.stringify(value)),
    timestamp: String(Date.now()),
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}

/** Creates the stage's changelog topics and waits until they have a leader (metadata requests fail before). */
async function createChangelogs(admin: Admin, logger: Logger, appId: string, stage: AnyStageSpec): Promise<string[]> {
  const changelogs = changelogTopicsOf(appId, stage, testConfig().kafka.topics);
  await ensureTopics(admin, changelogs, logger);
  await pRetry(() => admin.fetchTopicMetadata({ topics: changelogs.map((c) => c.name) }), { retries: 20, minTimeout: 250 });
  return changelogs.map((c) => c.name);
}

/** StreamTask against the real broker: how it cuts a fetch into transactions, and its checks at start. */
describe('StreamTask (real broker)', () => {
  const logger = createLogger({ level: 'silent' });
  const t = useTestTopic('task-out');
  // The stage's input: its group offsets are committed in the task's transactions.
  const input = useTestTopic('task-in');
  const appId = `task-it-${randomUUID().slice(0, 8)}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'oracul-task-it-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  /** A stage of a probe processor: `eth.logs.raw` read from the test's input topic, outputs produced as they are. */
  const probeStage = <S extends StoreValues>(
    processor: Processor<S, ProbeInput, ProbeOutput>,
  ): StageSpec<S, ProbeInput, ProbeOutput> => ({
    name: processor.name,
    inputTopic: 'eth.logs.raw',
    processor,
    toInputs: (value) => [{ record: String(value) }],
    toAvro: (output) => ({ topic: output.topic as TopicName, key: output.key, value: output.value }),
    kafkaTopics: { 'eth.logs.raw': input.topic },
  });

  it('commits a fetch in transactions of bounded processing time, drained only after the last record', async () => {
    const outputTopic = t.topic as TopicName;
    const punctuations: boolean[] = [];
    const processor: Processor<ProbeStores, ProbeInput, ProbeOutput> = {
      name: 'interval-probe',
      stores: { seen: { codec: numberCodec('seen'), doc: 'records processed' } },
      outputTopics: [outputTopic],
      process(state, record) {
        const value = record.value as { record: string };
        const seen = (state.seen.get('count') ?? 0) + 1;
        return {
          stateChanges: [{ op: 'put', store: 'seen', key: 'count', value: seen }],
          outputs: [{ topic: outputTopic, key: value.record, value: { record: value.record, globals: [String(seen)] } }],
        };
      },
      punctuate(_state, ctx) {
        punctuations.push(ctx.drained);
        return { stateChanges: [], outputs: [] };
      },
    };
    const stage = probeStage(processor);
    const changelogs = await createChangelogs(t.admin, logger, `${appId}-interval`, stage);
    const outputs: ProbeOutput[] = [];
    const capturing = capturingSerdes(outputTopic, outputs);
    const groupId = `${appId}-interval-group`;
    const task = await StreamTask.open({
      kafka: t.kafka,
      logger,
      serdes: capturing,
      stage,
      appId: `${appId}-interval`,
      groupId,
      partition: 0,
      statePath: join(stateDir, 'interval-task'),
    });
    const fetched = ['a', 'b', 'c', 'd'].map((value, offset) => message(offset, value));
    try {
      // A commit interval of 0 ms: every transaction takes exactly one record, as the worker's loop would go on.
      let rest = fetched;
      const taken: number[] = [];
      while (rest.length > 0) {
        const n = await task.processBatch(rest, 0, 0);
        taken.push(n);
        rest = rest.slice(n);
      }
      expect(taken).toEqual([1, 1, 1, 1]);
      expect(task.stats.transactions).toBe(4);
      expect(outputs.map((o) => [o.record, o.globals[0]])).toEqual([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
        ['d', '4'],
      ]);
      // The records left in the fetch are a backlog: only the transaction that took the last one sees the task drained.
      expect(punctuations).toEqual([false, false, false, true]);
      // The commit returns once the coordinator decided it; the offsets' commit marker lands in __consumer_offsets just
      // after, and until then the group still shows the offset before (what KIP-447's require_stable waits for).
      const committed = async (): Promise<string | undefined> => {
        const [offsets] = await t.admin.fetchOffsets({ groupId, topics: [input.topic] });
        return offsets?.partitions.find((p) => p.partition === 0)?.offset;
      };
      await expect.poll(committed, { timeout: 10_000, interval: 50 }).toBe('4');
      // Without a limit the whole fetch is one transaction.
      expect(
        await task.processBatch(
          fetched.map((m) => ({ ...m, offset: String(Number(m.offset) + 4) })),
          0,
        ),
      ).toBe(4);
      expect(task.stats.transactions).toBe(5);
    } finally {
      await task.close();
      await t.admin.deleteTopics({ topics: changelogs }).catch(() => undefined);
    }
  }, 60_000);

  it('keeps a volatile store in memory across batches, out of LMDB and the changelog, empty when the task reopens', async () => {
    const outputTopic = t.topic as TopicName;
    type Stores = { seen: number; marks: number };
    // Each record adds a mark and outputs how many marks the task holds.
    const processor: Processor<Stores, ProbeInput, ProbeOutput> = {
      name: 'volatile-probe',
      stores: {
        seen: { codec: numberCodec('seen'), doc: 'records processed' },
        marks: { codec: numberCodec('marks'), doc: 'in memory only', volatile: true },
      },
      outputTopics: [outputTopic],
      process(state, record) {
        const marks = [...state.marks.range({ gte: '', lt: '~' })].length + 1;
        const seen = (state.seen.get('count') ?? 0) + 1;
        return {
          stateChanges: [
            { op: 'put', store: 'seen', key: 'count', value: seen },
            { op: 'put', store: 'marks', key: record.value.record, value: 1 },
          ],
          outputs: [
            {
              topic: outputTopic,
              key: record.value.record,
              value: { record: record.value.record, globals: [`${seen}/${marks}`] },
            },
          ],
        };
      },
    };
    const stage = probeStage(processor);
    const volatileAppId = `${appId}-volatile`;
    const changelogs = await createChangelogs(t.admin, logger, volatileAppId, stage);
    const outputs: ProbeOutput[] = [];
    const open = (path: string) =>
      StreamTask.open({
        kafka: t.kafka,
        logger,
        serdes: capturingSerdes(outputTopic, outputs),
        stage,
        appId: volatileAppId,
        groupId: `${volatileAppId}-group`,
        partition: 0,
        statePath: join(stateDir, path),
      });
    try {
      const first = await open('volatile-first');
      try {
        await first.processBatch([message(0, 'a')], 0);
        await first.processBatch([message(1, 'b')], 0);
      } finally {
        await first.close();
      }
      // The same disk, then an empty one: the durable count carries on, the marks start empty both times.
      for (const path of ['volatile-first', 'volatile-second']) {
        const reopened = await open(path);
        const offset = outputs.length;
        await reopened.processBatch([message(offset, `r${offset}`)], 0).finally(() => reopened.close());
      }
      expect(outputs.map((o) => o.globals[0])).toEqual(['1/1', '2/2', '3/1', '4/1']);
      const stores = new Set<string>();
      const consumer = t.kafka.consumer({ groupId: `${volatileAppId}-reader`, readUncommitted: false });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: changelogs[0]!, fromBeginning: true });
        let read = 0;
        await consumer.run({
          eachMessage: async ({ message: m }) => void (read++, stores.add(m.key?.toString('utf8').split('/')[0] ?? '')),
        });
        await vi.waitFor(() => expect(read).toBeGreaterThanOrEqual(4), { timeout: 20_000, interval: 100 });
      } finally {
        await consumer.disconnect();
      }
      expect(stores).toContain('seen');
      expect(stores).not.toContain('marks');
    } finally {
      await t.admin.deleteTopics({ topics: changelogs }).catch(() => undefined);
    }
  }, 60_000);

  it('restores on an empty disk from a changelog that holds records of a store the processor no longer declares', async () => {
    // Before ADR 0024 every aggregate task kept the price table in stores of its own: their records stay in the
    // changelog, and an upgraded task that restores it must skip them, not fail on an unknown store.
    const outputTopic = t.topic as TopicName;
    type Stores = { seen: number; dropped: number };
    const counting = (declared: 'both' | 'seen'): Processor<Stores, ProbeInput, ProbeOutput> => ({
      name: 'upgrade-probe',
      stores: {
        seen: { codec: numberCodec('seen'), doc: 'records processed' },
        ...(declared === 'both' ? { dropped: { codec: numberCodec('dropped'), doc: 'a store the upgrade removes' } } : {}),
      } as Processor<Stores, ProbeInput, ProbeOutput>['stores'],
      outputTopics: [outputTopic],
      process(state, record) {
        const seen = (state.seen.get('count') ?? 0) + 1;
        const changes: StateChange<Stores>[] = [{ op: 'put', store: 'seen', key: 'count', value: seen }];
        if (declared === 'both') changes.push({ op: 'put', store: 'dropped', key: record.value.record, value: 1 });
        return {
          stateChanges: changes,
          outputs: [
            { topic: outputTopic, key: record.value.record, value: { record: record.value.record, globals: [String(seen)] } },
          ],
        };
      },
    });
    const stageOf = (processor: Processor<Stores, ProbeInput, ProbeOutput>) => probeStage(processor);
    const upgradeAppId = `${appId}-upgrade`;
    const changelogs = await createChangelogs(t.admin, logger, upgradeAppId, stageOf(counting('both')));
    const outputs: ProbeOutput[] = [];
    const open = (declared: 'both' | 'seen', path: string) =>
      StreamTask.open({
        kafka: t.kafka,
        logger,
        serdes: capturingSerdes(outputTopic, outputs),
        stage: stageOf(counting(declared)),
        appId: upgradeAppId,
        groupId: `${upgradeAppId}-group`,
        partition: 0,
        statePath: join(stateDir, path),
      });
    try {
      const before = await open('both', 'upgrade-before');
      await before.processBatch([message(0, 'a'), message(1, 'b')], 0).finally(() => before.close());
      const after = await open('seen', 'upgrade-after');
      try {
        expect(after.stats.restore?.restoredRecords).toBeGreaterThan(0);
        await after.processBatch([message(2, 'c')], 0);
      } finally {
        await after.close();
      }
      expect(outputs.map((o) => [o.record, o.globals[0]])).toEqual([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ]);
    } finally {
      await t.admin.deleteTopics({ topics: changelogs }).catch(() => undefined);
    }
  }, 60_000);
});

describe('a stage that partitions its own outputs (real broker)', () => {
  const hop = useTestTopic('hop-3', { partitions: 3 });

  it('starts only when the topic has the partition count the stage groups by', async () => {
    const stage = erc20DecoderStage({ hopPartitions: { byToken: 6, byAddress: 3 } });
    const kafkaTopics = { 'erc20.transfer-batches.by-token': hop.topic, 'erc20.transfer-batches.by-address': hop.topic };
    await expect(checkAssumedPartitions(hop.admin, { ...stage, kafkaTopics })).rejects.toThrow(
      /groups erc20.transfer-batches.by-token by 6 partitions, but the topic has 3/,
    );
    await expect(checkAssumedPartitions(hop.admin, { ...stage, kafkaTopics })).rejects.toBeInstanceOf(ConfigError);
    const matching = erc20DecoderStage({ hopPartitions: { byToken: 3, byAddress: 3 } });
    await expect(checkAssumedPartitions(hop.admin, { ...matching, kafkaTopics })).resolves.toBeUndefined();
  });
});
