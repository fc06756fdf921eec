// DataQualityCheck: data-quality check runs (table data_quality_checks).
import type { CheckStatus } from '../../schemas/index.ts';
import { builder } from '../builder.ts';
import type { DataQualityRow } from '../warehouse.ts';
import { dayRangeArgs, dayRangeListField, firstArgument } from './arguments.ts';

export const DataQualityStatus = builder.enumType('DataQualityStatus', {
  description: 'Outcome of a data-quality check run.',
  values: {
    PASS: { value: 'pass', description: 'The check passed.' },
    FAIL: { value: 'fail', description: 'The data violates the check.' },
    ERROR: { value: 'error', description: 'The check could not run.' },
    PENDING: {
      value: 'pending',
      description: 'Nothing to judge yet (no block ingested or price polled within the grace period); never alerted.',
    },
  } as const,
});

const dataQualityFirst = firstArgument('How many', 100);

const DataQualityCheck = builder.objectRef<DataQualityRow>('DataQualityCheck').implement({
  description: 'One data-quality check run (table data_quality_checks).',
  fields: (t) => ({
    checkName: t.exposeString('check_name', { description: 'Check identifier (docs/data-quality.md).' }),
    chainId: t.int({ description: 'EIP-155 chain id; 0 when not chain-specific.', resolve: (r) => Number(r.chain_id) }),
    subject: t.exposeString('subject', {
      description: 'What was checked within the chain (e.g. a token); empty for the whole chain.',
    }),
    status: t.field({ type: DataQualityStatus, description: 'Outcome.', resolve: (r) => r.status as CheckStatus }),
    observed: t.exposeFloat('observed', { nullable: true, description: 'Observed measure; null when not numeric.' }),
    threshold: t.exposeFloat('threshold', { nullable: true, description: 'Threshold the measure was compared with.' }),
    checkWindow: t.exposeString('check_window', { description: 'Checked interval: ISO-8601 interval or blocks:<from>-<to>.' }),
    checkedAt: t.field({ type: 'DateTime', description: 'When the check ran.', resolve: (r) => r.checked_at }),
    details: t.exposeString('details', { description: 'Check-specific details, a JSON object as text.' }),
  }),
});

builder.queryFields((t) => ({
  dataQuality: dayRangeListField(t, {
    type: DataQualityCheck,
    description: 'Data-quality check runs between `from` and `to` (inclusive days, bounded), newest first.',
    args: {
      ...dayRangeArgs(t.arg),
      status: t.arg({ type: DataQualityStatus, description: 'Only runs with this outcome.' }),
      first: dataQualityFirst.declare(t.arg),
    },
    read: (args, ctx) =>
      ctx.reader.dataQuality(args.from, args.to, args.status ?? '', dataQualityFirst.check(args.first), ctx.budget, ctx.scope),
  }),
}));
