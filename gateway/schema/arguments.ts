// Arguments shared by root fields: the day range (`from` / `to`, its check, the list field that reads one range) and
// the page size `first`.
import type { ArgBuilder, InputFieldMap, InputShapeFromFields, ObjectRef } from '@pothos/core';
import type { GatewayContext, GatewayTypes } from '../builder.ts';
import { checkFirst, checkRange, MAX_FIRST } from '../scalars.ts';

/** A day range `from`..`to` (inclusive) that is ordered and at most gateway.maxRangeDays long. */
function requireRange(ctx: GatewayContext, from: string, to: string): void {
  checkRange(from, to, ctx.maxRangeDays);
}

/** The required `from` / `to` arguments of a day-range field. */
export function dayRangeArgs(arg: ArgBuilder<GatewayTypes>) {
  return {
    from: arg({ type: 'Date', required: true, description: 'First day (inclusive).' }),
    to: arg({ type: 'Date', required: true, description: 'Last day (inclusive).' }),
  };
}

type DayRangeArgs = ReturnType<typeof dayRangeArgs>;

/** What differs between the day-range list fields: the row type, the text, the arguments and the read. */
export interface DayRangeListField<Row, Args extends DayRangeArgs & InputFieldMap> {
  type: ObjectRef<GatewayTypes, Row>;
  description: string;
  /** The field's arguments, `...dayRangeArgs(t.arg)` among them. */
  args: Args;
  /** Reads the rows once the range passed requireRange. */
  read: (args: InputShapeFromFields<Args>, ctx: GatewayContext) => Promise<readonly Row[]>;
}

/** A root list field over a day range: the range is checked (requireRange) before the warehouse is read. */
export function dayRangeListField<Row, Args extends DayRangeArgs & InputFieldMap>(
  t: PothosSchemaTypes.QueryFieldBuilder<GatewayTypes, object>,
  field: DayRangeListField<Row, Args>,
) {
  return t.field({
    type: [field.type],
    description: field.description,
    args: field.args,
    resolve: async (_root, args, ctx) => {
      // Args extends DayRangeArgs, but TypeScript does not carry that through Pothos's mapped argument shape.
      const { from, to } = args as InputShapeFromFields<DayRangeArgs>;
      requireRange(ctx, from, to);
      return [...(await field.read(args, ctx))];
    },
  });
}

/** A `first` argument (1..MAX_FIRST, `fallback` when absent): its declaration and its check, from one default. */
export function firstArgument(lead: 'How many' | 'Page size', fallback: number) {
  return {
    declare: (arg: ArgBuilder<GatewayTypes>) => arg.int({ description: `${lead}, 1..${MAX_FIRST} (default ${fallback}).` }),
    check: (first: number | null | undefined) => checkFirst(first, fallback),
  };
}
