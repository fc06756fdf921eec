import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { consumerGroupOf } from '../streamWorker.ts';
import { workerStatusTopicName, type WorkerHeartbeat } from './heartbeat.ts';
import { formatDeadLetters, type DeadLettersStatus } from './dead-letters.ts';
import { formatTransfersOnly, type TransfersOnlyStatus } from './transfers-only.ts';

/**
 * `oracul status`: the consumer groups of the app read through the Kafka admin API (members, their decoded
 * assignments, committed and end offsets, lag per partition) joined with the workers' heartbeats (throughput,
 * last error, restores) from the compacted status topic.
 *
 * Lag = end offset (high watermark) − committed offset. On topics written in transactions the end includes the
 * commit marker, so a caught-up partition can show a lag of 1.
 */

export interface MemberStatus {
  readonly member_id: string;
  readonly client_id: string;
  readonly host: string;
  /** topic → assigned partitions. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Null when the group has committed nothing for the partition. */
  readonly committed: number | null;
  readonly end: number;
  readonly lag: number;
  /** The member the partition is assigned to (client id), or null. */
  readonly owner: string | null;
}

export interface GroupStatus {
  readonly group_id: string;
  readonly kind: 'stage' | 'sink';
  /** Stage name or sink table. */
  readonly name: string;
  readonly state: string;
  readonly members: readonly MemberStatus[];
  readonly partitions: readonly PartitionLag[];
  readonly lag: number;
}

export interface WorkerStatus extends WorkerHeartbeat {
  readonly age_ms: number;
  readonly stale: boolean;
}

export interface StatusReport {
  readonly app_id: string;
  readonly generated_at: string;
  readonly groups: readonly GroupStatus[];
  readonly workers: readonly WorkerStatus[];
  /** Why the command exits non-zero (empty: healthy). */
  readonly problems: readonly string[];
  /** Block ranges ingested transfers-only (from the warehouse); absent when not collected. Informational. */
  readonly transfers_only?: TransfersOnlyStatus;
  /** Dead letters per source topic, stage and error code (from the warehouse); absent when not collected. Informational. */
  readonly dead_letters?: DeadLettersStatus;
}

export interface CollectStatusParameters {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly appId: string;
  /** Stage names whose groups must exist (the topology). */
  readonly stages: readonly string[];
  /** A heartbeat older than this is stale. Default 30 s. */
  readonly staleAfterMs?: number;
  /** A group lagging more than this (total) is a problem. Default: no limit. */
  readonly maxLag?: number;
  /** How long to wait for the heartbeat topic to be read to its end. Default 15 s. */
  readonly heartbeatReadTimeoutMs?: number;
  readonly nowMs?: number;
}

export function decodeAssignment(buffer: Buffer | null | undefined): Record<string, number[]> {
  if (buffer === null || buffer === undefined || buffer.length === 0) return {};
  const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
  if (decoded === null) return {};
  return Object.fromEntries(Object.entries(decoded.assignment).map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)]));
}

async function groupLags(admin: Admin, groupId: string, members: readonly MemberStatus[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId });
  const topics = new Set<string>(committed.map((t) => t.topic));
  for (const m of members) for (const t of Object.keys(m.assignment)) topics.add(t);
  const owners = new Map<string, string>();
  for (const m of members)
    for (const [t, ps] of Object.entries(m.assignment)) for (const p of ps) owners.set(`${t}:${p}`, m.client_id);
  const out: PartitionLag[] = [];
  for (const topic of [...topics].sort()) {
    const ends = await admin.fetchTopicOffsets(topic);
    const own = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
    );
    for (const e of [...ends].sort((a, b) => a.partition - b.partition)) {
      const end = Number(e.high);
      const c = own.get(e.partition);
      const at = c === undefined || c < 0 ? null : c;
      out.push({
        topic,
        partition: e.partition,
        committed: at,
        end,
        lag: Math.max(0, end - (at ?? Number(e.low))),
        owner: owners.get(`${topic}:${e.partition}`) ?? null,
      });
    }
  }
  return out;
}

/** Reads the compacted heartbeat topic to its end: the latest record of every worker (tombstones remove). */
export async function readHeartbeats(kafka: Kafka, logger: Logger, appId: string, timeoutMs: number): Promise<WorkerHeartbeat[]> {
  const topic = workerStatusTopicName(appId);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const latest = new Map<string, WorkerHeartbeat>();
  if ([...ends.values()].every((end) => end === 0)) return [];
  const groupId = `${appId}-status-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const positions = new Map<number, number>();
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const check = (): void => {
    if ([...ends].every(([p, end]) => end === 0 || (positions.get(p) ?? 0) >= end)) done();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    positions.set(event.payload.partition, Number(event.payload.lastOffset) + 1);
    check();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const key = message.key?.toString('utf8') ?? '';
        if (message.value === null) {
          latest.delete(key);
          return;
        }
        try {
          latest.set(key, JSON.parse(message.value.toString('utf8')) as WorkerHeartbeat);
        } catch (err) {
          logger.warn({ msg: 'heartbeat record is not JSON: skipped', topic, offset: message.offset, err });
        }
      },
    });
    const timer = setTimeout(done, timeoutMs);
    await finished;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  return [...latest.values()];
}

export async function collectStatus(params: CollectStatusParameters): Promise<StatusReport> {
  const { kafka, appId } = params;
  const nowMs = params.nowMs ?? Date.now();
  const staleAfterMs = params.staleAfterMs ?? 30_000;
  const stageGroups = new Map(params.stages.map((s) => [consumerGroupOf(appId, s), s] as const));
  const sinkPrefix = `${appId}-sink-`;
  const admin = kafka.admin();
  await admin.connect();
  const groups: GroupStatus[] = [];
  try {
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    const ids = [...new Set([...stageGroups.keys(), ...listed.filter((g) => g.startsWith(sinkPrefix))])].sort();
    const described = new Map((await admin.describeGroups(ids)).groups.map((g) => [g.groupId, g] as const));
    for (const groupId of ids) {
      const d = described.get(groupId);
      const members: MemberStatus[] = (d?.members ?? []).map((m) => ({
        member_id: m.memberId,
        client_id: m.clientId,
        host: m.clientHost.replace(/^\//, ''),
        assignment: decodeAssignment(m.memberAssignment),
      }));
      const partitions = await groupLags(admin, groupId, members);
      const stage = stageGroups.get(groupId);
      groups.push({
        group_id: groupId,
        kind: stage === undefined ? 'sink' : 'stage',
        name: stage ?? groupId.slice(sinkPrefix.length),
        state: d?.state ?? 'Unknown',
        members,
        partitions,
        lag: partitions.reduce((n, p) => n + p.lag, 0),
      });
    }
  } finally {
    await admin.disconnect();
  }
  const heartbeats = await readHeartbeats(kafka, params.logger, appId, params.heartbeatReadTimeoutMs ?? 15_000);
  const workers: WorkerStatus[] = heartbeats
    .map((h) => {
      const age = nowMs - Date.parse(h.sent_at);
      return { ...h, age_ms: age, stale: h.state === 'running' && age > Math.max(staleAfterMs, 2 * h.interval_ms) };
    })
    .sort((a, b) => a.worker_id.localeCompare(b.worker_id));
  const problems: string[] = [];
  for (const g of groups) {
    if (g.members.length === 0) problems.push(`group ${g.group_id} has no members (${g.kind} ${g.name} is not running)`);
    if (params.maxLag !== undefined && g.lag > params.maxLag)
      problems.push(`group ${g.group_id} lags ${g.lag} records (> --max-lag ${params.maxLag})`);
  }
  return { app_id: appId, generated_at: new Date(nowMs).toISOString(), groups, workers, problems };
}

// ---------- text rendering ----------

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const ago = (ms: number): string => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);
const ranges = (ps: readonly number[]): string => (ps.length === 0 ? '-' : ps.join(','));

export function formatStatus(report: StatusReport): string {
  const out: string[] = [`oracul status — app ${report.app_id} at ${report.generated_at}`, ''];
  out.push(
    table(
      ['GROUP', 'KIND', 'STATE', 'MEMBERS', 'PARTITIONS', 'LAG'],
      report.groups.map((g) => [
        g.group_id,
        g.kind,
        g.state,
        String(g.members.length),
        String(g.partitions.length),
        String(g.lag),
      ]),
    ),
  );
  out.push('', 'Members');
  const memberRows: string[][] = [];
  for (const g of report.groups) {
    for (const m of g.members) {
      const assigned = Object.entries(m.assignment)
        .map(([t, ps]) => `${t}[${ranges(ps)}]`)
        .join(' ');
      const lag = g.partitions.filter((p) => p.owner === m.client_id).reduce((n, p) => n + p.lag, 0);
      memberRows.push([g.group_id, m.client_id, m.host, assigned || '-', String(lag)]);
    }
  }
  out.push(table(['GROUP', 'CLIENT', 'HOST', 'ASSIGNED', 'LAG'], memberRows));
  out.push('', 'Partitions');
  out.push(
    table(
      ['GROUP', 'TOPIC', 'P', 'COMMITTED', 'END', 'LAG', 'OWNER'],
      report.groups.flatMap((g) =>
        g.partitions.map((p) => [
          g.group_id,
          p.topic,
          String(p.partition),
          p.committed === null ? '-' : String(p.committed),
          String(p.end),
          String(p.lag),
          p.owner ?? '-',
        ]),
      ),
    ),
  );
  out.push('', 'Workers (heartbeats)');
  const workerRows: string[][] = [];
  for (const w of report.workers) {
    const state = w.stale ? 'STALE' : w.state;
    for (const s of w.stages) {
      const restored = s.partitions.reduce((n, p) => n + p.restored_records, 0);
      const error = s.last_error === null ? '-' : `${s.last_error.code} ${s.last_error.at}: ${s.last_error.message.slice(0, 80)}`;
      workerRows.push([
        w.worker_id,
        state,
        ago(w.age_ms),
        `stage ${s.stage}`,
        ranges(s.partitions.map((p) => p.partition)),
        String(s.records_in),
        `${s.rate_in}/s`,
        String(restored),
        error,
      ]);
    }
    for (const s of w.sinks) {
      workerRows.push([
        w.worker_id,
        state,
        ago(w.age_ms),
        `sink ${s.table}`,
        '-',
        String(s.rows),
        `${s.rate_rows}/s`,
        '-',
        s.insert_failures > 0 ? `${s.insert_failures} insert failures` : '-',
      ]);
    }
    if (w.stages.length === 0 && w.sinks.length === 0)
      workerRows.push([w.worker_id, state, ago(w.age_ms), '-', '-', '-', '-', '-', '-']);
  }
  out.push(table(['WORKER', 'STATE', 'SEEN', 'RUNS', 'PARTITIONS', 'RECORDS', 'RATE', 'RESTORED', 'LAST ERROR'], workerRows));
  if (report.transfers_only !== undefined) out.push('', formatTransfersOnly(report.transfers_only));
  if (report.dead_letters !== undefined) out.push('', formatDeadLetters(report.dead_letters));
  out.push('');
  if (report.problems.length === 0) out.push('OK');
  else for (const p of report.problems) out.push(`PROBLEM: ${p}`);
  return `${out.join('\n')}\n`;
}
