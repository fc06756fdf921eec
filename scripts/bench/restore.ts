/**
 * Benchmark: restoring a task's LMDB store of N keys (default 1,000,000) from its compacted changelog topic on the
 * real local Kafka, as a worker with an empty disk does when a task moves to it. Target: < 10 s for 1 M keys.
 *
 *   npx tsx scripts/bench/restore.ts [--keys 1000000] [--value-bytes 64] [--external]
 *
 * Prints: produce time (setup, untimed for the target), restore time and records/s, a second restore on the now
 * up-to-date disk (must read nothing), and peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureTopics } from '../../core/kafka/ensure-topics.ts';
import { encodeChangelogValue, restoreTaskState } from '../../state/changelog.ts';
import { LmdbTaskState } from '../../state/lmdbTaskState.ts';
import type { Plain, StateCodec } from '../../state/types.ts';
import { peakRssMiB, startBenchStack } from './bench-stack.ts';
import { numberArg } from './args.ts';

const KEYS = numberArg('keys', 1_000_000);
const VALUE_BYTES = numberArg('value-bytes', 64);
const plainCodec: StateCodec<unknown> = { encode: (v) => v as Plain, decode: (p) => p };

const stack = await startBenchStack(['kafka']);
const { config, logger } = stack.common;
const kafka = createKafka({ config, logger, clientSuffix: 'bench-restore' });
const topic = `bench-restore-${Date.now()}-changelog`;
const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-restore-'));
try {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ name: topic, partitions: 1, replicationFactor: 1, cleanupPolicy: 'compact' }], logger);
  await admin.disconnect();

  // Setup: a changelog of KEYS distinct keys, written in transactions as tasks write it.
  const produceStarted = performance.now();
  const producer = kafka.producer({ transactionalId: `${topic}-writer`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const filler = 'x'.repeat(Math.max(0, VALUE_BYTES - 40));
  const CHUNK = 20_000;
  for (let start = 0; start < KEYS; start += CHUNK) {
    const txn = await producer.transaction();
    const end = Math.min(KEYS, start + CHUNK);
    for (let s = start; s < end; s += 2_000) {
      const messages = [];
      for (let i = s; i < Math.min(end, s + 2_000); i++) {
        messages.push({
          key: `k${i.toString().padStart(9, '0')}`,
          value: encodeChangelogValue({ n: i, v: String(i * 7), f: filler }),
          partition: 0,
        });
      }
      await txn.send({ topic, messages });
    }
    await txn.commit();
  }
  await producer.disconnect();
  const produceS = (performance.now() - produceStarted) / 1000;

  const state = LmdbTaskState.open({ path: dir, stores: { store: plainCodec } });
  const first = await restoreTaskState({
    kafka,
    logger,
    state,
    partition: 0,
    stores: { store: topic },
    progressIntervalMs: 5_000,
  });
  const count = state.count('store');
  const second = await restoreTaskState({ kafka, logger, state, partition: 0, stores: { store: topic } });
  await state.close();

  const rss = await peakRssMiB();
  console.log(`restore benchmark — ${KEYS.toLocaleString('en')} keys, ~${VALUE_BYTES} B values, 1 partition, local Kafka`);
  console.log(`  setup: changelog produced in ${produceS.toFixed(1)} s`);
  console.log(
    `  restore (empty disk): ${(first.durationMs / 1000).toFixed(2)} s, ${Math.round(first.restoredRecords / (first.durationMs / 1000)).toLocaleString('en')} records/s, ${count.toLocaleString('en')} keys in LMDB`,
  );
  console.log(`  restore (up-to-date disk): ${second.restoredRecords} records in ${(second.durationMs / 1000).toFixed(2)} s`);
  console.log(
    `  target < 10 s for 1,000,000 keys: ${first.durationMs < 10_000 && KEYS >= 1_000_000 ? 'met' : KEYS >= 1_000_000 ? 'MISSED' : 'n/a (fewer keys)'}`,
  );
  console.log(`  peak RSS: ${rss ?? '?'} MiB`);
  if (count !== KEYS) throw new Error(`restored ${count} keys, expected ${KEYS}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await stack.stop();
}
