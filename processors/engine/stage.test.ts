import { describe, expect, it } from 'vitest';
import { testConfig } from '../../scripts/test/test-config.ts';
import { kafkaTopicOf } from './stage.ts';
import { oraculStages } from '../topology.ts';

/** The topic names a stage's Kafka calls use: the topic names themselves unless a test gives its own topics. */
describe('kafkaTopicOf', () => {
  const config = testConfig();

  it('maps every topic to itself in the production topology', () => {
    for (const stage of oraculStages({ config })) {
      expect(stage.kafkaTopics).toBeUndefined();
      expect(kafkaTopicOf(stage, stage.inputTopic)).toBe(stage.inputTopic);
      for (const global of stage.globals ?? []) expect(kafkaTopicOf(stage, global.topic)).toBe(global.topic);
    }
  });

  it('gives every stage the topics a test injects, and the topic name for the others', () => {
    const kafkaTopics = {
      'erc20.transfer-batches.by-token': 'it-1.erc20.transfer-batches.by-token',
      'market.prices.raw': 'it-1.market.prices.raw',
    } as const;
    const stages = oraculStages({ config, kafkaTopics });
    expect(stages.map((s) => [s.name, kafkaTopicOf(s, s.inputTopic)])).toEqual([
      ['erc20-decoder', 'eth.logs.raw'],
      ['token-metrics-daily', 'it-1.erc20.transfer-batches.by-token'],
      ['address-flows-daily', 'erc20.transfer-batches.by-address'],
      ['token-anomalies', 'token.metrics.daily'],
      ['address-anomalies', 'address.flows.daily'],
    ]);
    for (const stage of stages) {
      for (const global of stage.globals ?? [])
        expect(kafkaTopicOf(stage, global.topic)).toBe(
          global.topic === 'market.prices.raw' ? 'it-1.market.prices.raw' : global.topic,
        );
    }
  });
});
