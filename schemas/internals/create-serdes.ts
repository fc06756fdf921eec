import { readAvroSchema } from '../avro-schema.ts';
import type { FrameEncoder, RegisteredSchema, Serde, Serdes } from '../serde.ts';
import { TOPICS, schemaNameOf, subjectOf, type TopicName, type TopicValue } from '../topics.ts';
import { createAvroSerde } from './avro-serde.ts';
import type { SchemaStore } from './schema-store.ts';

/** One serde per topic over a shared store, created on first use. */
export function createSerdes(store: SchemaStore, schemaDir?: string): Serdes {
  const serdes = new Map<TopicName, ReturnType<typeof createAvroSerde>>();
  const serdeOf = (topic: TopicName): ReturnType<typeof createAvroSerde> => {
    let serde = serdes.get(topic);
    if (!serde) {
      serde = createAvroSerde({
        topic,
        subject: subjectOf(topic),
        schema: readAvroSchema(schemaNameOf(topic), schemaDir),
        store,
      });
      serdes.set(topic, serde);
    }
    return serde;
  };
  return {
    forTopic<N extends TopicName>(topic: N): Serde<TopicValue<N>> {
      return serdeOf(topic) as Serde<TopicValue<N>>;
    },
    frameEncoder<N extends TopicName>(topic: N) {
      return serdeOf(topic).frameEncoder() as Promise<FrameEncoder<TopicValue<N>>>;
    },
    async registerAll(): Promise<RegisteredSchema[]> {
      const out: RegisteredSchema[] = [];
      for (const topic of Object.keys(TOPICS) as TopicName[]) {
        out.push({ topic, subject: subjectOf(topic), id: await serdeOf(topic).register() });
      }
      return out;
    },
  };
}
