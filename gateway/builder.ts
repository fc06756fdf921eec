import SchemaBuilder from '@pothos/core';
import type DataLoader from 'dataloader';
import type { Principal } from './auth.ts';
import type { HealthProbe } from './health.ts';
import type { SubscriptionSlots, WarehouseBudget } from './limits.ts';
import type { LiveFeed } from './live.ts';
import type { ResponseScope } from './response-cache.ts';
import {
  parseAddress,
  parseBigInt,
  parseDate,
  parseDateTime,
  parseDecimal,
  serializeBigInt,
  serializeDateTime,
} from './scalars.ts';
import type { TokenRow, WarehouseReader } from './warehouse.ts';

/** Per-request context: who calls, the warehouse reader, batch loaders, the live feed. */
export interface GatewayContext {
  principal: Principal;
  reader: WarehouseReader;
  live: LiveFeed;
  health: HealthProbe;
  loaders: { tokenByAddress: DataLoader<string, TokenRow | null> };
  maxRangeDays: number;
  /** Warehouse queries this operation may still send (every reader call passes it). */
  budget: WarehouseBudget;
  /** Open subscriptions per key and per connection. */
  subscriptions: SubscriptionSlots;
  /** Whether this operation's answer may be reused (response cache): day-range reads report into it. */
  scope: ResponseScope;
  /** The graphql-ws socket or HTTP connection the operation came on. */
  connection: object | undefined;
}

/** The builder's type parameters: the context, non-null fields by default, and the custom scalars' shapes. */
export interface GatewaySchemaTypes {
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    Address: { Input: string; Output: string };
    Date: { Input: string; Output: string };
    BigInt: { Input: bigint; Output: bigint | string | number };
    Decimal: { Input: string; Output: string };
    DateTime: { Input: string; Output: string | number };
  };
}
export type GatewayTypes = PothosSchemaTypes.ExtendDefaultTypes<GatewaySchemaTypes>;

/** The one SchemaBuilder of the gateway; gateway/schema/*.ts add their types and root fields to it. */
export const builder = new SchemaBuilder<GatewaySchemaTypes>({ defaultFieldNullability: false });

// ---------- root types (their fields come from gateway/schema/*.ts) ----------

builder.queryType({
  description: 'Read access to Oracul analytics. Every field needs an API key (header); health needs the ops role.',
});
builder.subscriptionType({
  description: "Live data over graphql-ws (WebSocket) or SSE, from the gateway's Kafka consumer.",
});

// ---------- scalars ----------

builder.scalarType('Address', {
  description:
    'An Ethereum address: 0x followed by 40 hex characters. Input may be lowercase, uppercase or EIP-55 checksummed (a mixed-case address with a wrong checksum is rejected); output is always lowercase.',
  serialize: (value) => value,
  parseValue: (value) => parseAddress(value),
});
builder.scalarType('Date', {
  description: 'A UTC calendar day, ISO-8601 YYYY-MM-DD, between 1970-01-01 and 2149-06-06.',
  serialize: (value) => value,
  parseValue: (value) => parseDate(value),
});
builder.scalarType('BigInt', {
  description:
    'An exact integer as a base-10 string (uint256 token amounts in base units, signed flows, 64-bit counters). Never a float: parse it with a big-integer type.',
  serialize: (value) => serializeBigInt(value),
  parseValue: (value) => parseBigInt(value),
});
builder.scalarType('Decimal', {
  description: 'An exact decimal number as a base-10 string (USD values with up to 18 fractional digits, prices). Never a float.',
  serialize: (value) => value,
  parseValue: (value) => parseDecimal(value),
});
builder.scalarType('DateTime', {
  description: 'A UTC instant, ISO-8601 with milliseconds (2026-01-02T03:04:05.678Z).',
  serialize: (value) => serializeDateTime(value),
  parseValue: (value) => parseDateTime(value),
});
