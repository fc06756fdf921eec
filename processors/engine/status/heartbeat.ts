import { hostname } from 'node:os';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { TopicConfig } from '../../../config/schema.ts';
import { ensureTopics } from '../../../core/kafka/ensure-topics.ts';
import type { ClickHouseSink } from '../../sinks/clickhouse-sink.ts';
import type { StreamWorker } from '../streamWorker.ts';

/**
 * Worker heartbeats: every process running stages or sinks publishes one record per interval to the compacted
 * topic `<appId>.workers.status`, keyed by its worker id (`<host>:<pid>`), so the topic holds the latest state of
 * every worker and `oracul status` reads it whole. A clean stop publishes a last `stopped` record and then a
 * tombstone (compaction forgets the worker); a crashed worker's last record stays and shows up as stale.
 *
 * JSON, not Avro: this is operational metadata read only by `oracul status` (and people, with a console
 * consumer), versioned by the `v` field in the same repository as its only reader; it must keep working when the
 * schema registry is the thing that is down, and it is no data product. Like the changelogs it is an internal
 * topic of the runtime, created by the publisher itself (not in config/kafka.yml, which lists Avro topics).
 */

export const HEARTBEAT_VERSION = 1;

export function workerStatusTopicName(appId: string): string {
  return `${appId}.workers.status`;
}

export function workerStatusTopic(appId: string, replicationFactor = 1): TopicConfig {
  return {
    name: workerStatusTopicName(appId),
    partitions: 1,
    replicationFactor,
    cleanupPolicy: 'compact',
    key: 'worker id <host>:<pid>. Compacted: the latest heartbeat of every worker (JSON, see processors/engine/status/heartbeat.ts)',
  };
}

export interface HeartbeatError {
  readonly code: string;
  readonly message: string;
  /** ISO time. */
  readonly at: string;
}

export interface PartitionHeartbeat {
  readonly partition: number;
  readonly records: number;
  readonly outputs: number;
  readonly dead_letters: number;
  readonly transactions: number;
  /** Changelog records replayed when the task opened, and how long it took. */
  readonly restored_records: number;
  readonly restore_ms: number;
}

export interface StageHeartbeat {
  readonly stage: string;
  readonly group_id: string;
  readonly partitions: readonly PartitionHeartbeat[];
  /** Totals over the currently assigned tasks. */
  readonly records_in: number;
  readonly records_out: number;
  /** Records per second over the last interval. */
  readonly rate_in: number;
  readonly rate_out: number;
  readonly last_error: HeartbeatError | null;
}

export interface SinkHeartbeat {
  readonly table: string;
  readonly topic: string;
  readonly group_id: string;
  readonly records: number;
  readonly rows: number;
  readonly rate_rows: number;
  readonly dead_lettered: number;
  readonly insert_failures: number;
}

export interface WorkerHeartbeat {
  readonly v: number;
  readonly worker_id: string;
  readonly app_id: string;
  readonly host: string;
  readonly pid: number;
  readonly state: 'running' | 'stopped';
  readonly started_at: string;
  readonly sent_at: string;
  readonly interval_ms: number;
  readonly stages: readonly StageHeartbeat[];
  readonly sinks: readonly SinkHeartbeat[];
  /** The most recent error of any stage. */
  readonly last_error: HeartbeatError | null;
}

export interface StartHeartbeatParameters {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly appId: string;
  readonly workers: readonly StreamWorker[];
  readonly sinks?: readonly ClickHouseSink[];
  /** Default 10 s. */
  readonly intervalMs?: number;
  readonly replicationFactor?: number;
  /** Default `<host>:<pid>`. */
  readonly workerId?: string;
}

export interface Heartbeat {
  readonly workerId: string;
  /** The record the next publish would send (tests, `--json` of a worker). */
  snapshot(): WorkerHeartbeat;
  publishNow(): Promise<void>;
  /** Publishes a `stopped` record and a tombstone, then disconnects. */
  stop(): Promise<void>;
}

interface Totals {
  readonly atMs: number;
  readonly byKey: Map<string, { in: number; out: number }>;
}

const rate = (now: number, before: number | undefined, dtMs: number): number =>
  before === undefined || dtMs <= 0 ? 0 : Math.round((Math.max(0, now - before) / dtMs) * 1000 * 10) / 10;

/** A stage worker's heartbeat; records its totals under `stage:<name>` in `byKey` for the next interval's rates. */
function stageHeartbeat(
  worker: StreamWorker,
  previous: Totals | undefined,
  dt: number,
  byKey: Map<string, { in: number; out: number }>,
): StageHeartbeat {
  const partitions = [...worker.tasks()]
    .sort(([a], [b]) => a - b)
    .map(([partition, s]): PartitionHeartbeat => ({
      partition,
      records: s.records,
      outputs: s.outputs,
      dead_letters: s.deadLetters,
      transactions: s.transactions,
      restored_records: s.restore?.restoredRecords ?? 0,
      restore_ms: s.restore?.durationMs ?? 0,
    }));
  const recordsIn = partitions.reduce((n, p) => n + p.records, 0);
  const recordsOut = partitions.reduce((n, p) => n + p.outputs, 0);
  const key = `stage:${worker.stage}`;
  byKey.set(key, { in: recordsIn, out: recordsOut });
  const before = previous?.byKey.get(key);
  const error = worker.lastError();
  return {
    stage: worker.stage,
    group_id: worker.groupId,
    partitions,
    records_in: recordsIn,
    records_out: recordsOut,
    rate_in: rate(recordsIn, before?.in, dt),
    rate_out: rate(recordsOut, before?.out, dt),
    last_error: error === null ? null : { code: error.code, message: error.message, at: new Date(error.atMs).toISOString() },
  };
}

/** A sink's heartbeat; records its totals under `sink:<table>:<group>` in `byKey`. */
function sinkHeartbeat(
  sink: ClickHouseSink,
  previous: Totals | undefined,
  dt: number,
  byKey: Map<string, { in: number; out: number }>,
): SinkHeartbeat {
  const s = sink.stats();
  const key = `sink:${sink.table}:${sink.groupId}`;
  byKey.set(key, { in: s.records, out: s.rows });
  return {
    table: sink.table,
    topic: sink.topic,
    group_id: sink.groupId,
    records: s.records,
    rows: s.rows,
    rate_rows: rate(s.rows, previous?.byKey.get(key)?.out, dt),
    dead_lettered: s.deadLettered,
    insert_failures: s.insertFailures,
  };
}

/** The most recent of the stages' errors (the first of equal times), or null. */
function latestError(errors: readonly (HeartbeatError | null)[]): HeartbeatError | null {
  let latest: HeartbeatError | null = null;
  for (const error of errors) if (error !== null && (latest === null || error.at > latest.at)) latest = error;
  return latest;
}

export async function startHeartbeat(params: StartHeartbeatParameters): Promise<Heartbeat> {
  const { kafka, appId } = params;
  const logger = params.logger.child({ component: 'heartbeat' });
  const host = hostname();
  const workerId = params.workerId ?? `${host}:${process.pid}`;
  const topic = workerStatusTopicName(appId);
  const intervalMs = params.intervalMs ?? 10_000;
  const startedAt = new Date().toISOString();
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [workerStatusTopic(appId, params.replicationFactor)], logger);
  } finally {
    await admin.disconnect();
  }
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let previous: Totals | undefined;

  const snapshot = (state: WorkerHeartbeat['state'] = 'running'): WorkerHeartbeat => {
    const atMs = Date.now();
    const byKey = new Map<string, { in: number; out: number }>();
    const dt = previous === undefined ? 0 : atMs - previous.atMs;
    const stages = params.workers.map((worker) => stageHeartbeat(worker, previous, dt, byKey));
    const sinks = (params.sinks ?? []).map((sink) => sinkHeartbeat(sink, previous, dt, byKey));
    const lastError = latestError(stages.map((s) => s.last_error));
    previous = { atMs, byKey };
    return {
      v: HEARTBEAT_VERSION,
      worker_id: workerId,
      app_id: appId,
      host,
      pid: process.pid,
      state,
      started_at: startedAt,
      sent_at: new Date(atMs).toISOString(),
      interval_ms: intervalMs,
      stages,
      sinks,
      last_error: lastError,
    };
  };

  const publish = async (record: WorkerHeartbeat | null): Promise<void> => {
    await producer.send({
      topic,
      messages: [{ key: workerId, value: record === null ? null : JSON.stringify(record) }],
    });
  };

  let sending: Promise<void> = Promise.resolve();
  const tick = (): void => {
    sending = sending
      .then(() => publish(snapshot()))
      .catch((err: unknown) => logger.warn({ msg: 'heartbeat not published', topic, err }));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  logger.info({ msg: 'heartbeat started', topic, worker_id: workerId, interval_ms: intervalMs });

  return {
    workerId,
    snapshot: () => snapshot(),
    async publishNow() {
      tick();
      await sending;
    },
    async stop() {
      clearInterval(timer);
      await sending;
      try {
        await publish(snapshot('stopped'));
        await publish(null);
      } catch (err) {
        logger.warn({ msg: 'last heartbeat not published', topic, err });
      }
      await producer.disconnect().catch(() => undefined);
    },
  };
}
