/**
 * The composition root of the stream side: the only place that turns configuration into running stages (Kafka
 * clients, serdes, the stages of processors/topology.ts under stream workers, derived-topic sinks,
 * heartbeats) and registers their shutdown in order. `oracul worker` runs it alone; `oracul start` runs it beside
 * the sources, raw sinks, DQ, alerts and the gateway (scripts/cli/commands/start.ts). Nothing under processors/
 * starts itself.
 */
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../config/load.ts';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createDerivedSinks } from '../../processors/sinks/derived-sinks.ts';
import { createPricesSink } from '../../processors/sinks/raw-sinks.ts';
import { createDeadLettersSink } from '../../processors/sinks/dead-letters-sink.ts';
import type { ClickHouseSink } from '../../processors/sinks/clickhouse-sink.ts';
import { startHeartbeat } from '../../processors/engine/status/heartbeat.ts';
import { startStreamWorker, type StreamWorker } from '../../processors/engine/streamWorker.ts';
import { oraculStages } from '../../processors/topology.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';

export interface StartPipelineOptions {
  /** Stages to run (default all). */
  readonly stages?: readonly string[];
  readonly appId?: string;
  /** LMDB directory of this process's tasks. */
  readonly stateDir?: string;
  readonly wipeState?: boolean;
  readonly idleAdvance?: boolean;
  /** Also run the ClickHouse sinks of the derived topics and prices. */
  readonly sinks?: boolean;
  readonly graceMs?: number;
}

/**
 * Starts the stream stages (and optionally the derived-topic sinks) in this process and registers their
 * shutdown (in-flight batch committed or aborted, groups left). Used by `oracul worker` and `oracul start`.
 */
export async function startPipeline(common: Common, options: StartPipelineOptions = {}): Promise<StreamWorker[]> {
  const { config, logger, shutdown } = common;
  const appId = options.appId ?? 'oracul';
  const windowing = {
    priceStalenessMs: config.prices.stalenessLimitS * 1000,
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
  };
  const all = oraculStages({ windowing, config });
  const wanted = options.stages ?? all.map((s) => s.name);
  const unknown = wanted.filter((name) => !all.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown stage(s) ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  const stateDir = resolve(REPO_ROOT, options.stateDir ?? `${config.stack.stateDir}/workers/${process.pid}`);
  const kafka = createKafka({ config, logger, clientSuffix: 'worker' });
  const serdes = createSchemaRegistrySerdes({ config });

  const workers: StreamWorker[] = [];
  for (const stage of all.filter((s) => wanted.includes(s.name))) {
    const worker = await startStreamWorker({
      kafka,
      logger,
      serdes,
      stage,
      appId,
      stateDir,
      topics: config.kafka.topics,
      wipeState: options.wipeState,
      idleAdvance: options.idleAdvance,
      commitIntervalMs: config.stream.commitIntervalMs,
    });
    shutdown.add(`worker ${stage.name}`, () => worker.stop());
    workers.push(worker);
  }
  const sinks: ClickHouseSink[] = [];
  if (options.sinks === true) {
    sinks.push(
      ...createDerivedSinks(common, { serdes, kafka, groupPrefix: `${appId}-sink` }),
      createPricesSink(common, { serdes, kafka, groupPrefix: `${appId}-sink` }),
      createDeadLettersSink(common, { serdes, kafka, groupId: `${appId}-sink-dead_letters` }),
    );
    for (const sink of sinks) {
      await sink.start();
      shutdown.add(`sink ${sink.table}`, () => sink.stop());
    }
  }
  // Heartbeats for `oracul status` (registered last: stops first, publishing a final `stopped` record).
  const heartbeat = await startHeartbeat({
    kafka,
    logger,
    appId,
    workers,
    sinks,
    replicationFactor: config.kafka.replicationFactor ?? config.kafka.topics[0]?.replicationFactor ?? 1,
  });
  shutdown.add('heartbeat', () => heartbeat.stop());
  logger.info({
    msg: 'stream pipeline running',
    stages: wanted,
    state_dir: stateDir,
    app_id: appId,
    sinks: options.sinks === true,
  });
  return workers;
}
