import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { listSchemaNames, SCHEMAS_DIR } from './avro-schema.ts';
import {
  TOPICS,
  deadLetterTopicOf,
  isTopicName,
  schemaNameOf,
  subjectOf,
  type ConsumedTopicName,
  type TopicName,
} from './topics.ts';

// Only the topics section of the repo's config matters here; env overrides are ignored.
const declared = loadConfig({ env: {} }).kafka.topics;

describe('topic registry and config/kafka.yml', () => {
  it('declare the same topics', () => {
    expect(declared.map((t) => t.name).sort()).toEqual(Object.keys(TOPICS).sort());
  });

  it('agree on each topic’s value schema, and the schema file exists', () => {
    for (const topic of declared) {
      expect(isTopicName(topic.name)).toBe(true);
      expect(topic.schema, topic.name).toBe(`${schemaNameOf(topic.name as TopicName)}.avsc`);
      expect(existsSync(join(SCHEMAS_DIR, topic.schema!)), topic.schema).toBe(true);
    }
  });

  it('document the key of every topic', () => {
    for (const topic of declared) expect(topic.key, topic.name).toBeTruthy();
  });

  it('use every schema', () => {
    const used = new Set(Object.values(TOPICS).map((t) => t.schema));
    expect(listSchemaNames().filter((n) => !used.has(n as never))).toEqual([]);
  });

  it('give every consumed topic a dead-letter topic and dead letters their own envelope', () => {
    const consumed = Object.keys(TOPICS).filter((t) => isTopicName(`${t}.dlq`)) as ConsumedTopicName[];
    expect(consumed).toContain('eth.logs.raw');
    expect(consumed).toContain('erc20.transfers');
    for (const topic of consumed) expect(schemaNameOf(deadLetterTopicOf(topic))).toBe('dead-letter');
  });

  it('keep latest-value topics compacted and order-sensitive single-consumer topics on one partition', () => {
    const byName = new Map(declared.map((t) => [t.name, t]));
    expect(byName.get('erc20.tokens')?.cleanupPolicy).toBe('compact');
    expect(byName.get('anomalies')?.cleanupPolicy).toContain('compact');
    expect(byName.get('anomalies')?.partitions).toBe(1);
    // Chain order is the decoder's input order (ADR 0006); parallelism starts at the by-token repartition.
    expect(byName.get('eth.logs.raw')?.partitions).toBe(1);
    expect(byName.get('erc20.transfers')?.partitions).toBeGreaterThan(1);
  });

  it('register values under <topic>-value', () => {
    expect(subjectOf('erc20.transfers')).toBe('erc20.transfers-value');
  });
});
