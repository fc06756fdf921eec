// Anomaly: scored deviations of a token or address metric (table and topic anomalies) and the anomalies connection.
import type { Anomaly } from '../../schemas/index.ts';
import { isoDayOfEpochDay } from '../../core/time.ts';
import { builder } from '../builder.ts';
import { checkOrdered } from '../scalars.ts';
import type { AnomalyFilter, AnomalyRow } from '../warehouse.ts';
import { connectionPaging, connectionType } from './connection.ts';
import { tokenField } from './tokens.ts';

export const Severity = builder.enumType('Severity', {
  description: 'Anomaly severity bands, from the score (thresholds in docs/anomalies.md).',
  values: {
    LOW: { value: 'low', description: 'Mild deviation.' },
    MEDIUM: { value: 'medium', description: 'Clear deviation.' },
    HIGH: { value: 'high', description: 'Strong deviation; alerted by default.' },
  } as const,
});
const AnomalyStatus = builder.enumType('AnomalyStatus', {
  description: 'Lifecycle of an anomaly.',
  values: {
    OPEN: { value: 'open', description: 'The day is still running; the anomaly may change.' },
    FINAL: { value: 'final', description: 'The day closed and the anomaly holds.' },
    WITHDRAWN: {
      value: 'withdrawn',
      description: 'New data or a reorg retraction brought the value back within bounds. Hidden unless asked for.',
    },
  } as const,
});
export const EntityType = builder.enumType('EntityType', {
  description: 'What kind of entity an anomaly is about.',
  values: {
    TOKEN: { value: 'token', description: 'A token: a token_metrics_daily metric; entityId is the token contract.' },
    ADDRESS: { value: 'address', description: 'An address: an address_flows_daily metric; entityId is the address.' },
  } as const,
});
export const AnomalyEventKind = builder.enumType('AnomalyEventKind', {
  description: 'Why an anomaly was pushed to subscribers.',
  values: {
    NEW: { value: 'NEW', description: 'First version of the anomaly this gateway saw (or after it had been withdrawn).' },
    ESCALATED: { value: 'ESCALATED', description: 'A new version with a higher severity than before.' },
  } as const,
});

/** An anomalies record as the row the warehouse would return. */
export function anomalyFromAvro(value: Anomaly): AnomalyRow {
  return {
    ...value,
    chain_id: String(value.chain_id),
    day: isoDayOfEpochDay(value.day),
  };
}

export const AnomalyType = builder.objectRef<AnomalyRow>('Anomaly').implement({
  description: 'An anomaly of one metric of one entity on one day (table / topic anomalies), latest version.',
  fields: (t) => ({
    anomalyId: t.exposeString('anomaly_id', {
      description: 'Deterministic id (sha256 of chain, entity, token, metric, day, method).',
    }),
    chainId: t.int({ description: 'EIP-155 chain id.', resolve: (r) => Number(r.chain_id) }),
    entityType: t.field({
      type: EntityType,
      description: 'Token or address.',
      resolve: (r) => r.entity_type as 'token' | 'address',
    }),
    entityId: t.field({ type: 'Address', description: 'The token contract or the address.', resolve: (r) => r.entity_id }),
    tokenAddress: t.field({
      type: 'Address',
      nullable: true,
      description: 'Token the metric is measured in; null for an address metric summed across tokens in USD.',
      resolve: (r) => r.token_address,
    }),
    token: t.field({
      ...tokenField,
      resolve: (r, _a, ctx) => (r.token_address ? ctx.loaders.tokenByAddress.load(r.token_address) : null),
    }),
    metric: t.exposeString('metric', {
      description: 'Scored metric, a column of the source mart (volume_usd, transfer_count, ...).',
    }),
    day: t.field({ type: 'Date', description: 'The UTC day scored.', resolve: (r) => r.day }),
    value: t.float({ nullable: true, description: 'Observed value (of the day so far while OPEN).', resolve: (r) => r.value }),
    baselineCenter: t.float({
      nullable: true,
      description: 'Baseline location over the previous final days.',
      resolve: (r) => r.baseline_center,
    }),
    baselineSpread: t.float({ nullable: true, description: 'Baseline scale.', resolve: (r) => r.baseline_spread }),
    baselineDays: t.exposeInt('baseline_days', { description: 'Final days in the baseline.' }),
    score: t.float({
      nullable: true,
      description: 'Anomaly score against the baseline; meaning depends on method.',
      resolve: (r) => r.score,
    }),
    lowerBound: t.exposeFloat('lower_bound', { nullable: true, description: 'Lowest normal value; null when unbounded below.' }),
    upperBound: t.exposeFloat('upper_bound', { nullable: true, description: 'Highest normal value; null when unbounded above.' }),
    method: t.exposeString('method', { description: 'Detector: zscore, robust_zscore, iqr, ewma, ...' }),
    severity: t.field({ type: Severity, description: 'Severity band.', resolve: (r) => r.severity as 'low' | 'medium' | 'high' }),
    status: t.field({
      type: AnomalyStatus,
      description: 'Lifecycle state.',
      resolve: (r) => r.status as 'open' | 'final' | 'withdrawn',
    }),
    detectedAt: t.field({ type: 'DateTime', description: 'Stream time of the first version.', resolve: (r) => r.detected_at }),
    updatedAt: t.field({ type: 'DateTime', description: 'Stream time of this version.', resolve: (r) => r.updated_at }),
    version: t.field({ type: 'BigInt', description: 'Version; strictly increasing per anomalyId.', resolve: (r) => r.version }),
    sourceVersion: t.field({
      type: 'BigInt',
      description: 'Version of the mart row that was scored.',
      resolve: (r) => r.source_version,
    }),
  }),
});

const AnomalyConnection = connectionType('Anomaly', AnomalyType, {
  connection: 'A page of anomalies, newest first (by day, then detection time, then id).',
  edge: 'An anomaly and its cursor.',
  node: 'The anomaly.',
  edges: 'Anomalies of this page.',
  nodes: 'The same anomalies without cursors.',
});

const FAR_PAST = '1970-01-01';
const FAR_FUTURE = '2149-06-06';
const SEVERITIES = ['low', 'medium', 'high'] as const;
const anomaliesPaging = connectionPaging<AnomalyRow>('anomaly', 50, (node) => [
  node.day,
  String(node.detected_at),
  node.anomaly_id,
]);

/** The position after which the page starts: day, detection time (ClickHouse DateTime64 text) and id. */
function anomaliesAfter(after: string | null | undefined): AnomalyFilter['cursor'] {
  const parts = anomaliesPaging.after(
    after,
    (p) =>
      p.length === 3 &&
      typeof p[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}$/.test(p[0]) &&
      typeof p[1] === 'string' &&
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/.test(p[1]) &&
      typeof p[2] === 'string' &&
      p[2].length <= 128,
  );
  if (!parts) return undefined;
  const [day, detectedAt, id] = parts as [string, string, string];
  return { day, detectedAt, id };
}

interface AnomaliesArgs {
  entityType?: string | null;
  entityId?: string | null;
  from?: string | null;
  to?: string | null;
  minSeverity?: (typeof SEVERITIES)[number] | null;
  status?: string | null;
  after?: string | null;
}

/** The warehouse filter of an anomalies query: defaults filled in, WITHDRAWN only when asked for. */
function anomalyFilter(args: AnomaliesArgs, limit: number): AnomalyFilter {
  const from = args.from ?? FAR_PAST;
  const to = args.to ?? FAR_FUTURE;
  checkOrdered(from, to);
  return {
    entityType: args.entityType ?? '',
    entityId: args.entityId ?? '',
    from,
    to,
    severities: SEVERITIES.slice(SEVERITIES.indexOf(args.minSeverity ?? 'low')),
    statuses: args.status ? [args.status] : ['open', 'final'],
    cursor: anomaliesAfter(args.after),
    limit,
  };
}

builder.queryFields((t) => ({
  anomalies: t.field({
    type: AnomalyConnection,
    description: 'Anomalies, newest first, optionally filtered. WITHDRAWN ones only when status: WITHDRAWN is asked for.',
    args: {
      entityType: t.arg({ type: EntityType, description: 'Only tokens or only addresses.' }),
      entityId: t.arg({ type: 'Address', description: 'Only this token or address.' }),
      from: t.arg({ type: 'Date', description: 'Only days on or after.' }),
      to: t.arg({ type: 'Date', description: 'Only days on or before.' }),
      minSeverity: t.arg({ type: Severity, description: 'Only this severity or higher.' }),
      status: t.arg({ type: AnomalyStatus, description: 'Only this status (default: OPEN and FINAL).' }),
      ...anomaliesPaging.args(t.arg),
    },
    resolve: (_root, args, ctx) =>
      anomaliesPaging.page(args.first, (limit) => ctx.reader.anomalies(anomalyFilter(args, limit), ctx.budget, ctx.scope)),
  }),
}));
