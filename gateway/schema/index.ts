// The gateway schema: gateway/builder.ts plus one module per entity, each adding its types and root fields.
// The import order is the order of the Query and Subscription fields.
import type { GraphQLSchema } from 'graphql';
import { builder } from '../builder.ts';
import './tokens.ts';
import './token-metrics.ts';
import './address-flows.ts';
import './top-tokens.ts';
import './anomalies.ts';
import './data-quality.ts';
import './health.ts';
import './live.ts';

export { anomalyFromAvro } from './anomalies.ts';
export { tokenMetricsFromAvro } from './token-metrics.ts';

let built: GraphQLSchema | undefined;

/** The gateway schema (built once; the imports above declare its types at module load). */
export function buildSchema(): GraphQLSchema {
  built ??= builder.toSchema({ sortSchema: false });
  return built;
}
