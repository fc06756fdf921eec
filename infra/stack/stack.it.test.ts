import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createShutdown } from '../../core/shutdown.ts';
import type { Common } from '../../core/common.ts';
import { TEST_STACK, testConfig } from '../../scripts/test/test-config.ts';
import { stackDown, stackStatus, stackUp } from './index.ts';

const endpoints = inject('oraculStack');
// Quiet: kafkajs logs the retried CONCURRENT_TRANSACTIONS between back-to-back transactions
// at ERROR; real failures still surface as rejected promises.
const kafka = new Kafka({ clientId: 'stack-it', brokers: endpoints.kafkaBrokers, logLevel: logLevel.NOTHING });

function common(): Common {
  const logger = pino({ level: 'silent' });
  return { config: testConfig(), logger, shutdown: createShutdown(logger) };
}

/** Collects message values until `done` says so, or fails after `timeoutMs`. */
async function consumeUntil(
  consumer: Consumer,
  topic: string,
  done: (values: string[]) => boolean,
  timeoutMs = 60_000,
): Promise<string[]> {
  const values: string[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(values)}`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (done(values)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  return values;
}

describe('local stack (integration)', () => {
  const admin = kafka.admin();
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all([...producers, ...consumers].map((c) => c.disconnect()));
    await admin.disconnect();
  });

  async function newTopic(): Promise<string> {
    const topic = `stack-it-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    return topic;
  }

  it('exports the test endpoints to workers as ORACUL_* env', () => {
    expect(endpoints.kafkaBrokers).toEqual([`127.0.0.1:${TEST_STACK.kafkaPort}`]);
    expect(process.env.ORACUL_KAFKA_BROKERS).toBe(`127.0.0.1:${TEST_STACK.kafkaPort}`);
    expect(process.env.ORACUL_KAFKA_SCHEMA_REGISTRY_URL).toBe(endpoints.schemaRegistryUrl);
  });

  it('produces and consumes a message', async () => {
    const topic = await newTopic();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    producers.push(producer);
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });
    const consumer = kafka.consumer({ groupId: `stack-it-${randomUUID()}` });
    consumers.push(consumer);
    await consumer.connect();
    expect(await consumeUntil(consumer, topic, (v) => v.length >= 1)).toEqual(['hello']);
  });

  it('commits and aborts transactions; read_committed sees only committed records', async () => {
    const topic = await newTopic();
    const producer = kafka.producer({
      transactionalId: `stack-it-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producers.push(producer);
    await producer.connect();
    for (const [value, outcome] of [
      ['committed-1', 'commit'],
      ['aborted', 'abort'],
      ['committed-2', 'commit'],
    ] as const) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ value }] });
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    }
    const consumer = kafka.consumer({ groupId: `stack-it-${randomUUID()}`, readUncommitted: false });
    consumers.push(consumer);
    await consumer.connect();
    const values = await consumeUntil(consumer, topic, (v) => v.includes('committed-2'));
    expect(values).toEqual(['committed-1', 'committed-2']);
  });

  it('registers an Avro schema through the Confluent API and round-trips a record', async () => {
    const registry = new SchemaRegistry({ host: endpoints.schemaRegistryUrl });
    const subject = `stack-it-${randomUUID()}-value`;
    const schema = {
      type: 'record',
      name: 'Transfer',
      namespace: 'oracul.test',
      fields: [
        { name: 'from', type: 'string' },
        { name: 'amount', type: 'string' },
      ],
    };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    const encoded = await registry.encode(id, { from: '0xabc', amount: '1000000000000000000' });
    expect(encoded.readUInt8(0)).toBe(0); // Confluent wire format: magic byte, then the schema id.
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ from: '0xabc', amount: '1000000000000000000' });

    const config = await fetch(`${endpoints.schemaRegistryUrl}/config`).then(
      (r) => r.json() as Promise<{ compatibilityLevel: string }>,
    );
    expect(config.compatibilityLevel).toBe('BACKWARD');
    // A new required field without default is not BACKWARD compatible: the global rule must refuse it.
    const breaking = { ...schema, fields: [...schema.fields, { name: 'fee', type: 'string' }] };
    await expect(registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(breaking) }, { subject })).rejects.toThrow();
  });

  it('keeps schemas across a registry restart (file-based H2)', async () => {
    const registry = new SchemaRegistry({ host: endpoints.schemaRegistryUrl });
    const subject = `stack-it-${randomUUID()}-value`;
    const schema = JSON.stringify({
      type: 'record',
      name: 'Kept',
      namespace: 'oracul.test',
      fields: [{ name: 'a', type: 'long' }],
    });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });

    expect(await stackDown(common(), { components: ['registry'] })).toMatchObject([
      { component: 'registry', outcome: 'terminated' },
    ]);
    expect(await stackUp(common(), { components: ['registry'] })).toMatchObject([{ component: 'registry', action: 'started' }]);

    expect(await registry.getRegistryId(subject, 1)).toBe(id);
    expect(await new SchemaRegistry({ host: endpoints.schemaRegistryUrl }).getSchema(id)).toBeTruthy();
  });

  it('reports every component healthy, and a second up is a fast no-op', async () => {
    const rows = await stackStatus(common());
    const byName = Object.fromEntries(rows.map((r) => [r.component, r]));
    expect(byName.kafka).toMatchObject({ health: 'healthy', port: TEST_STACK.kafkaPort });
    expect(byName.registry).toMatchObject({ health: 'healthy', port: TEST_STACK.registryPort });
    if (byName.warehouse) expect(['healthy', 'unavailable']).toContain(byName.warehouse.health);

    const started = performance.now();
    const results = await stackUp(common());
    expect(results.every((r) => r.action === 'already-running' || r.action === 'skipped')).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
