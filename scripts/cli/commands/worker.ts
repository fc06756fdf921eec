import type { Command } from 'commander';
import { loadConfig, redactConfig } from '../../../config/index.ts';
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
  metricsPort?: number;
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
    .option(
      '--stage <name...>',
      'stages to run (default: all): erc20-decoder, token-metrics-daily, address-flows-daily, token-anomalies, address-anomalies',
    )
    .option('--state-dir <dir>', "this worker's LMDB directory (default: <stack.stateDir>/workers/<pid>)")
    .option('--app-id <id>', 'application id: consumer groups, transactional ids and changelog topics', 'oracul')
    .option('--wipe-state', 'start from an empty disk and restore every store from its changelog')
    .option('--idle-advance', 'live mode: idle, caught-up partitions advance event time from the wall clock')
    .option('--sinks', 'also run the ClickHouse sinks of the derived topics in this process')
    .option('--grace <ms>', 'window grace period in ms (default 3600000)')
    .option('--metrics-port <port>', 'override metrics.workerPort (/metrics; 0 = off)', (value) => Number.parseInt(value, 10))
    .action(async (opts: WorkerOptions) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, base: { scope: 'worker', pid: process.pid } });
      const shutdown = createShutdown(logger);
      handleSignals(shutdown);
      // Under `oracul start`'s supervisor: stop (commit or abort the batch in flight) if the supervisor goes away.
      const { stopWhenParentExits } = await import('../../platform/worker-supervisor.ts');
      stopWhenParentExits(() => void shutdown.run('supervisor exited').then(() => process.exit(0)));
      logger.info({ msg: 'effective config', config: redactConfig(config) });

      const { startProcessMetrics } = await import('../../../core/metrics/index.ts');
      const metricsPort = opts.metricsPort ?? config.metrics.workerPort;
      await startProcessMetrics({ host: config.metrics.host, port: metricsPort, logger, shutdown });
      const { startPipeline } = await import('../../platform/pipeline.ts');
      await startPipeline(
        { config, logger, shutdown },
        {
          stages: opts.stage,
          appId: opts.appId,
          stateDir: opts.stateDir,
          wipeState: opts.wipeState,
          idleAdvance: opts.idleAdvance,
          sinks: opts.sinks,
          ...(opts.grace === undefined ? {} : { graceMs: Number(opts.grace) }),
        },
      );
      await new Promise<void>((done) => shutdown.signal.addEventListener('abort', () => done(), { once: true }));
    });
}
