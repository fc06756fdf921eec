import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { createInMemorySerdes } from './create-in-memory-serdes.ts';
import { TOPICS, schemaNameOf, type TopicName } from './topics.ts';
import { readAvroSchema } from './avro-schema.ts';

describe('createInMemorySerdes', () => {
  const serdes = createInMemorySerdes();

  it.each(Object.keys(TOPICS) as TopicName[])('round-trips random %s values', async (topic) => {
    const type = avro.Type.forSchema(readAvroSchema(schemaNameOf(topic)) as avro.Schema);
    const serde = serdes.forTopic(topic);
    expect(serde.subject).toBe(`${topic}-value`);
    for (let i = 0; i < 5; i++) {
      const value = type.random() as never;
      expect(await serde.deserialize(await serde.serialize(value))).toEqual(value);
    }
  });

  it('registers every topic, sharing one id per distinct schema', async () => {
    const registered = await serdes.registerAll();
    expect(registered).toHaveLength(Object.keys(TOPICS).length);
    const ids = new Map(registered.map((r) => [r.topic, r.id]));
    expect(ids.get('erc20.transfer-batches.by-token')).toBe(ids.get('erc20.transfer-batches.by-address'));
    expect(ids.get('eth.logs.raw.dlq')).toBe(ids.get('anomalies.dlq'));
    expect(ids.get('eth.logs.raw')).not.toBe(ids.get('eth.blocks.raw'));
  });
});
