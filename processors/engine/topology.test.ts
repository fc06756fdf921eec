import { describe, expect, it } from 'vitest';
import type { Processor } from './processor.ts';
import type { AnyStageSpec } from './stage.ts';
import { buildTopology, describeTopology, formatTopology } from './topology.ts';
import { TopologyError } from './errors.ts';

/** A stage of a pass-through processor: the builder checks names and topics only, never runs the processor. */
function stage(name: string, input: string, outputs: string[], globals: string[] = [], processorName = name): AnyStageSpec {
  const processor: Processor<{ seen: number }, unknown, unknown> = {
    name: processorName,
    stores: { seen: { codec: { encode: (v) => v, decode: (v) => v as number }, doc: 'records seen' } },
    outputTopics: outputs,
    process: () => ({ stateChanges: [], outputs: [] }),
  };
  return {
    name,
    inputTopic: input,
    processor,
    toInputs: (value) => [value],
    toAvro: (o) => ({ topic: o.topic, key: o.key, value: o.value }),
    globals: globals.map((topic) => ({ topic, apply: () => undefined })),
  } as AnyStageSpec;
}

const decoder = stage('decoder', 'eth.logs.raw', ['erc20.transfers', 'erc20.rejects'], ['erc20.tokens']);
const reader = stage('reader', 'erc20.transfers', ['erc20.transfers.late']);

describe('buildTopology', () => {
  it('keeps a valid list in order and describes who feeds whom', () => {
    const topology = buildTopology([decoder, reader]);
    const description = describeTopology(topology, 'app');
    expect(description.map((s) => [s.name, s.inputFrom, s.consumerGroup, s.changelogTopic])).toEqual([
      ['decoder', [], 'app-decoder', 'app-decoder-changelog'],
      ['reader', ['decoder'], 'app-reader', 'app-reader-changelog'],
    ]);
    expect(formatTopology(description)).toContain('  input     erc20.transfers (from decoder)');
    expect(formatTopology(description)).toContain('  globals   erc20.tokens');
  });

  it.each([
    ['a malformed name', [stage('Decoder_1', 'eth.logs.raw', [])], /name must be lowercase words/],
    ['a name twice', [decoder, stage('decoder', 'erc20.transfers', [])], /declared twice/],
    ['a processor named otherwise', [stage('decoder', 'eth.logs.raw', [], [], 'other')], /processor is named other/],
    ['an undeclared topic', [stage('decoder', 'eth.logs.raw', ['nowhere'])], /topic nowhere is not declared/],
    ['its own input as output', [stage('loop', 'erc20.transfers', ['erc20.transfers'])], /writes its own input/],
    ['its input as a global', [stage('twice', 'erc20.tokens', [], ['erc20.tokens'])], /as input and as a global/],
    ['a reader before its writer', [reader, decoder], /reads erc20.transfers, written by decoder listed after it/],
  ])('refuses %s', (_what, stages, message) => {
    expect(() => buildTopology(stages)).toThrow(TopologyError);
    expect(() => buildTopology(stages)).toThrow(message);
  });
});
