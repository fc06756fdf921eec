import type { SchemaTypes } from './generated/types.ts';

/** A schema name: the stem of a .avsc file in schemas/. */
export type SchemaName = keyof SchemaTypes;

interface TopicSpec {
  /** Schema of the record value. */
  readonly schema: SchemaName;
}

/**
 * Every topic whose values Oracul reads or writes, with the schema of its value.
 * config/kafka.yml declares the same topics (partitions, retention, key); a unit
 * test keeps the two in step. Dead-letter topics are `<topic>.dlq` for each topic
 * a stage consumes.
 */
export const TOPICS = {
  'eth.blocks.raw': { schema: 'eth.blocks.raw' },
  'eth.transactions.raw': { schema: 'eth.transactions.raw' },
  'eth.logs.raw': { schema: 'eth.logs.raw' },
  'market.prices.raw': { schema: 'market.prices.raw' },
  'erc20.tokens': { schema: 'erc20.tokens' },
  'erc20.transfers': { schema: 'erc20.transfers' },
  'erc20.transfer-batches.by-token': { schema: 'erc20.transfer-batches' },
  'erc20.transfer-batches.by-address': { schema: 'erc20.transfer-batches' },
  'erc20.transfers.late': { schema: 'erc20.transfers.late' },
  'erc20.rejects': { schema: 'erc20.rejects' },
  'token.metrics.daily': { schema: 'token.metrics.daily' },
  'address.flows.daily': { schema: 'address.flows.daily' },
  anomalies: { schema: 'anomalies' },
  'dq.checks': { schema: 'dq.checks' },
  'eth.blocks.raw.dlq': { schema: 'dead-letter' },
  'eth.transactions.raw.dlq': { schema: 'dead-letter' },
  'eth.logs.raw.dlq': { schema: 'dead-letter' },
  'market.prices.raw.dlq': { schema: 'dead-letter' },
  'erc20.tokens.dlq': { schema: 'dead-letter' },
  'erc20.transfers.dlq': { schema: 'dead-letter' },
  'erc20.transfer-batches.by-token.dlq': { schema: 'dead-letter' },
  'erc20.transfer-batches.by-address.dlq': { schema: 'dead-letter' },
  'erc20.transfers.late.dlq': { schema: 'dead-letter' },
  'erc20.rejects.dlq': { schema: 'dead-letter' },
  'token.metrics.daily.dlq': { schema: 'dead-letter' },
  'address.flows.daily.dlq': { schema: 'dead-letter' },
  'anomalies.dlq': { schema: 'dead-letter' },
  'dq.checks.dlq': { schema: 'dead-letter' },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = keyof typeof TOPICS;

/** The TS type of a topic's record value. */
export type TopicValue<N extends TopicName> = SchemaTypes[(typeof TOPICS)[N]['schema']];

/** Topics that have a dead-letter topic, i.e. that some stage consumes. */
export type ConsumedTopicName = {
  [N in TopicName]: `${N}.dlq` extends TopicName ? N : never;
}[TopicName];

export function isTopicName(name: string): name is TopicName {
  return Object.hasOwn(TOPICS, name);
}

/** The schema (file stem) of a topic's value. */
export function schemaNameOf(topic: TopicName): SchemaName {
  return TOPICS[topic].schema;
}

/** Registry subject of a topic's value schema (Confluent TopicNameStrategy). */
export function subjectOf(topic: string): string {
  return `${topic}-value`;
}

/** The dead-letter topic of a consumed topic. */
export function deadLetterTopicOf(topic: ConsumedTopicName): TopicName {
  return `${topic}.dlq`;
}
