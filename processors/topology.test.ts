import { describe, expect, it } from 'vitest';
import { createInMemorySerdes } from '../schemas/index.ts';
import type { TopicName } from '../schemas/topics.ts';
import { createTestDriver } from './engine/testDriver.ts';
import type { OutputRecord } from './engine/processor.ts';
import { chunkBySize } from './engine/streamTask.ts';
import { generateSyntheticStream } from './engine/testing/syntheticTransferStream.ts';
import { testConfig } from '../scripts/test/test-config.ts';
import { partitionOfKey } from '../schemas/topic-keys.ts';
import { addressFlowsStage } from './aggregates/address-flows-stage.ts';
import { erc20DecoderStage } from './erc20/erc20-decoder-stage.ts';
import { hopPartitionsOf, oraculStages } from './topology.ts';
import { tokenMetricsStage } from './aggregates/token-metrics-stage.ts';
import type { AnyStageSpec } from './engine/stage.ts';

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
    // The stage's global table, filled as the worker's feed fills it; its processor reads the same table.
    for (const g of globals) stage.globals?.[0]?.apply(g);
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
    const transfers = decoded.filter((r) => r.topic === 'erc20.transfers');
    const byToken = decoded.filter((r) => r.topic === 'erc20.transfer-batches.by-token');
    const byAddress = decoded.filter((r) => r.topic === 'erc20.transfer-batches.by-address');
    expect(transfers.length).toBeGreaterThan(500);
    // One batch per block part and partition: fewer records than transfers on both hops.
    expect(byToken.length).toBeLessThan(transfers.length);
    expect(byAddress.length).toBeGreaterThan(byToken.length);
    const tokens = await run(tokenMetricsStage(), byToken, stream.prices);
    expect(tokens.some((r) => r.topic === 'token.metrics.daily' && (r.value as { is_final: boolean }).is_final)).toBe(true);
    expect(tokens.some((r) => r.topic === 'erc20.transfers.late')).toBe(true);
    const flows = await run(addressFlowsStage(), byAddress, stream.prices);
    expect(flows.some((r) => r.topic === 'address.flows.daily')).toBe(true);
  });
});

describe('internal hop partitions', () => {
  it('the decoder of oraculStages groups batch rows by the partition counts the config declares', () => {
    const config = testConfig();
    const topics = config.kafka.topics.map((t) => (t.name.startsWith('erc20.transfer-batches.') ? { ...t, partitions: 3 } : t));
    expect(hopPartitionsOf(topics)).toEqual({ byToken: 3, byAddress: 3 });
    const [decoder] = oraculStages({ config: { ...config, kafka: { ...config.kafka, topics } } });
    const stream = generateSyntheticStream({ seed: 2, days: 1, blocksPerDay: 24, transfersPerBlock: 8, addresses: 50 });
    const driver = createTestDriver(decoder!.processor);
    for (const token of stream.tokens) driver.pipe({ kind: 'token', token });
    for (const batch of stream.logBatches) driver.pipe({ kind: 'logs', batch });
    const batches = driver.outputs('erc20.transfer-batches.by-token');
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      const { token_address, chain_id } = b.value as { token_address: string[]; chain_id: number };
      for (const token of token_address) expect(partitionOfKey(`${chain_id}:${token}`, 3)).toBe(partitionOfKey(b.key!, 3));
    }
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
