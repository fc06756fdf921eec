/**
 * The composition root of `oracul start`: everything one process runs after the bootstrap, in start order — stream
 * stages (scripts/platform/pipeline.ts, here or in supervised `oracul worker` children), ingestion (raw sinks, block
 * source, price poller), alerts, the data-quality loop and the gateway. Each step registers its own closer;
 * closers run in reverse order, so the gateway (started last) stops first.
 */
import type { Common } from '../../core/common.ts';
import type { Serdes } from '../../schemas/serde.ts';
import type { DevnetSession } from './devnet/index.ts';

export interface PlatformOptions {
  /** Stream stages in this many `oracul worker` children; 0 = in this process. */
  readonly workers: number;
  readonly prices: boolean;
  readonly gateway: boolean;
  readonly gatewayPort?: number;
  readonly devnet?: DevnetSession;
}

export async function startPlatform(common: Common, options: PlatformOptions): Promise<void> {
  const { config, logger, shutdown } = common;
  const { startProcessMetrics } = await import('../../core/metrics/index.ts');
  await startProcessMetrics({ host: config.metrics.host, port: config.metrics.port, logger, shutdown });
  await startStreamStages(common, options.workers);
  const { createSchemaRegistrySerdes } = await import('../../schemas/index.ts');
  const serdes = createSchemaRegistrySerdes({ config });
  await startIngestion(common, serdes, options);
  await startAlerts(common, serdes);
  await startDataQualityLoop(common, serdes);
  const graphqlUrl = options.gateway ? await startGatewayStep(common, options.gatewayPort) : undefined;
  options.devnet?.logWhatToOpen({ graphqlUrl });
}

/** Stream stages with their ClickHouse sinks: in this process, or in supervised children (the sinks stay here). */
async function startStreamStages(common: Common, workers: number): Promise<void> {
  const { config, logger, shutdown } = common;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers must be ≥ 0, got ${workers}`);
  const { startPipeline } = await import('./pipeline.ts');
  const stateDir = `${config.stack.stateDir}/workers/start`;
  if (workers === 0) {
    await startPipeline(common, { sinks: true, idleAdvance: true, stateDir });
    return;
  }
  // Children share the stages' partitions through the consumer groups and stop when this process goes away.
  await startPipeline(common, { stages: [], sinks: true, stateDir });
  const { ProcessSupervisor } = await import('./worker-supervisor.ts');
  const supervisor = new ProcessSupervisor({ logger });
  for (let i = 1; i <= workers; i++) {
    const metricsPort = config.metrics.workerPort === 0 ? 0 : config.metrics.workerPort + i - 1;
    supervisor.start({
      name: `worker-${i}`,
      args: ['worker', '--idle-advance', '--state-dir', `${stateDir}-${i}`, '--metrics-port', String(metricsPort)],
    });
  }
  shutdown.add('stream workers', () => supervisor.stop());
}

/**
 * Raw sinks always; the block source when an RPC endpoint is configured (supervised: an outage longer than its own
 * retries restarts it from its checkpoint); the price poller unless disabled (it marks gaps, never invents prices).
 */
async function startIngestion(common: Common, serdes: Serdes, options: PlatformOptions): Promise<void> {
  const { config, logger, shutdown } = common;
  const { createRawChainSinks } = await import('../../processors/sinks/index.ts');
  const batch = { maxRows: config.ingest.sinkMaxRows, maxWaitMs: config.ingest.sinkMaxWaitMs };
  for (const sink of createRawChainSinks(common, { serdes, batch })) {
    await sink.start();
    shutdown.add(`sink ${sink.table}`, () => sink.stop());
  }
  const chain = config.chains[0];
  if (chain !== undefined && chain.rpcUrls.length > 0) {
    if (options.devnet) await options.devnet.start(common, { serdes });
    const { superviseBlockSource } = await import('../../processors/sources/index.ts');
    const from = options.devnet ? { from: 0 } : {};
    const source = superviseBlockSource(common, { serdes, chain: chain.name }, { signal: shutdown.signal, ...from });
    runInBackground(common, 'block source', source);
  } else {
    logger.warn({ msg: 'no RPC endpoint configured: chain ingestion not started (set ORACUL_RPC_URL or chains[].rpcUrls)' });
  }
  if (options.prices) {
    const { runPricePoller } = await import('../../processors/prices/index.ts');
    runInBackground(common, 'price poller', runPricePoller(common, { serdes }));
  }
}

/** A long-running task: its failure is logged, and shutdown waits for it to end. */
function runInBackground(common: Common, name: string, task: Promise<unknown>): void {
  task.catch((err: unknown) => common.logger.error({ msg: `${name} stopped`, err }));
  common.shutdown.add(name, async () => void (await task.catch(() => undefined)));
}

/** Alerts need a sink: without a webhook the platform still runs (anomalies reach the tables and the gateway). */
async function startAlerts(common: Common, serdes: Serdes): Promise<void> {
  const { config, logger, shutdown } = common;
  if (config.alerts.slackWebhookUrl === undefined) {
    logger.warn({ msg: 'alert service not started: alerts.slackWebhookUrl is not set (ORACUL_ALERTS_SLACK_WEBHOOK_URL)' });
    return;
  }
  const { startAlertService } = await import('../../processors/alerts/service.ts');
  const alerts = await startAlertService({ config, logger, serdes });
  shutdown.add('alert service', () => alerts.stop());
}

async function startDataQualityLoop(common: Common, serdes: Serdes): Promise<void> {
  const { config, logger, shutdown } = common;
  const [{ runDqLoop }, { createWarehouseClient }, { createKafka }] = await Promise.all([
    import('../../processors/dq/service.ts'),
    import('../../dwh/client.ts'),
    import('../../core/kafka/client.ts'),
  ]);
  const client = createWarehouseClient({ config });
  const producer = createKafka({ config, logger, clientSuffix: 'dq' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const loop = runDqLoop({ config, client, producer, serdes, logger, signal: shutdown.signal });
  shutdown.add('data-quality loop', async () => {
    await loop;
    await producer.disconnect();
    await client.close();
  });
}

/** The gateway, started last so that it stops first (no request reaches a closed client). Returns its URL. */
async function startGatewayStep(common: Common, port: number | undefined): Promise<string> {
  const { config, logger, shutdown } = common;
  const { startGateway } = await import('../../gateway/index.ts');
  const gateway = await startGateway({ config, logger, ...(port === undefined ? {} : { port }) });
  shutdown.add('gateway', () => gateway.close());
  logger.info({ msg: 'gateway started', url: gateway.url, healthz: `${gateway.origin}/healthz` });
  return gateway.url;
}
