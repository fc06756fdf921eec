// AddressFlowDaily: the daily address mart (address_flows_daily), read by day range.
import { builder } from '../builder.ts';
import type { AddressFlowRow } from '../warehouse.ts';
import { dayRangeArgs, dayRangeListField } from './arguments.ts';
import { emittedAtField } from './mart-fields.ts';
import { tokenField } from './tokens.ts';

const AddressFlow = builder.objectRef<AddressFlowRow>('AddressFlowDaily').implement({
  description: 'Daily (UTC) flows of one address in one token: one row of address_flows_daily, latest version.',
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'The UTC day.', resolve: (r) => r.date }),
    chainId: t.int({ description: 'EIP-155 chain id.', resolve: (r) => Number(r.chain_id) }),
    address: t.field({ type: 'Address', description: 'The address whose flows these are.', resolve: (r) => r.address }),
    tokenAddress: t.field({ type: 'Address', description: 'ERC-20 contract of the flows.', resolve: (r) => r.token_address }),
    token: t.field({ ...tokenField, resolve: (r, _a, ctx) => ctx.loaders.tokenByAddress.load(r.token_address) }),
    symbol: t.exposeString('symbol', { nullable: true, description: 'Token symbol; null when unknown.' }),
    inflowRaw: t.field({ type: 'BigInt', description: 'Amount received (base units).', resolve: (r) => r.inflow_raw }),
    outflowRaw: t.field({ type: 'BigInt', description: 'Amount sent (base units).', resolve: (r) => r.outflow_raw }),
    netFlowRaw: t.field({
      type: 'BigInt',
      description: 'inflowRaw − outflowRaw (may be negative).',
      resolve: (r) => r.net_flow_raw,
    }),
    inflowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'USD value received; null when unpriced.',
      resolve: (r) => r.inflow_usd,
    }),
    outflowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'USD value sent; null when unpriced.',
      resolve: (r) => r.outflow_usd,
    }),
    netFlowUsd: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'inflowUsd − outflowUsd; null when unpriced.',
      resolve: (r) => r.net_flow_usd,
    }),
    transferCount: t.int({ description: 'Transfers in or out.', resolve: (r) => Number(r.transfer_count) }),
    txCount: t.int({ description: 'Distinct transactions.', resolve: (r) => Number(r.tx_count) }),
    counterpartiesCount: t.int({ description: 'Distinct counterparties.', resolve: (r) => Number(r.counterparties_count) }),
    version: t.field({ type: 'BigInt', description: 'Row version; the highest wins.', resolve: (r) => r.version }),
    isFinal: t.exposeBoolean('is_final', { description: 'False while the day is open.' }),
    emittedAt: t.field(emittedAtField),
    insertedAt: t.field({
      type: 'DateTime',
      description: 'When the warehouse stored this version.',
      resolve: (r) => r.inserted_at,
    }),
  }),
});

builder.queryFields((t) => ({
  addressFlowsDaily: dayRangeListField(t, {
    type: AddressFlow,
    description:
      'Daily flows of one address from `from` to `to` (inclusive, bounded), per token, oldest first; at most 20000 rows.',
    args: {
      address: t.arg({ type: 'Address', required: true, description: 'The address.' }),
      ...dayRangeArgs(t.arg),
      token: t.arg({ type: 'Address', description: 'Only flows of this token.' }),
    },
    read: (args, ctx) => ctx.reader.addressFlowsDaily(args.address, args.from, args.to, args.token ?? '', ctx.budget, ctx.scope),
  }),
}));
