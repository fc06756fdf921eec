import type { GatewayContext } from '../builder.ts';
import { checkRange } from '../scalars.ts';

/** A day range `from`..`to` (inclusive) that is ordered and at most gateway.maxRangeDays long. */
export function requireRange(ctx: GatewayContext, from: string, to: string): void {
  checkRange(from, to, ctx.maxRangeDays);
}
