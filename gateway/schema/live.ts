// Subscriptions: anomalies and token-day versions pushed from the gateway's Kafka consumer (gateway/live.ts).
import { builder, type GatewayContext } from '../builder.ts';
import { releasingOnEnd } from '../limits.ts';
import type { AnomalyEvent, TokenMetricsEvent } from '../live.ts';
import { AnomalyEventKind, AnomalyType, EntityType, Severity, anomalyFromAvro } from './anomalies.ts';
import { TokenMetrics, tokenMetricsFromAvro } from './token-metrics.ts';

/**
 * Starts a subscription in one of the caller's slots (refused with SUBSCRIPTION_LIMIT when
 * its key or connection has none left); the slot is given back when the stream ends.
 */
function openSubscription<T>(ctx: GatewayContext, start: () => AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  const release = ctx.subscriptions.acquire(ctx.principal.keyId, ctx.connection);
  try {
    // Pushed events' token lookups follow the topic, not the document: the caps bound them.
    ctx.budget.lift();
    return releasingOnEnd(start(), release);
  } catch (error) {
    release();
    throw error;
  }
}

const AnomalyEventType = builder.objectRef<AnomalyEvent>('AnomalyEvent').implement({
  description: 'A new or escalated anomaly from the anomalies topic.',
  fields: (t) => ({
    eventId: t.exposeString('eventId', {
      description: 'Position in the topic (<partition>:<offset>); resubscribe with after: eventId to receive what was missed.',
    }),
    kind: t.field({ type: AnomalyEventKind, description: 'NEW or ESCALATED.', resolve: (e) => e.kind }),
    publishedAt: t.field({ type: 'DateTime', description: 'Kafka record timestamp.', resolve: (e) => e.publishedAt }),
    receivedAt: t.field({ type: 'DateTime', description: 'When the gateway received it.', resolve: (e) => e.receivedAt }),
    anomaly: t.field({ type: AnomalyType, description: 'The anomaly version.', resolve: (e) => anomalyFromAvro(e.value) }),
  }),
});
const TokenMetricsEventType = builder.objectRef<TokenMetricsEvent>('TokenMetricsUpdate').implement({
  description:
    'A new version of a token day from the token.metrics.daily topic (live window update, final record or re-emission).',
  fields: (t) => ({
    eventId: t.exposeString('eventId', { description: 'Position in the topic (<partition>:<offset>), for after.' }),
    publishedAt: t.field({ type: 'DateTime', description: 'Kafka record timestamp.', resolve: (e) => e.publishedAt }),
    metrics: t.field({ type: TokenMetrics, description: 'The new version.', resolve: (e) => tokenMetricsFromAvro(e.value) }),
  }),
});

builder.subscriptionFields((t) => ({
  anomalyDetected: t.field({
    type: AnomalyEventType,
    description:
      'New and escalated anomalies as they are published. Pass the last eventId seen as `after` to receive what was missed (bounded buffer).',
    args: {
      minSeverity: t.arg({ type: Severity, description: 'Only this severity or higher.' }),
      entityType: t.arg({ type: EntityType, description: 'Only tokens or only addresses.' }),
      entityId: t.arg({ type: 'Address', description: 'Only this token or address.' }),
      after: t.arg.string({ description: 'Last eventId received before a disconnect.' }),
    },
    subscribe: (_root, args, ctx) =>
      openSubscription(ctx, () =>
        ctx.live.subscribeAnomalies(
          {
            minSeverity: args.minSeverity ?? undefined,
            entityType: args.entityType ?? undefined,
            entityId: args.entityId ?? undefined,
          },
          args.after ?? undefined,
        ),
      ),
    resolve: (event) => event,
  }),
  tokenMetricsUpdated: t.field({
    type: TokenMetricsEventType,
    description: 'Every new version of a token day (live window updates), optionally for one token.',
    args: {
      token: t.arg({ type: 'Address', description: 'Only this token.' }),
      after: t.arg.string({ description: 'Last eventId received before a disconnect.' }),
    },
    subscribe: (_root, args, ctx) =>
      openSubscription(ctx, () => ctx.live.subscribeTokenMetrics(args.token ?? undefined, args.after ?? undefined)),
    resolve: (event) => event,
  }),
}));
