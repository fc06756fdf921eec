/**
 * Benchmark: restoring a task's LMDB store of N keys (default 1,000,000) from its changelog on the real local
 * Kafka, as a worker with an empty disk does when a task moves to it. Target (issue 14): < 3 s for 1 M keys.
 *
 *   npx tsx scripts/bench/restore.ts [--keys 1000000] [--value-bytes 64] [--commit-keys 20000]
 *
 * Setup (untimed): the changelog is written exactly as tasks write it (state/checkpoint.ts): commits of
 * `--commit-keys` new keys, each a delta record set, with a snapshot whenever the deltas outgrow the last one. The
 * topic is not compacted yet, so the restore reads every snapshot, tombstone and delta: the worst case.
 * Then, in one run: the restore onto an empty disk; the range it needs (from the store's last snapshot, named by
 * the last index record) fetched with the same consumer settings and nothing applied (the Kafka part alone); every
 * key of the final state written once into a fresh LMDB (the disk part alone); a second restore on the now
 * up-to-date disk (must read nothing). Prints wall, process CPU, load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { restoreConsumerConfig, restoreTaskState } from '../../state/changelog.ts';
import {
  EMPTY_CHECKPOINT,
  INDEX_RECORD_KEY,
  commitRecords,
  decodeIndex,
  snapshotDue,
  type ChangelogRecord,
} from '../../state/checkpoint.ts';
import { encodeEntries, encodeStateValue, forEachEntry, parseRecordKey, type StoreDelta } from '../../state/checkpoint-format.ts';
import { LmdbTaskState, type RestoredRecord } from '../../state/lmdbTaskState.ts';
import type { Plain, StateCodec } from '../../state/types.ts';
import { peakRssMiB, startBenchStack } from './bench-stack.ts';
import { numberArg } from './args.ts';

const KEYS = numberArg('keys', 1_000_000);
const VALUE_BYTES = numberArg('value-bytes', 64);
const COMMIT_KEYS = numberArg('commit-keys', 20_000);
const STORE = 'store';
const plainCodec: StateCodec<unknown> = { encode: (v) => v as Plain, decode: (p) => p };

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Measured<T> {
  readonly result: T;
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const c0 = cpuMs();
  const w0 = performance.now();
  const result = await work();
  return { result, wallMs: performance.now() - w0, cpuMs: cpuMs() - c0 };
}

/** The changelog of KEYS distinct keys, as a task writes it: one delta per commit, snapshots when due, the index. */
function changelogOf(keys: number): { transactions: ChangelogRecord[][]; finalState: [string, Buffer][] } {
  const filler = 'x'.repeat(Math.max(0, VALUE_BYTES - 40));
  const committed: [string, Buffer][] = [];
  const transactions: ChangelogRecord[][] = [];
  let checkpoint = EMPTY_CHECKPOINT;
  let offset = 0;
  for (let start = 0; start < keys; start += COMMIT_KEYS) {
    const delta: StoreDelta = new Map();
    for (let i = start; i < Math.min(keys, start + COMMIT_KEYS); i++)
      delta.set(`k${i.toString().padStart(9, '0')}`, encodeStateValue({ n: i, v: String(i * 7), f: filler }));
    const snapshot = snapshotDue(checkpoint) ? [...committed] : undefined;
    const written = commitRecords([{ store: STORE, checkpoint, delta, committed: snapshot && (() => snapshot) }], offset);
    transactions.push(written.records);
    checkpoint = written.checkpoints.get(STORE) ?? checkpoint;
    offset += written.records.length + 1; // + the transaction's commit marker
    committed.push(...(delta.entries() as Iterable<[string, Buffer]>));
  }
  return { transactions, finalState: committed };
}

async function produce(kafka: Kafka, topic: string, transactions: readonly ChangelogRecord[][]): Promise<void> {
  const producer = kafka.producer({ transactionalId: `${topic}-writer`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const records of transactions) {
    const txn = await producer.transaction();
    for (let i = 0; i < records.length; i += 2) {
      const messages = records.slice(i, i + 2).map((r) => ({ key: r.key, value: r.value, partition: 0 }));
      await txn.send({ topic, messages });
    }
    await txn.commit();
  }
  await producer.disconnect();
}

/** The Kafka part alone: the range the restore needs, read with its consumer settings, nothing applied. */
async function fetchOnly(kafka: Kafka, topic: string, from: number, end: number): Promise<{ records: number; bytes: number }> {
  const consumer = kafka.consumer(restoreConsumerConfig());
  let next = from;
  let records = 0;
  let bytes = 0;
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    next = Math.max(next, Number(e.payload.lastOffset) + 1);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        records++;
        bytes += m.value?.length ?? 0;
      }
    },
  });
  consumer.seek({ topic, partition: 0, offset: String(from) });
  while (next < end) await new Promise((resolve) => setTimeout(resolve, 20));
  await consumer.disconnect();
  return { records, bytes };
}

/** The final state as restored records (built before the disk baseline's clock starts). */
function recordsOf(finalState: Iterable<readonly [string, Buffer]>): RestoredRecord[] {
  return encodeEntries(finalState).map((value, seq) => ({ key: { store: STORE, kind: 'delta', generation: 0, seq }, value }));
}

/** The disk part alone: every key of the final state written once into a fresh LMDB (one transaction). */
async function lmdbOnly(records: readonly RestoredRecord[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-lmdb-'));
  const state = LmdbTaskState.open({ path: dir, stores: { [STORE]: plainCodec } });
  try {
    return state.applyRestored(records, { offset: 0, checkpoints: new Map() });
  } finally {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const stack = await startBenchStack(['kafka']);
const { config, logger } = stack.common;
const kafka = createKafka({ config, logger, clientSuffix: 'bench-restore' });
const topic = `bench-restore-${Date.now()}-changelog`;
const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-restore-'));
try {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ name: topic, partitions: 1, replicationFactor: 1, cleanupPolicy: 'compact' }], logger);
  const setupStarted = performance.now();
  const { transactions, finalState } = changelogOf(KEYS);
  await produce(kafka, topic, transactions);
  const [own] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = Number(own?.high ?? 0);
  const written = transactions.flat();
  const data = written.filter((r) => r.value !== null && r.key !== INDEX_RECORD_KEY);
  const snapshotRecords = data.filter((r) => parseRecordKey(r.key).kind === 'snapshot').length;
  let writtenEntries = 0;
  for (const r of data) writtenEntries += forEachEntry(r.value as Buffer, () => undefined);

  console.log(`restore benchmark — ${KEYS.toLocaleString('en')} keys, ~${VALUE_BYTES} B values, 1 partition, local Kafka`);
  console.log(
    `  setup: ${transactions.length} commits of ${COMMIT_KEYS.toLocaleString('en')} keys → ${written.length} changelog records (${snapshotRecords} snapshot parts, ${written.filter((r) => r.value === null).length} tombstones, ${writtenEntries.toLocaleString('en')} entries, uncompacted) in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`,
  );
  console.log(`  load before: ${load()}`);
  const state = LmdbTaskState.open({ path: dir, stores: { [STORE]: plainCodec } });
  const first = await measure(() => restoreTaskState({ kafka, logger, state, partition: 0, topic, progressIntervalMs: 5_000 }));
  const count = state.count(STORE);
  const second = await measure(() => restoreTaskState({ kafka, logger, state, partition: 0, topic }));
  await state.close();
  const lastIndex = transactions.at(-1)?.at(-1);
  const from = lastIndex === undefined ? 0 : Math.max(0, decodeIndex(lastIndex.value as Buffer).get(STORE) ?? 0);
  const fetched = await measure(() => fetchOnly(kafka, topic, from, end));
  const finalRecords = recordsOf(finalState);
  const disk = await measure(() => lmdbOnly(finalRecords));
  console.log(`  load after: ${load()}`);

  const line = (name: string, m: Measured<unknown>, detail: string): void =>
    console.log(
      `  ${name.padEnd(34)} ${(m.wallMs / 1000).toFixed(2).padStart(6)} s wall, ${(m.cpuMs / 1000).toFixed(2).padStart(6)} s CPU   ${detail}`,
    );
  const r = first.result;
  line(
    'restore (empty disk)',
    first,
    `${r.restoredRecords} records, ${r.restoredEntries.toLocaleString('en')} entries, ${count.toLocaleString('en')} keys in LMDB`,
  );
  line(
    `  baseline: fetch only (${from}..${end})`,
    fetched,
    `${fetched.result.records} records, ${(fetched.result.bytes / 2 ** 20).toFixed(1)} MiB`,
  );
  line('  baseline: LMDB, final keys once', disk, `${disk.result.toLocaleString('en')} entries`);
  line('restore (up-to-date disk)', second, `${second.result.restoredRecords} records`);
  console.log(`  restore / (fetch + LMDB): ${(first.wallMs / (fetched.wallMs + disk.wallMs)).toFixed(2)}`);
  console.log(
    `  target < 3 s for 1,000,000 keys: ${KEYS >= 1_000_000 ? (first.wallMs < 3_000 ? 'met' : 'MISSED') : 'n/a (fewer keys)'}`,
  );
  console.log(`  peak RSS: ${(await peakRssMiB()) ?? '?'} MiB`);
  if (count !== KEYS) throw new Error(`restored ${count} keys, expected ${KEYS}`);
  if (second.result.restoredRecords !== 0) throw new Error('the up-to-date disk read records');
} finally {
  rmSync(dir, { recursive: true, force: true });
  await stack.stop();
}
