/**
 * Alerts: what the alerter sends and the sink interface every channel implements (Slack now; Telegram or e-mail
 * are other AlertSink implementations, see docs/alerts.md).
 */

export type AlertKind = 'anomaly' | 'dq' | 'pipeline';

/** One thing to tell a human about. */
export interface Alert {
  readonly kind: AlertKind;
  /** Dedup key: the anomaly id, '<check>:<chain>:<subject>' for a DQ check, '<check>:<subject>' for a pipeline check. */
  readonly key: string;
  /** One line, plain text (no secrets, no markup). */
  readonly title: string;
  readonly severity: 'low' | 'medium' | 'high';
  /** Label → value lines shown under the title. */
  readonly fields: readonly (readonly [label: string, value: string])[];
  /** Label → URL links (GraphQL, Superset). */
  readonly links: readonly (readonly [label: string, url: string])[];
  /** When the alert was raised, epoch ms. */
  readonly raisedAt: number;
  /** The UTC day (YYYY-MM-DD) an anomaly alert is about; links of a summary span these days. */
  readonly day?: string;
}

/** The alerts of a digest over the hourly detail budget, summed up (processors/alerts/budget.ts). */
export interface AlertSummary {
  readonly count: number;
  readonly bySeverity: Readonly<Record<Alert['severity'], number>>;
  readonly byKind: Readonly<Record<AlertKind, number>>;
  /** Titles of the first few, most important first. */
  readonly examples: readonly string[];
  /** Label → URL of the query or dashboard that lists them. */
  readonly links: readonly (readonly [label: string, url: string])[];
}

/** One message to a sink: every alert raised during a digest interval. */
export interface AlertDigest {
  /** Unique, ordered (zero-padded time + sequence): the outbox key. */
  readonly id: string;
  readonly createdAt: number;
  /** Sent in full, most important first. */
  readonly alerts: readonly Alert[];
  /** The rest, over the hourly detail budget; absent when every alert fits. */
  readonly summary?: AlertSummary;
}

/**
 * A delivery channel. `send` resolves once the channel accepted the digest; it throws a RetryableError (the
 * alerter parks the digest in the outbox and retries later) or a NonRetryableError (parked too, flagged, and
 * retried at the slow outbox cadence: an alert is never dropped silently).
 */
export interface AlertSink {
  /** For logs and the outbox: e.g. 'slack'. Never the URL or a token. */
  readonly name: string;
  send(digest: AlertDigest): Promise<void>;
}
