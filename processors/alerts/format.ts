/**
 * Turns anomalies, DQ check results and pipeline findings into alerts, and decides which deserve one:
 * a new or escalated anomaly at or above `minSeverity` (dedup by anomaly id, re-alert only on escalation), a DQ
 * check or pipeline check entering `fail`/`error` (re-alert only after it passed again).
 */
import { isoDayOfEpochDay } from '../../core/time.ts';
import type { Anomaly, DataQualityCheck } from '../../schemas/generated/types.ts';
import { dqRecordKey } from '../dq/publish.ts';
import type { Alert } from './types.ts';

export interface AlertLinks {
  /** GraphQL endpoint; the link opens GraphiQL with the entity's anomalies query. */
  readonly graphqlUrl?: string | undefined;
  /** Superset base URL; links to the token / address dashboards. */
  readonly supersetUrl?: string | undefined;
}

const RANK = { low: 1, medium: 2, high: 3 } as const;
export type Severity = keyof typeof RANK;
export const severityRank = (s: Severity): number => RANK[s];

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  return abs >= 1000 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(4)).toString();
}

function anomalyLinks(a: Anomaly, links: AlertLinks): [string, string][] {
  const out: [string, string][] = [];
  const day = isoDayOfEpochDay(a.day);
  if (links.graphqlUrl !== undefined) {
    const query = `{ anomalies(entityType: ${a.entity_type.toUpperCase()}, entityId: "${a.entity_id}", from: "${day}", to: "${day}") { edges { node { anomalyId metric value score severity status } } } }`;
    out.push(['GraphQL', `${links.graphqlUrl}?query=${encodeURIComponent(query)}`]);
  }
  if (links.supersetUrl !== undefined) {
    const slug = a.entity_type === 'token' ? 'oracul-token' : 'oracul-address';
    out.push(['Superset', `${links.supersetUrl.replace(/\/$/, '')}/superset/dashboard/${slug}/`]);
  }
  return out;
}

export function anomalyAlert(a: Anomaly, links: AlertLinks, raisedAt: number): Alert {
  const who =
    a.entity_type === 'token'
      ? `token ${a.entity_id}`
      : `address ${a.entity_id}${a.token_address ? ` (token ${a.token_address})` : ''}`;
  const direction = a.upper_bound !== null && a.value > a.upper_bound ? 'above' : 'below';
  return {
    kind: 'anomaly',
    key: a.anomaly_id,
    severity: a.severity,
    title: `${a.severity.toUpperCase()} ${a.metric} ${direction} normal for ${who} on ${isoDayOfEpochDay(a.day)} (${a.status})`,
    fields: [
      ['Entity', who],
      ['Metric', a.metric],
      ['Day', `${isoDayOfEpochDay(a.day)} (${a.status === 'open' ? 'day still running' : a.status})`],
      [
        'Value vs baseline',
        `${fmt(a.value)} vs ${fmt(a.baseline_center)} (normal ${fmt(a.lower_bound)} – ${fmt(a.upper_bound)})`,
      ],
      ['Score', `${fmt(a.score)} (${a.method}, ${a.baseline_days} days of history)`],
      ['Chain', String(a.chain_id)],
      ['Anomaly id', `${a.anomaly_id.slice(0, 16)}… v${a.version}`],
    ],
    links: anomalyLinks(a, links),
    raisedAt,
    day: isoDayOfEpochDay(a.day),
  };
}

export function dqAlert(c: DataQualityCheck, raisedAt: number): Alert {
  return {
    kind: 'dq',
    key: dqRecordKey(c),
    severity: c.status === 'fail' ? 'high' : 'medium',
    title: `DQ check ${c.check_name} ${c.status.toUpperCase()}${c.subject ? ` for ${c.subject}` : ''} on chain ${c.chain_id}`,
    fields: [
      ['Check', c.check_name],
      ['Observed vs threshold', `${fmt(c.observed)} vs ${c.threshold === null ? '0' : fmt(c.threshold)}`],
      ['Window', c.check_window],
      ['Checked at', new Date(c.checked_at).toISOString()],
      ['Details', c.details.length > 500 ? `${c.details.slice(0, 500)}…` : c.details],
    ],
    links: [],
    raisedAt,
  };
}

/** A pipeline health finding (consumer lag, ingestion lag, a crash-looping worker). */
export interface PipelineFinding {
  readonly check: string;
  readonly subject: string;
  readonly ok: boolean;
  readonly observed: number;
  readonly threshold: number;
  readonly details: string;
}

export function pipelineAlert(f: PipelineFinding, raisedAt: number): Alert {
  return {
    kind: 'pipeline',
    key: `${f.check}:${f.subject}`,
    severity: 'high',
    title: `Pipeline: ${f.check} above threshold for ${f.subject}`,
    fields: [
      ['Check', f.check],
      ['Subject', f.subject],
      ['Observed vs threshold', `${fmt(f.observed)} vs ${fmt(f.threshold)}`],
      ['Details', f.details],
    ],
    links: [],
    raisedAt,
  };
}
