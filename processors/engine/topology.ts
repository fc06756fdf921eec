import { isTopicName } from '../../schemas/topics.ts';
import { changelogTopicName } from '../../state/changelog.ts';
import { TopologyError } from './errors.ts';
import type { AnyStageSpec } from './stage.ts';
import { consumerGroupOf } from './streamWorker.ts';

/**
 * A validated list of stages (cf. Kafka Streams' `Topology`): {@link buildTopology} checks at build time what the
 * runtime would otherwise find out mid-run or never (a stage name that makes a bad consumer group or changelog topic,
 * two stages sharing one, a topic no schema declares, a stage listed before the stage it reads from), and
 * {@link describeTopology} prints it (`oracul topology`).
 */
export interface Topology {
  /** In dependency order: a stage comes after every stage that writes its input topic. */
  readonly stages: readonly AnyStageSpec[];
}

/** One stage as `oracul topology` prints it. */
export interface StageDescription {
  readonly name: string;
  readonly consumerGroup: string;
  readonly changelogTopic: string;
  readonly input: string;
  /** Stages that write the input topic; empty for a source topic (written outside the stream layer). */
  readonly inputFrom: readonly string[];
  readonly globals: readonly string[];
  readonly outputs: readonly string[];
  readonly stores: readonly string[];
}

/** Stage names become consumer group and changelog topic infixes: lowercase words joined by hyphens. */
const STAGE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function buildTopology(stages: readonly AnyStageSpec[]): Topology {
  const seen = new Set<string>();
  stages.forEach((stage, index) => {
    if (!STAGE_NAME.test(stage.name)) throw new TopologyError(stage.name, 'name must be lowercase words joined by hyphens');
    if (seen.has(stage.name)) throw new TopologyError(stage.name, 'declared twice');
    seen.add(stage.name);
    if (stage.processor.name !== stage.name)
      throw new TopologyError(stage.name, `processor is named ${stage.processor.name}; a stage and its processor share one name`);
    checkTopics(stage);
    const later = stages.slice(index + 1).find((s) => outputsOf(s).includes(stage.inputTopic));
    if (later !== undefined)
      throw new TopologyError(stage.name, `reads ${stage.inputTopic}, written by ${later.name} listed after it`);
  });
  return { stages: [...stages] };
}

function checkTopics(stage: AnyStageSpec): void {
  const topics = [stage.inputTopic, ...globalsOf(stage), ...outputsOf(stage)];
  for (const topic of topics)
    if (!isTopicName(topic)) throw new TopologyError(stage.name, `topic ${topic} is not declared in schemas/topics.ts`);
  if (globalsOf(stage).includes(stage.inputTopic))
    throw new TopologyError(stage.name, `reads ${stage.inputTopic} as input and as a global table`);
  if (outputsOf(stage).includes(stage.inputTopic))
    throw new TopologyError(stage.name, `writes its own input ${stage.inputTopic}`);
}

const globalsOf = (stage: AnyStageSpec): string[] => (stage.globals ?? []).map((g) => g.topic);
const outputsOf = (stage: AnyStageSpec): readonly string[] => stage.processor.outputTopics;

export function describeTopology(topology: Topology, appId: string): StageDescription[] {
  return topology.stages.map((stage) => ({
    name: stage.name,
    consumerGroup: consumerGroupOf(appId, stage.name),
    changelogTopic: changelogTopicName(appId, stage.name),
    input: stage.inputTopic,
    inputFrom: topology.stages.filter((s) => outputsOf(s).includes(stage.inputTopic)).map((s) => s.name),
    globals: globalsOf(stage),
    outputs: [...outputsOf(stage)],
    stores: Object.keys(stage.processor.stores),
  }));
}

/** The description as text, one block per stage (what `oracul topology` prints). */
export function formatTopology(stages: readonly StageDescription[]): string {
  const lines: string[] = [];
  for (const s of stages) {
    lines.push(`stage ${s.name}`);
    lines.push(`  input     ${s.input} ${s.inputFrom.length === 0 ? '(source)' : `(from ${s.inputFrom.join(', ')})`}`);
    if (s.globals.length > 0) lines.push(`  globals   ${s.globals.join(', ')}`);
    lines.push(`  outputs   ${s.outputs.join(', ')}`);
    lines.push(`  stores    ${s.stores.join(', ')}`);
    lines.push(`  group     ${s.consumerGroup}`);
    lines.push(`  changelog ${s.changelogTopic}`);
  }
  return lines.join('\n');
}
