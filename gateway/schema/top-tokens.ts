// topTokens: one day's token metrics ranked by a metric chosen from TopTokensBy (one statement, gateway/sql.ts).
import { builder } from '../builder.ts';
import type { TopTokensOrder } from '../warehouse.ts';
import { firstArgument } from './arguments.ts';
import { TokenMetrics } from './token-metrics.ts';

const TopTokensBy = builder.enumType('TopTokensBy', {
  description: 'Ranking of topTokens.',
  values: {
    VOLUME_USD: { value: 'volume_usd', description: 'USD volume of the day, highest first (tokens without USD volume last).' },
    TRANSFER_COUNT: { value: 'transfer_count', description: 'Number of transfers of the day, highest first.' },
    UNIQUE_ADDRESSES: { value: 'unique_addresses', description: 'Distinct senders and receivers of the day, highest first.' },
  } as const,
});

const topTokensFirst = firstArgument('How many', 10);

builder.queryFields((t) => ({
  topTokens: t.field({
    type: [TokenMetrics],
    description: "The day's token metrics ranked by `by`, best first.",
    args: {
      day: t.arg({ type: 'Date', required: true, description: 'The UTC day.' }),
      by: t.arg({ type: TopTokensBy, required: true, description: 'Ranking metric.' }),
      first: topTokensFirst.declare(t.arg),
    },
    resolve: (_root, args, ctx) =>
      ctx.reader.topTokens(args.day, args.by as TopTokensOrder, topTokensFirst.check(args.first), ctx.budget, ctx.scope),
  }),
}));
