/**
 * The detail budget: at most N alerts an hour are sent in full; the rest of a digest is summed up in one section
 * (counts by kind and severity, a few titles, links to the query and dashboards that list them). A flood — a
 * detector's first day, a backfill of a bad month — is one readable message, by construction, and nothing is
 * dropped: every summarised alert is still in the warehouse behind the links.
 */
import { HOUR_MS, isoDay } from '../../core/time.ts';
import type { AlertLinks } from './format.ts';
import type { Alert, AlertKind, AlertSummary } from './types.ts';

/** Titles of summarised alerts shown as examples. */
const EXAMPLES = 5;
const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;
/** A pipeline or DQ failure outranks an anomaly of the same severity: it says the numbers themselves may be wrong. */
const KIND_ORDER: Record<AlertKind, number> = { pipeline: 0, dq: 1, anomaly: 2 };

/** Most important first: severity, then kind, then the order they were raised in. */
export function byImportance(a: Alert, b: Alert): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.raisedAt - b.raisedAt
  );
}

/** Detailed-alert times still inside the rolling hour ending at `now`. */
export function withinHour(detailedAt: readonly number[], now: number): number[] {
  return detailedAt.filter((t) => t > now - HOUR_MS);
}

export interface BudgetSplit {
  readonly detailed: Alert[];
  readonly summarised: Alert[];
}

/** The `remaining` most important alerts go out in full, the others are summarised. */
export function splitByBudget(alerts: readonly Alert[], remaining: number): BudgetSplit {
  const ranked = [...alerts].sort(byImportance);
  const n = Math.max(0, remaining);
  return { detailed: ranked.slice(0, n), summarised: ranked.slice(n) };
}

/** One section for the alerts over budget; links list them (GraphQL anomalies over their days, dashboards). */
export function summarise(alerts: readonly Alert[], links: AlertLinks): AlertSummary {
  const count = (pred: (a: Alert) => boolean): number => alerts.filter(pred).length;
  const days = alerts.flatMap((a) => (a.day === undefined ? [] : [a.day])).sort();
  return {
    count: alerts.length,
    bySeverity: {
      high: count((a) => a.severity === 'high'),
      medium: count((a) => a.severity === 'medium'),
      low: count((a) => a.severity === 'low'),
    },
    byKind: {
      anomaly: count((a) => a.kind === 'anomaly'),
      dq: count((a) => a.kind === 'dq'),
      pipeline: count((a) => a.kind === 'pipeline'),
    },
    examples: alerts.slice(0, EXAMPLES).map((a) => a.title),
    links: summaryLinks(days[0], days[days.length - 1], alerts, links),
  };
}

function summaryLinks(
  firstDay: string | undefined,
  lastDay: string | undefined,
  alerts: readonly Alert[],
  links: AlertLinks,
): [string, string][] {
  const out: [string, string][] = [];
  const lowest = alerts.some((a) => a.severity === 'low')
    ? 'LOW'
    : alerts.some((a) => a.severity === 'medium')
      ? 'MEDIUM'
      : 'HIGH';
  if (links.graphqlUrl !== undefined && firstDay !== undefined && lastDay !== undefined) {
    const query = `{ anomalies(from: "${firstDay}", to: "${lastDay}", minSeverity: ${lowest}, first: 500) { edges { node { entityType entityId metric day value score severity status } } } }`;
    out.push(['GraphQL: the anomalies', `${links.graphqlUrl}?query=${encodeURIComponent(query)}`]);
  }
  const checks = alerts.filter((a) => a.kind === 'dq').map((a) => isoDay(a.raisedAt));
  if (links.graphqlUrl !== undefined && checks.length > 0) {
    const [from, to] = [checks.reduce((x, y) => (x < y ? x : y)), checks.reduce((x, y) => (x > y ? x : y))];
    const query = `{ dataQuality(from: "${from}", to: "${to}", status: FAIL) { checkName chainId subject status observed threshold checkedAt } }`;
    out.push(['GraphQL: data quality', `${links.graphqlUrl}?query=${encodeURIComponent(query)}`]);
  }
  if (links.supersetUrl !== undefined) {
    out.push(['Superset', `${links.supersetUrl.replace(/\/$/, '')}/superset/dashboard/oracul-overview/`]);
  }
  return out;
}
