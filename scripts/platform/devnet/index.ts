/**
 * `oracul start` with no RPC endpoint: the same platform on a local devnet.
 *
 * {@link prepareDevnet} (before the bootstrap) picks the devnet's stack state dir, starts the CoinGecko-compatible
 * price server and returns the config the platform runs with: chain `devnet` (chainId 31337, confirmations 0, the
 * node's URL), the devnet tokens in `config.tokens` (price ids), prices from the local server, the gateway on 31337.
 * {@link DevnetSession.start} (after the bootstrap) starts the Hardhat node, deploys the tokens, publishes their
 * metadata (dUSDC, dWBTC, dWETH as curated seed rows; dMKR and dOLD read from the contracts over RPC with
 * fetchTokenMetadata: bytes32 symbol and legacy token), backfills the prices of the warped range, and runs the
 * traffic generator (./traffic.ts) in the background. Stopping the session stops the generator, then the node and
 * the price server.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPublicClient, http, type Hex } from 'viem';
import { REPO_ROOT } from '../../../config/load.ts';
import type { OraculConfig } from '../../../config/schema.ts';
import type { Common } from '../../../core/common.ts';
import { componentLogger, type Logger } from '../../../core/logger.ts';
import { isoDay } from '../../../core/time.ts';
import type { Serdes } from '../../../schemas/index.ts';
import { compileContracts } from './compile.ts';
import { devKeyRefusal, devKeyUsage, withDevKey, type DevKey } from './dev-key.ts';
import { DevnetStaleStateError } from './errors.ts';
import { freePort, startDevnet, type Devnet } from './node.ts';
import { startDevnetPriceServer, type DevnetPriceServer } from './price-server.ts';
import { DEVNET_CHAIN_ID, DEVNET_CHAIN_NAME, devnetTokens, type DeployedDevnetToken } from './tokens.ts';
import { DEFAULT_DAYS, planHistory, runDevnetTraffic, type DevnetTrafficSummary, type TrafficPlan } from './traffic.ts';

export { DEVNET_CHAIN_ID, DEVNET_CHAIN_NAME, devnetTokens } from './tokens.ts';

/** The stack state dir of devnet runs when the configured one is the default (a devnet is ephemeral: wiped per start). */
export const DEVNET_STATE_DIR = '.infra/devnet-state';
const DEFAULT_STATE_DIR = '.infra/state';
const MARKER = 'devnet-run.json';

export interface PrepareDevnetParameters {
  readonly config: OraculConfig;
  readonly logger: Logger;
  /** Days of warped history (default 21, at least 18). */
  readonly days?: number;
  readonly seed?: number;
  readonly liveIntervalMs?: number;
}

export interface DevnetSession {
  /** The config to run the platform with. */
  readonly config: OraculConfig;
  readonly tokens: readonly DeployedDevnetToken[];
  readonly plan: TrafficPlan;
  readonly rpcUrl: string;
  readonly priceServer: DevnetPriceServer;
  readonly summary: DevnetTrafficSummary;
  /** The run's development API key (role read), or undefined when refused (production profile, non-loopback gateway). */
  readonly devKey: DevKey | undefined;
  /** After the bootstrap: node, deploy, token metadata, price backfill, generator (in the background). */
  start(common: Common, params: { serdes: Serdes }): Promise<void>;
  /** Stops the generator (via the shutdown signal), then the node and the price server. */
  stop(): Promise<void>;
  /** Logs where to look and what to expect (README: "First run (no endpoint): the devnet"). */
  /** `graphqlUrl`: the running gateway's endpoint (its actual port), undefined with --no-gateway. */
  logWhatToOpen(params: { graphqlUrl: string | undefined }): void;
}

/**
 * Before the bootstrap: state dir, price server, config. With the default state dir the devnet runs on its own
 * (`.infra/devnet-state`), wiped at every start after stopping a stack left running there: the devnet chain is new on
 * every start, so data of an earlier one must not stay. A custom state dir is never wiped; one that holds an earlier
 * devnet run is refused (ORACUL_DEVNET_STALE_STATE).
 */
export async function prepareDevnet(params: PrepareDevnetParameters): Promise<DevnetSession> {
  const logger = componentLogger(params.logger, 'devnet');
  const stateDir = await prepareStateDir(params.config, logger);
  const tokens = devnetTokens();
  const plan = planHistory({ tokens, seed: params.seed, days: params.days ?? DEFAULT_DAYS, nowMs: Date.now() });
  const priceServer = await startDevnetPriceServer({ tokens });
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}/`;
  let config = devnetConfig(params.config, { stateDir, tokens, rpcUrl, pricesUrl: priceServer.url });
  const refusal = devKeyRefusal(config);
  let devKey: DevKey | undefined;
  if (refusal === null) ({ config, devKey } = withDevKey(config));
  else logger.warn({ msg: 'devnet: no development API key', reason: refusal });
  logger.info({
    msg: 'no RPC endpoint configured: running on a local devnet (pass --no-devnet to skip)',
    chain_id: DEVNET_CHAIN_ID,
    rpc: rpcUrl,
    prices: priceServer.url,
    history_days: plan.days,
    launch_day: isoDay(plan.launchDayMs),
    history_blocks: plan.blocks.length,
    planted_anomalies: plan.anomalies,
  });
  const nodeStarted = performance.now();
  const ready = startNodeAndContracts(port, plan, config);
  const liveIntervalMs = params.liveIntervalMs;
  return createSession({ config, tokens, plan, rpcUrl, priceServer, devKey, ready, nodeStarted, logger, liveIntervalMs });
}

/** The devnet's stack state dir, emptied (default dir) or checked for an earlier devnet run (custom dir), and marked. */
async function prepareStateDir(configured: OraculConfig, logger: Logger): Promise<string> {
  const wipe = configured.stack.stateDir === DEFAULT_STATE_DIR;
  const stateDir = wipe ? DEVNET_STATE_DIR : configured.stack.stateDir;
  const absState = resolve(REPO_ROOT, stateDir);
  if (wipe) {
    const { stackDown } = await import('../../../infra/stack/index.ts');
    const { createShutdown } = await import('../../../core/shutdown.ts');
    const config = { ...configured, stack: { ...configured.stack, stateDir } };
    await stackDown({ config, logger, shutdown: createShutdown(logger) });
    rmSync(absState, { recursive: true, force: true });
    logger.info({ msg: 'devnet: fresh stack state', state_dir: stateDir });
  } else if (existsSync(join(absState, MARKER))) {
    throw new DevnetStaleStateError(
      `${stateDir} holds data of an earlier devnet run (the devnet chain is new on every start): stop the stack and remove ${stateDir}, or use the default state dir`,
      { details: { state_dir: stateDir } },
    );
  }
  mkdirSync(absState, { recursive: true });
  writeFileSync(join(absState, MARKER), JSON.stringify({ startedAt: new Date().toISOString(), pid: process.pid }));
  return stateDir;
}

/** The config the platform runs with on the devnet: its chain, tokens, price server and state dir. */
function devnetConfig(
  config: OraculConfig,
  devnet: { stateDir: string; tokens: readonly DeployedDevnetToken[]; rpcUrl: string; pricesUrl: string },
): OraculConfig {
  const { stateDir, tokens, rpcUrl, pricesUrl } = devnet;
  return {
    ...config,
    stack: { ...config.stack, stateDir },
    chains: [{ name: DEVNET_CHAIN_NAME, chainId: DEVNET_CHAIN_ID, rpcUrls: [rpcUrl], confirmations: 0 }],
    tokens: tokens.map((t) => ({
      symbol: t.symbol,
      coingeckoId: t.coingeckoId,
      address: t.address,
      decimals: t.decimals,
      chain: DEVNET_CHAIN_NAME,
    })),
    prices: { ...config.prices, baseUrl: pricesUrl, apiKey: undefined },
    gateway: { ...config.gateway, chainId: DEVNET_CHAIN_ID },
    ingest: { ...config.ingest, pollIntervalMs: Math.min(config.ingest.pollIntervalMs, 1_000) },
    // The alerter's dedup memory and outbox belong to this chain: anomaly ids repeat across devnet runs (same plan,
    // same ids), so the shared default outbox would swallow this run's alerts as already sent, or replay an old
    // run's digests. A configured outbox is the operator's choice.
    alerts:
      config.alerts.outboxDir === join(DEFAULT_STATE_DIR, 'alerts-outbox')
        ? { ...config.alerts, outboxDir: join(stateDir, 'alerts-outbox') }
        : config.alerts,
  };
}

type NodeAndContracts = [Devnet, Awaited<ReturnType<typeof compileContracts>>];

/** The node and the contracts get ready while the platform bootstraps (both take a while on a busy machine). */
function startNodeAndContracts(port: number, plan: TrafficPlan, config: OraculConfig): Promise<NodeAndContracts> {
  const ready: Promise<NodeAndContracts> = Promise.all([
    startDevnet({
      chainId: DEVNET_CHAIN_ID,
      port,
      automine: true,
      initialDate: new Date(plan.launchDayMs),
      blockGasLimit: 100_000_000,
    }),
    compileContracts({ cacheDir: resolve(REPO_ROOT, config.stack.stateDir, 'devnet', 'artifacts') }),
  ]);
  ready.catch(() => undefined); // awaited in start() / stop()
  return ready;
}

interface SessionParts {
  readonly config: OraculConfig;
  readonly tokens: readonly DeployedDevnetToken[];
  readonly plan: TrafficPlan;
  readonly rpcUrl: string;
  readonly priceServer: DevnetPriceServer;
  readonly devKey: DevKey | undefined;
  readonly ready: Promise<NodeAndContracts>;
  /** `performance.now()` when the node started. */
  readonly nodeStarted: number;
  readonly logger: Logger;
  readonly liveIntervalMs: number | undefined;
}

function createSession(parts: SessionParts): DevnetSession {
  const { config, tokens, plan, rpcUrl, priceServer, devKey, ready, logger } = parts;
  let traffic: Promise<void> | undefined;
  const summary: DevnetTrafficSummary = { historyBlocks: 0, historyTransfers: 0, reorg: null, liveBlocks: 0 };
  return {
    config,
    tokens,
    plan,
    rpcUrl,
    priceServer,
    summary,
    devKey,
    async start(common, { serdes }) {
      const [devnet, contracts] = await ready;
      const sincePrepareMs = Math.round(performance.now() - parts.nodeStarted);
      logger.info({ msg: 'devnet node up', rpc: devnet.url, since_prepare_ms: sincePrepareMs });
      await publishPriceHistory(common, serdes, plan, logger);
      const { signal } = common.shutdown;
      const watcher = watchAnomalies(config, logger, signal);
      traffic = runDevnetTraffic(
        {
          rpcUrl: devnet.url,
          tokens,
          contracts,
          plan,
          logger,
          signal,
          waitIngested: (hash, aborted) => waitIngested(config, hash, aborted),
          liveIntervalMs: parts.liveIntervalMs,
          onDeployed: () => publishDevnetTokenMetadata(common, { serdes, tokens, rpcUrl: devnet.url }),
        },
        summary,
      )
        .catch((error: unknown) => {
          if (!signal.aborted) logger.error({ msg: 'devnet traffic generator stopped', err: error });
        })
        .then(() => watcher);
    },
    logWhatToOpen: ({ graphqlUrl }) => logWhatToOpen(parts, graphqlUrl),
    async stop() {
      await traffic;
      const node = await ready.then(([n]) => n).catch(() => undefined);
      await node?.stop();
      await priceServer.stop();
    },
  };
}

/** The hourly prices of the warped range, from the launch day to today. */
async function publishPriceHistory(common: Common, serdes: Serdes, plan: TrafficPlan, logger: Logger): Promise<void> {
  const from = isoDay(plan.launchDayMs);
  const to = isoDay(Date.now());
  const { runPriceBackfill } = await import('../../../processors/prices/index.ts');
  const prices = await runPriceBackfill(common, { serdes, from, to });
  logger.info({ msg: 'devnet price history published', from, to, points: prices.points, gaps: prices.gaps });
}

/** Resolves once the block `hash` is in raw_blocks; throws after 180 s. */
async function waitIngested(config: OraculConfig, hash: Hex, signal: AbortSignal): Promise<void> {
  const { createWarehouseClient } = await import('../../../dwh/client.ts');
  const client = createWarehouseClient({ config });
  try {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline && !signal.aborted) {
      const rs = await client.query({
        query: 'SELECT count() AS n FROM raw_blocks WHERE chain_id = {chain:UInt64} AND block_hash = {hash:String}',
        query_params: { chain: DEVNET_CHAIN_ID, hash },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string }>();
      if (Number(row?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`block ${hash} not in raw_blocks after 180 s`);
  } finally {
    await client.close();
  }
}

function logWhatToOpen(parts: SessionParts, graphqlUrl: string | undefined): void {
  const { config, tokens, plan, devKey, logger } = parts;
  const header = config.gateway.apiKeyHeader;
  logger.info({
    msg: 'devnet running: what to open',
    graphql: graphqlUrl ?? 'gateway disabled (--no-gateway)',
    ...(graphqlUrl !== undefined && devKey !== undefined
      ? { dev_key: devKey.key, dev_key_header: header, ...devKeyUsage(graphqlUrl, header, devKey.key) }
      : {}),
    superset: 'http://127.0.0.1:8088 (when the stack runs with --with-superset)',
    expect: [
      `transfers of ${tokens.map((t) => t.symbol).join(', ')} over ${plan.days + 1} days within ~2-3 minutes`,
      ...plan.anomalies.map((a) => `anomaly ${a.day}: ${a.description}`),
      'one reorg at the head right after the history (orphaned block retracted, log "devnet reorg")',
      'then a live block every few seconds',
    ],
  });
}

/**
 * Token metadata of the devnet tokens → erc20.tokens: the seeded ones as curated rows (source `seed`), the others read
 * from their contracts (source `rpc`: bytes32 `symbol()`, the legacy token), as the decoder's global table expects.
 */
export async function publishDevnetTokenMetadata(
  common: Common,
  params: { serdes: Serdes; tokens: readonly DeployedDevnetToken[]; rpcUrl: string },
): Promise<void> {
  const { fetchTokenMetadata } = await import('../../../processors/erc20/fetch-token-metadata.ts');
  const { rpcTokenRecord, seedTokenRecord, sendTokenRecords } = await import('../../../processors/erc20/tokens-topic.ts');
  const { createKafka } = await import('../../../core/kafka/client.ts');
  const client = createPublicClient({ transport: http(params.rpcUrl) });
  const now = Date.now();
  const records = [];
  for (const t of params.tokens) {
    records.push(
      t.seeded
        ? seedTokenRecord({ ...t, chainId: DEVNET_CHAIN_ID })
        : rpcTokenRecord(await fetchTokenMetadata(client, { chainId: DEVNET_CHAIN_ID, address: t.address }), now),
    );
  }
  await sendTokenRecords({
    kafka: createKafka({ config: common.config, logger: common.logger, clientSuffix: 'devnet-tokens' }),
    serdes: params.serdes,
    records,
  });
  componentLogger(common.logger, 'devnet').info({
    msg: 'devnet token metadata published to erc20.tokens',
    tokens: params.tokens.map((t) => `${t.symbol} (${t.seeded ? 'seed' : 'rpc'})`),
  });
}

/**
 * Logs every anomaly the platform finds on the devnet (`devnet: anomaly`), one line per anomaly id as it first
 * appears or changes severity/status, so a newcomer sees them in the log without Slack or a GraphQL key.
 */
async function watchAnomalies(config: OraculConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  const { createWarehouseClient } = await import('../../../dwh/client.ts');
  const client = createWarehouseClient({ config });
  const seen = new Map<string, string>();
  try {
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (signal.aborted) break;
      try {
        const rs = await client.query({
          query: `SELECT anomaly_id, entity_type, entity_id, token_address, metric, toString(day) AS day, severity, status,
                         round(value, 2) AS value, round(score, 1) AS score
                    FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND status != 'withdrawn' ORDER BY day, anomaly_id`,
          query_params: { chain: DEVNET_CHAIN_ID },
          format: 'JSONEachRow',
        });
        const rows = await rs.json<Record<string, string | number | null>>();
        for (const row of rows) {
          const state = `${row.severity}/${row.status}`;
          if (seen.get(String(row.anomaly_id)) === state) continue;
          seen.set(String(row.anomaly_id), state);
          const { anomaly_id: _id, ...fields } = row;
          logger.info({ msg: 'devnet: anomaly', ...fields });
        }
      } catch (error) {
        if (!signal.aborted) logger.warn({ msg: 'devnet: anomaly query failed', err: error });
      }
    }
  } finally {
    await client.close();
  }
}
