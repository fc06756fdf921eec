// Health: the pipeline as the gateway sees it (ops keys only).
import type { CheckStatus } from '../../schemas/index.ts';
import { builder } from '../builder.ts';
import { GATEWAY_ERROR_CODES, gatewayError } from '../errors.ts';
import type { ComponentHealth, ConsumerGroupLag, HealthSnapshot } from '../health.ts';
import { DataQualityStatus } from './data-quality.ts';

const ComponentStatus = builder.enumType('ComponentStatus', {
  description: 'Whether a component answered the gateway.',
  values: {
    UP: { value: 'UP', description: 'Reachable and working.' },
    DOWN: { value: 'DOWN', description: 'Unreachable or failing; see detail.' },
  } as const,
});

const ConsumerLag = builder.objectRef<ConsumerGroupLag>('ConsumerLag').implement({
  description: 'How far a processor consumer group is behind its input topics.',
  fields: (t) => ({
    groupId: t.exposeString('groupId', { description: 'Kafka consumer group id.' }),
    lag: t.field({ type: 'BigInt', description: 'Records not yet committed, summed over partitions.', resolve: (g) => g.lag }),
    topics: t.exposeStringList('topics', { description: 'Topics the group has committed offsets for.' }),
  }),
});
const Component = builder.objectRef<ComponentHealth>('ComponentHealth').implement({
  description: 'State of one dependency of the gateway.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'warehouse, kafka or live-feed.' }),
    status: t.field({ type: ComponentStatus, description: 'UP or DOWN.', resolve: (c) => c.status }),
    detail: t.exposeString('detail', {
      nullable: true,
      description: 'Human-readable detail (broker count, subscriber count, error).',
    }),
  }),
});
const Health = builder.objectRef<HealthSnapshot>('Health').implement({
  description: 'Pipeline health as the gateway sees it.',
  fields: (t) => ({
    latestBlockNumber: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Highest canonical block in raw_blocks.',
      resolve: (h) => h.latestBlockNumber,
    }),
    latestBlockTimestamp: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Timestamp of that block.',
      resolve: (h) => h.latestBlockTimestamp,
    }),
    chainHeadBlockNumber: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Chain head from the configured RPC endpoint; null when none is configured or it did not answer.',
      resolve: (h) => h.chainHeadBlockNumber,
    }),
    ingestionLagBlocks: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'chainHeadBlockNumber − latestBlockNumber; null without a chain head.',
      resolve: (h) => h.ingestionLagBlocks,
    }),
    ingestionLagSeconds: t.exposeInt('ingestionLagSeconds', {
      nullable: true,
      description: 'Seconds between now and latestBlockTimestamp; null without blocks.',
    }),
    consumerLag: t.field({
      type: [ConsumerLag],
      description: 'Lag of every processor consumer group.',
      resolve: (h) => h.consumerLag,
    }),
    lastDataQualityCheckAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last data-quality check ran.',
      resolve: (h) => h.lastDataQualityCheckAt,
    }),
    lastDataQualityCheck: t.exposeString('lastDataQualityCheck', { nullable: true, description: 'Name of that check.' }),
    lastDataQualityStatus: t.field({
      type: DataQualityStatus,
      nullable: true,
      description: 'Its outcome.',
      resolve: (h) => h.lastDataQualityStatus as CheckStatus | null,
    }),
    components: t.field({ type: [Component], description: 'State of each dependency.', resolve: (h) => h.components }),
  }),
});

builder.queryFields((t) => ({
  health: t.field({
    type: Health,
    description: 'Ingestion, consumer lag, data quality and component states. Needs an ops key.',
    resolve: (_root, _args, ctx) => {
      if (ctx.principal.role !== 'ops') throw gatewayError(GATEWAY_ERROR_CODES.forbidden, 'health needs an ops key');
      return ctx.health.snapshot(ctx.budget);
    },
  }),
}));
