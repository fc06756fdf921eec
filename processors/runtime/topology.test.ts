import { describe, expect, it } from 'vitest';
import { createInMemorySerdes } from '../../schemas/index.ts';
import type { TopicName } from '../../schemas/topics.ts';
import { createTestDriver } from '../core/testDriver.ts';
import type { OutputRecord } from '../core/processor.ts';
import { chunkBySize } from './streamTask.ts';
import { generateSyntheticStream } from './testing/syntheticTransferStream.ts';
import { addressFlowsStage, erc20DecoderStage, tokenMetricsStage } from './topology.ts';
import type { AnyStageSpec } from './stage.ts';

/**
 * The topology's Avro mapping, without Kafka: the generated stream goes through every stage's processor via the
 * test driver, and every record a stage would produce must serialise with its topic's Avro schema and read back
 * equal (what the runtime does with the registry serdes).
 */
describe('topology Avro mapping', () => {
  const serdes = createInMemorySerdes();
  const stream = generateSyntheticStream({ seed: 5, days: 3, blocksPerDay: 48, transfersPerBlock: 5, addresses: 300 });

  async function run(
    stage: AnyStageSpec,
    inputs: readonly { value: unknown; key: string | null }[],
    globals: readonly unknown[] = [],
  ) {
    const driver = createTestDriver(stage.processor, { inputTopic: stage.inputTopic });
    for (const g of globals) {
      const input = stage.globals?.[0]?.toInput(g);
      if (input !== null && input !== undefined) driver.pipe(input);
    }
    const produced: { topic: TopicName; key: string; value: unknown }[] = [];
    for (const { value, key } of inputs) {
      for (const input of stage.toInputs(value, { topic: stage.inputTopic, partition: 0, offset: 0, key, timestampMs: 0 })) {
        for (const out of driver.pipe(input, { key })) produced.push(stage.toAvro(out as OutputRecord<unknown>));
      }
    }
    for (const out of driver.punctuate({ caughtUp: false })) produced.push(stage.toAvro(out as OutputRecord<unknown>));
    for (const record of produced) {
      const serde = serdes.forTopic(record.topic);
      expect(await serde.deserialize(await serde.serialize(record.value as never))).toEqual(record.value);
    }
    return produced;
  }

  it('decoder → token metrics → address flows: every output is valid Avro of its topic', async () => {
    const decoded = await run(
      erc20DecoderStage(),
      stream.logBatches.map((b) => ({ value: b, key: `1:${b.block_number}` })),
      stream.tokens,
    );
    const byToken = decoded.filter((r) => r.topic === 'erc20.transfers');
    const byAddress = decoded.filter((r) => r.topic === 'erc20.transfers.by-address');
    expect(byToken.length).toBeGreaterThan(500);
    expect(byAddress.length).toBeGreaterThan(byToken.length);
    const tokens = await run(tokenMetricsStage(), byToken, stream.prices);
    expect(tokens.some((r) => r.topic === 'token.metrics.daily' && (r.value as { is_final: boolean }).is_final)).toBe(true);
    expect(tokens.some((r) => r.topic === 'erc20.transfers.late')).toBe(true);
    const flows = await run(addressFlowsStage(), byAddress, stream.prices);
    expect(flows.some((r) => r.topic === 'address.flows.daily')).toBe(true);
  });
});

describe('chunkBySize', () => {
  it('splits requests under the byte limit and keeps each topic in order', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(100) }));
    const requests = chunkBySize(
      new Map([
        ['a', messages.slice(0, 6)],
        ['b', messages.slice(6)],
      ]),
      400,
    );
    expect(requests.length).toBeGreaterThan(2);
    for (const request of requests) expect(request.reduce((n, e) => n + e.messages.length, 0)).toBeLessThanOrEqual(3);
    const flat = requests.flatMap((r) => r.flatMap((e) => e.messages.map((m) => `${e.topic}:${String(m.key)}`)));
    expect(flat).toEqual([...messages.slice(0, 6).map((m) => `a:${m.key}`), ...messages.slice(6).map((m) => `b:${m.key}`)]);
  });
});
