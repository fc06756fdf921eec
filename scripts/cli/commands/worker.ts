import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, redactConfig } from '../../../config/index.ts';
import { REPO_ROOT } from '../../../config/load.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown, handleSignals } from '../../../core/shutdown.ts';

interface WorkerOptions {
  stage?: string[];
  stateDir?: string;
  appId: string;
  wipeState?: boolean;
  idleAdvance?: boolean;
  sinks?: boolean;
  grace?: string;
}

/**
 * `oracul worker`: one stream-processing worker process. Several can run at once (same or other machines):
 * they share each stage's partitions through Kafka consumer groups, and a task that moves restores its state from
 * the changelog. SIGINT/SIGTERM finishes the transaction in flight, then leaves the groups.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run stream processors (exactly-once, LMDB state with changelogs) as one member of their consumer groups')
    .option('--stage <name...>', 'stages to run (default: all): erc20-decoder, token-metrics-daily, address-flows-daily')
    .option('--state-dir <dir>', "this worker's LMDB directory (default: <stack.stateDir>/workers/<pid>)")
    .option('--app-id <id>', 'application id: consumer groups, transactional ids and changelog topics', 'oracul')
    .option('--wipe-state', 'start from an empty disk and restore every store from its changelog')
    .option('--idle-advance', 'live mode: idle, caught-up partitions advance event time from the wall clock')
    .option('--sinks', 'also run the ClickHouse sinks of the derived topics in this process')
    .option('--grace <ms>', 'window grace period in ms (default 3600000)')
    .action(async (opts: WorkerOptions) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, base: { scope: 'worker', pid: process.pid } });
      const shutdown = createShutdown(logger);
      handleSignals(shutdown);
      logger.info({ msg: 'effective config', config: redactConfig(config) });

      const [{ createKafka }, { createSchemaRegistrySerdes }, { oraculStages }, { startStreamWorker }] = await Promise.all([
        import('../../../core/kafka/client.ts'),
        import('../../../schemas/index.ts'),
        import('../../../processors/runtime/topology.ts'),
        import('../../../processors/runtime/streamWorker.ts'),
      ]);
      const windowing = {
        priceStalenessMs: config.prices.stalenessLimitS * 1000,
        ...(opts.grace === undefined ? {} : { graceMs: Number(opts.grace) }),
      };
      const all = oraculStages({ windowing });
      const wanted = opts.stage ?? all.map((s) => s.name);
      const unknown = wanted.filter((name) => !all.some((s) => s.name === name));
      if (unknown.length > 0)
        throw new Error(`unknown stage(s) ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
      const stateDir = resolve(REPO_ROOT, opts.stateDir ?? `${config.stack.stateDir}/workers/${process.pid}`);
      const kafka = createKafka({ config, logger, clientSuffix: 'worker' });
      const serdes = createSchemaRegistrySerdes({ config });

      for (const stage of all.filter((s) => wanted.includes(s.name))) {
        const worker = await startStreamWorker({
          kafka,
          logger,
          serdes,
          stage,
          appId: opts.appId,
          stateDir,
          topics: config.kafka.topics,
          wipeState: opts.wipeState,
          idleAdvance: opts.idleAdvance,
        });
        shutdown.add(`worker ${stage.name}`, () => worker.stop());
      }
      if (opts.sinks) {
        const { createDerivedSinks } = await import('../../../processors/sinks/derived-sinks.ts');
        const common = { config, logger, shutdown };
        for (const sink of createDerivedSinks(common, { serdes, kafka, groupPrefix: `${opts.appId}-sink` })) {
          await sink.start();
          shutdown.add(`sink ${sink.table}`, () => sink.stop());
        }
      }
      logger.info({ msg: 'worker running', stages: wanted, state_dir: stateDir, app_id: opts.appId });
      await new Promise<void>((done) => shutdown.signal.addEventListener('abort', () => done(), { once: true }));
    });
}
