import type { Command } from 'commander';
import { loadConfig, redactConfig } from '../../../config/index.ts';
import type { Common } from '../../../core/common.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown, handleSignals } from '../../../core/shutdown.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Bring up the local stack (when enabled), migrate, register schemas, ensure topics, and run until SIGINT/SIGTERM',
    )
    .option('--once', 'exit after bootstrapping, leaving the stack running (for scripts and CI)')
    .option('--no-prices', 'do not poll spot prices (no price API reachable)')
    .action(async (opts: { once?: boolean; prices?: boolean }) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const shutdown = createShutdown(logger);
      handleSignals(shutdown);
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
        // The platform: stream stages (exactly-once, LMDB state) with their ClickHouse sinks, data-quality checks
        // on an interval, and the alert service — one process, one shutdown.
        const { startPipeline } = await import('../../platform/pipeline.ts');
        await startPipeline(common, { sinks: true, idleAdvance: true, stateDir: `${config.stack.stateDir}/workers/start` });
        const [{ startAlertService }, { runDqLoop }, { createSchemaRegistrySerdes }, { createWarehouseClient }, { createKafka }] =
          await Promise.all([
            import('../../../processors/alerts/service.ts'),
            import('../../../processors/dq/service.ts'),
            import('../../../schemas/index.ts'),
            import('../../../dwh/client.ts'),
            import('../../../core/kafka/client.ts'),
          ]);
        const serdes = createSchemaRegistrySerdes({ config });

        // Ingestion: raw sinks always; the block source when an RPC endpoint is configured; the price poller unless
        // disabled (it marks gaps, never invents prices, when the API is unreachable).
        const { createRawChainSinks } = await import('../../../processors/sinks/index.ts');
        const batch = { maxRows: config.ingest.sinkMaxRows, maxWaitMs: config.ingest.sinkMaxWaitMs };
        for (const sink of createRawChainSinks(common, { serdes, batch })) {
          await sink.start();
          shutdown.add(`sink ${sink.table}`, () => sink.stop());
        }
        const chain = config.chains[0];
        if (chain !== undefined && chain.rpcUrls.length > 0) {
          const { runBlockSource } = await import('../../../processors/sources/index.ts');
          const source = runBlockSource(common, { serdes, chain: chain.name }, { signal: shutdown.signal });
          source.catch((err: unknown) => logger.error({ msg: 'block source stopped', err }));
          shutdown.add('block source', async () => void (await source.catch(() => undefined)));
        } else {
          logger.warn({
            msg: 'no RPC endpoint configured: chain ingestion not started (set ORACUL_RPC_URL or chains[].rpcUrls)',
          });
        }
        if (opts.prices !== false) {
          const { runPricePoller } = await import('../../../processors/prices/index.ts');
          const poller = runPricePoller(common, { serdes });
          poller.catch((err: unknown) => logger.error({ msg: 'price poller stopped', err }));
          shutdown.add('price poller', async () => void (await poller.catch(() => undefined)));
        }

        const alerts = await startAlertService({ config, logger, serdes });
        shutdown.add('alert service', () => alerts.stop());
        const dqClient = createWarehouseClient({ config });
        const dqProducer = createKafka({ config, logger, clientSuffix: 'dq' }).producer({
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await dqProducer.connect();
        const dqLoop = runDqLoop({ config, client: dqClient, producer: dqProducer, serdes, logger, signal: shutdown.signal });
        shutdown.add('data-quality loop', async () => {
          await dqLoop;
          await dqProducer.disconnect();
          await dqClient.close();
        });
        // Stay up until a signal: handleSignals runs the shutdown (stops what we started) and exits.
        // The health timer is also what keeps the process alive (a pending promise alone does not).
      } catch (error) {
        if (!shutdown.signal.aborted) throw error;
        logger.info({ msg: 'start-up interrupted by shutdown', err: error });
        return;
      }
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
    });
}
