import type { Command } from 'commander';
import { loadConfig, redactConfig } from '../../../config/index.ts';
import type { Common } from '../../../core/common.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown, handleSignals } from '../../../core/shutdown.ts';

interface StartOptions {
  once?: boolean;
  prices?: boolean;
  gateway?: boolean;
  gatewayPort?: number;
  devnet?: boolean;
  workers: number;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Bring up the local stack (when enabled), migrate, register schemas, ensure topics, and run until SIGINT/SIGTERM',
    )
    .option('--once', 'exit after bootstrapping, leaving the stack running (for scripts and CI)')
    .option('--no-prices', 'do not poll spot prices (no price API reachable)')
    .option('--no-gateway', 'do not serve the GraphQL gateway (run `oracul gateway` elsewhere)')
    .option('--gateway-port <port>', 'override gateway.port (0 = any free port)', (value) => Number.parseInt(value, 10))
    .option('--no-devnet', 'with no RPC endpoint configured, do not run the local devnet (ingest nothing)')
    .option(
      '--workers <n>',
      'run the stream stages in n supervised `oracul worker` child processes (restarted if they die); 0 = in this process',
      (value) => Number.parseInt(value, 10),
      0,
    )
    .action(async (opts: StartOptions) => {
      let config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const shutdown = createShutdown(logger);
      handleSignals(shutdown);
      // No RPC endpoint: the same platform on a local devnet with a traffic generator (scripts/platform/devnet/).
      const devnet =
        opts.devnet !== false && !opts.once && (config.chains[0]?.rpcUrls.length ?? 0) === 0
          ? await (await import('../../platform/devnet/index.ts')).prepareDevnet({ config, logger })
          : undefined;
      if (devnet) {
        config = devnet.config;
        shutdown.add('devnet', () => devnet.stop());
      }
      const common: Common = { config, logger, shutdown };
      logger.info({ msg: 'effective config', config: redactConfig(config) });

      const { bootstrapPlatform } = await import('../../platform/bootstrap.ts');
      const result = await bootstrapPlatform(common);
      logger.info({
        msg: 'oracul is up',
        kafka: config.kafka.brokers,
        schema_registry: redactConfig(config.kafka.schemaRegistryUrl),
        clickhouse: redactConfig(config.clickhouse.url),
        migrations_applied: result.migrations.applied.length,
        topics_created: result.topics.created.length,
      });
      if (opts.once) return;

      // A signal during start-up stops what has started so far; the start-up itself then just ends.
      try {
        const { startPlatform } = await import('../../platform/start-platform.ts');
        await startPlatform(common, {
          workers: opts.workers,
          prices: opts.prices !== false,
          gateway: opts.gateway !== false,
          ...(opts.gatewayPort === undefined ? {} : { gatewayPort: opts.gatewayPort }),
          ...(devnet ? { devnet } : {}),
        });
      } catch (error) {
        if (!shutdown.signal.aborted) throw error;
        logger.info({ msg: 'start-up interrupted by shutdown', err: error });
        return;
      }
      // Stay up until a signal: handleSignals runs the shutdown (stops what we started) and exits. The health timer
      // is also what keeps the process alive (a pending promise alone does not).
      await watchStackHealth(common);
    });
}

/** Logs unhealthy stack components every 30 s until shutdown. */
async function watchStackHealth(common: Common): Promise<void> {
  const { logger, shutdown } = common;
  const { stackStatus } = await import('../../../infra/stack/index.ts');
  const healthTimer = setInterval(() => {
    void stackStatus(common).then(
      (rows) => {
        const unhealthy = rows.filter((r) => r.health !== 'healthy' && r.health !== 'unavailable');
        if (unhealthy.length > 0) logger.warn({ msg: 'stack component unhealthy', components: unhealthy });
        else logger.debug({ msg: 'stack healthy', components: rows.map((r) => r.component) });
      },
      (error: unknown) => logger.error({ msg: 'stack health check failed', err: error }),
    );
  }, 30_000);
  shutdown.add('health timer', () => clearInterval(healthTimer));
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
}
