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
        const { startProcessMetrics } = await import('../../../core/metrics/index.ts');
        await startProcessMetrics({ host: config.metrics.host, port: config.metrics.port, logger, shutdown });
        // The platform: stream stages (exactly-once, LMDB state) with their ClickHouse sinks, data-quality checks
        // on an interval, and the alert service — one process, one shutdown.
        const { startPipeline } = await import('../../platform/pipeline.ts');
        const stateDir = `${config.stack.stateDir}/workers/start`;
        if (!Number.isInteger(opts.workers) || opts.workers < 0) throw new Error(`--workers must be ≥ 0, got ${opts.workers}`);
        if (opts.workers === 0) {
          await startPipeline(common, { sinks: true, idleAdvance: true, stateDir });
        } else {
          // Stages in child processes (parallel on several cores, isolated); the sinks stay here. The children share
          // the stages' partitions through the consumer groups and stop when this process goes away.
          await startPipeline(common, { stages: [], sinks: true, stateDir });
          const { ProcessSupervisor } = await import('../../platform/supervisor.ts');
          const supervisor = new ProcessSupervisor({ logger });
          for (let i = 1; i <= opts.workers; i++) {
            const metricsPort = config.metrics.workerPort === 0 ? 0 : config.metrics.workerPort + i - 1;
            supervisor.start({
              name: `worker-${i}`,
              args: ['worker', '--idle-advance', '--state-dir', `${stateDir}-${i}`, '--metrics-port', String(metricsPort)],
            });
          }
          shutdown.add('stream workers', () => supervisor.stop());
        }
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
          if (devnet) await devnet.start(common, { serdes });
          // Supervised: an RPC or Kafka outage longer than the source's own retries restarts it (from its checkpoint).
          const { superviseBlockSource } = await import('../../../processors/sources/index.ts');
          const source = superviseBlockSource(
            common,
            { serdes, chain: chain.name },
            { signal: shutdown.signal, ...(devnet ? { from: 0 } : {}) },
          );
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

        // Alerts need a sink: without one the platform still runs (anomalies reach the tables and the gateway).
        if (config.alerts.slackWebhookUrl === undefined) {
          logger.warn({ msg: 'alert service not started: alerts.slackWebhookUrl is not set (ORACUL_ALERTS_SLACK_WEBHOOK_URL)' });
        } else {
          const alerts = await startAlertService({ config, logger, serdes });
          shutdown.add('alert service', () => alerts.stop());
        }
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
        // The gateway last: closers run in reverse order, so it stops first (no request reaches a closed client).
        let graphqlUrl: string | undefined;
        if (opts.gateway !== false) {
          const { startGateway } = await import('../../../gateway/index.ts');
          const gateway = await startGateway({
            config,
            logger,
            ...(opts.gatewayPort === undefined ? {} : { port: opts.gatewayPort }),
          });
          shutdown.add('gateway', () => gateway.close());
          logger.info({ msg: 'gateway started', url: gateway.url, healthz: `${gateway.origin}/healthz` });
          graphqlUrl = gateway.url;
        }
        if (devnet) devnet.logWhatToOpen({ graphqlUrl });
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
