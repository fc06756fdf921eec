/**
 * The alerter: decides what to alert (dedup, escalation), groups alerts into one digest per interval, rate-limits
 * and delivers digests through a sink, and keeps everything it has not delivered yet in an LMDB outbox, so an alert
 * survives a crash, a Slack outage or a rate limit: retried later, never lost, never blocking the caller.
 *
 * LMDB databases (one environment under `outboxDir`):
 *   pending  '<raisedAt 15 digits>:<seq>' → Alert         alerts raised since the last digest
 *   outbox   digest id → { digest, attempts, nextAttemptAt, lastError }   built digests not yet delivered
 *   seen     dedup key → { rank, status, at }              what was alerted (anomalies) / last status (checks)
 *   budget   'detailed' → epoch ms[]                       when alerts were sent in full (the rolling hour's budget)
 *
 * Ingest (`onAnomaly`, `onDqCheck`, `onPipelineFinding`) is synchronous and only writes LMDB (putSync): the consumer
 * calls it and moves on. `flush()` (timer, every digest interval) turns pending alerts into one digest in the same
 * LMDB transaction that removes them, then `deliverDue()` sends due digests oldest first within the rate limit.
 * At most `maxDetailedAlertsPerHour` alerts go out in full; the rest of a digest is summarised (budget.ts).
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Logger } from '../../core/logger.ts';
import { metrics } from '../../core/metrics/index.ts';
import { backoffDelayMs, type BackoffPolicy } from '../../core/retry.ts';
import { DAY_MS } from '../../core/time.ts';
import type { Anomaly, DataQualityCheck } from '../../schemas/generated/types.ts';
import { dqRecordKey } from '../dq/publish.ts';
import {
  anomalyAlert,
  dqAlert,
  pipelineAlert,
  severityRank,
  type AlertLinks,
  type PipelineFinding,
  type Severity,
} from './format.ts';
import { splitByBudget, summarise, withinHour } from './budget.ts';
import type { Alert, AlertDigest, AlertSink } from './types.ts';

/** A parked digest waits `retryIntervalMs`, doubling per failure up to 32 ×, without jitter (one process sends). */
function outboxBackoff(retryIntervalMs: number): BackoffPolicy {
  return { initialDelayMs: retryIntervalMs, maxDelayMs: retryIntervalMs * 32, randomize: false };
}

interface OutboxEntry {
  readonly digest: AlertDigest;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

interface SeenEntry {
  /** Highest severity rank alerted (anomalies), or 0. */
  readonly rank: number;
  /** Last status seen (checks) or last anomaly status. */
  readonly status: string;
  readonly at: number;
}

export interface AlerterOptions {
  readonly sink: AlertSink;
  readonly outboxDir: string;
  readonly logger: Logger;
  readonly minSeverity: Severity;
  readonly digestIntervalMs: number;
  readonly rateLimitPerMinute: number;
  /** Alerts sent in full per rolling hour; the rest of a digest is summarised (default 10). */
  readonly maxDetailedAlertsPerHour?: number;
  /** Delay before a failed digest is retried; doubles per failure up to 32 ×. */
  readonly retryIntervalMs: number;
  readonly links?: AlertLinks;
  /** Dedup memory; older entries are forgotten (default 30 days). */
  readonly seenTtlMs?: number;
  readonly now?: () => number;
}

export interface AlerterStats {
  readonly pending: number;
  readonly outbox: number;
  readonly delivered: number;
  readonly failedAttempts: number;
}

export class Alerter {
  private readonly root: RootDatabase;
  private readonly pending: Database<Alert, string>;
  private readonly outbox: Database<OutboxEntry, string>;
  private readonly seen: Database<SeenEntry, string>;
  private readonly budget: Database<number[], string>;
  private readonly now: () => number;
  private seq = 0;
  private sentAt: number[] = [];
  private delivering: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private delivered = 0;
  private failedAttempts = 0;

  constructor(private readonly options: AlerterOptions) {
    mkdirSync(options.outboxDir, { recursive: true });
    this.root = open({ path: options.outboxDir, compression: false });
    this.pending = this.root.openDB<Alert, string>({ name: 'pending' });
    this.outbox = this.root.openDB<OutboxEntry, string>({ name: 'outbox' });
    this.seen = this.root.openDB<SeenEntry, string>({ name: 'seen' });
    this.budget = this.root.openDB<number[], string>({ name: 'budget' });
    this.now = options.now ?? Date.now;
  }

  // ---------- ingest (synchronous, never waits on the sink) ----------

  /** An anomalies record: alerted when new or escalated at or above minSeverity; withdrawn ones never. */
  onAnomaly(a: Anomaly): boolean {
    if (a.status === 'withdrawn') return false;
    const rank = severityRank(a.severity);
    if (rank < severityRank(this.options.minSeverity)) return false;
    const previous = this.seen.get(`a:${a.anomaly_id}`);
    if (previous !== undefined && previous.rank >= rank) return false;
    this.raise(anomalyAlert(a, this.options.links ?? {}, this.now()), `a:${a.anomaly_id}`, {
      rank,
      status: a.status,
      at: this.now(),
    });
    return true;
  }

  /** A dq.checks record: alerted when a check enters fail or error (not again until it passed). */
  onDqCheck(c: DataQualityCheck): boolean {
    return this.transition(`d:${dqRecordKey(c)}`, c.status, c.status === 'fail' || c.status === 'error', () =>
      dqAlert(c, this.now()),
    );
  }

  /** A pipeline health finding: alerted when it goes bad (not again until it recovered). */
  onPipelineFinding(f: PipelineFinding): boolean {
    return this.transition(`p:${f.check}:${f.subject}`, f.ok ? 'ok' : 'bad', !f.ok, () => pipelineAlert(f, this.now()));
  }

  private transition(seenKey: string, status: string, bad: boolean, build: () => Alert): boolean {
    const previous = this.seen.get(seenKey);
    if (!bad) {
      if (previous?.status !== status) this.seen.putSync(seenKey, { rank: 0, status, at: this.now() });
      return false;
    }
    if (previous !== undefined && previous.status === status) return false;
    this.raise(build(), seenKey, { rank: 0, status, at: this.now() });
    return true;
  }

  private raise(alert: Alert, seenKey: string, seen: SeenEntry): void {
    const key = `${String(alert.raisedAt).padStart(15, '0')}:${String(this.seq++).padStart(9, '0')}`;
    this.root.transactionSync(() => {
      this.pending.putSync(key, alert);
      this.seen.putSync(seenKey, seen);
    });
    this.options.logger.info({ kind: alert.kind, key: alert.key, severity: alert.severity }, 'alert queued');
    metrics.alertsRaised.inc({ kind: alert.kind, severity: alert.severity });
  }

  // ---------- digest and delivery ----------

  /** Moves every pending alert into one digest in the outbox (atomically), then delivers what is due. */
  async flush(): Promise<void> {
    const alerts: Alert[] = [];
    const keys: string[] = [];
    for (const { key, value } of this.pending.getRange({})) {
      keys.push(key);
      alerts.push(value);
    }
    if (alerts.length > 0) {
      const createdAt = this.now();
      const detailedAt = withinHour(this.budget.get('detailed') ?? [], createdAt);
      const { detailed, summarised } = splitByBudget(alerts, (this.options.maxDetailedAlertsPerHour ?? 10) - detailedAt.length);
      const digest: AlertDigest = {
        id: `${String(createdAt).padStart(15, '0')}-${keys[0]}`,
        createdAt,
        alerts: detailed,
        ...(summarised.length > 0 ? { summary: summarise(summarised, this.options.links ?? {}) } : {}),
      };
      this.root.transactionSync(() => {
        this.outbox.putSync(digest.id, { digest, attempts: 0, nextAttemptAt: createdAt, lastError: null });
        this.budget.putSync('detailed', [...detailedAt, ...detailed.map(() => createdAt)]);
        for (const key of keys) this.pending.removeSync(key);
      });
      if (summarised.length > 0)
        this.options.logger.warn(
          { digest: digest.id, detailed: detailed.length, summarised: summarised.length },
          'alert detail budget reached, the rest of the digest is summarised',
        );
    }
    await this.deliverDue();
  }

  /** Sends due outbox digests, oldest first, within the rate limit. Concurrent calls share one run. */
  deliverDue(): Promise<void> {
    if (this.delivering !== null) return this.delivering;
    this.delivering = this.deliverLoop().finally(() => {
      this.delivering = null;
    });
    return this.delivering;
  }

  private async deliverLoop(): Promise<void> {
    const { sink, logger, rateLimitPerMinute, retryIntervalMs } = this.options;
    for (const { key, value } of [...this.outbox.getRange({})]) {
      const now = this.now();
      if (value.nextAttemptAt > now) continue;
      this.sentAt = this.sentAt.filter((t) => t > now - 60_000);
      if (this.sentAt.length >= rateLimitPerMinute) {
        logger.warn(
          { digest: key, limit_per_minute: rateLimitPerMinute },
          'alert rate limit reached, digest waits in the outbox',
        );
        return;
      }
      this.sentAt.push(now);
      try {
        await sink.send(value.digest);
        this.outbox.removeSync(key);
        this.delivered++;
        metrics.alertDeliveries.inc({ channel: sink.name, outcome: 'delivered' });
      } catch (error) {
        this.failedAttempts++;
        metrics.alertDeliveries.inc({ channel: sink.name, outcome: 'failed' });
        const attempts = value.attempts + 1;
        const nextAttemptAt = this.now() + backoffDelayMs(attempts, outboxBackoff(retryIntervalMs));
        const e = error as { code?: string; message?: string };
        this.outbox.putSync(key, {
          ...value,
          attempts,
          nextAttemptAt,
          lastError: `${e.code ?? 'ERROR'}: ${e.message ?? String(error)}`,
        });
        logger.error(
          { err: error, digest: key, attempts, next_attempt_at: new Date(nextAttemptAt).toISOString() },
          'alert digest parked in the outbox',
        );
      }
    }
    this.prune();
    metrics.alertOutbox.set(this.outbox.getKeysCount());
  }

  private prune(): void {
    const cutoff = this.now() - (this.options.seenTtlMs ?? 30 * DAY_MS);
    for (const { key, value } of [...this.seen.getRange({})]) if (value.at < cutoff) this.seen.removeSync(key);
  }

  // ---------- lifecycle ----------

  /** Starts the digest timer (every digest interval) and the outbox retry timer. */
  start(): void {
    const tick = (): void => {
      this.flush().catch((error: unknown) => this.options.logger.error({ err: error }, 'alert flush failed'));
    };
    this.timers.push(setInterval(tick, this.options.digestIntervalMs));
    this.timers.push(setInterval(() => void this.deliverDue().catch(() => undefined), this.options.retryIntervalMs));
    for (const t of this.timers) t.unref();
  }

  stats(): AlerterStats {
    return {
      pending: this.pending.getKeysCount(),
      outbox: this.outbox.getKeysCount(),
      delivered: this.delivered,
      failedAttempts: this.failedAttempts,
    };
  }

  /** Stops the timers, waits for an in-flight delivery, closes LMDB. Undelivered digests stay in the outbox. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.delivering !== null) await this.delivering.catch(() => undefined);
    await this.root.close();
  }
}
