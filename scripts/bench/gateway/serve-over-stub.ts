/**
 * The gateway's HTTP handler, Yoga and warehouse reader as `oracul gateway` builds them, over a warehouse URL given
 * on the command line, without Kafka (no live feed, no readiness loop): for scripts/bench/gateway/cpu.ts, which
 * measures the gateway's own CPU per request against a stub endpoint.
 *
 *   node --import tsx scripts/bench/gateway/serve-over-stub.ts <warehouse url> <api key>
 *     → prints {"url": "http://127.0.0.1:<port>"} once listening
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../core/logger.ts';
import { createWarehouseClient } from '../../../dwh/client.ts';
import { ApiKeys, sha256Hex } from '../../../gateway/auth.ts';
import { FinalizedCache } from '../../../gateway/cache.ts';
import type { HealthProbe } from '../../../gateway/health.ts';
import { createHttpHandler } from '../../../gateway/http.ts';
import { SubscriptionSlots } from '../../../gateway/limits.ts';
import { textStatements } from '../../../gateway/text-statements.ts';
import type { LiveFeed } from '../../../gateway/live.ts';
import { ResponseCache } from '../../../gateway/response-cache.ts';
import { WarehouseReader } from '../../../gateway/warehouse.ts';
import { createGatewayYoga } from '../../../gateway/yoga.ts';
import { testConfig } from '../../test/test-config.ts';

const [warehouseUrl, key] = process.argv.slice(2) as [string, string];
const config = testConfig({
  clickhouse: { url: warehouseUrl },
  gateway: { rateLimitPerSecond: 100_000, apiKeys: [{ id: 'bench', role: 'ops', sha256: sha256Hex(key) }] },
});
const gw = config.gateway;
const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench-gateway-cpu' } });
const cache = new FinalizedCache({ maxEntries: gw.cacheEntries, ttlMs: gw.cacheTtlS * 1000 });
const reader = new WarehouseReader({
  client: createWarehouseClient({ config, role: 'readonly' }),
  chainId: gw.chainId,
  logger,
  cache,
  recentCacheMs: gw.recentCacheMs,
  readBatch: gw.readBatch,
  // As startGateway sends them; ORACUL_BENCH_VIA_CLIENT=1: through @clickhouse/client (the A/B of ADR 0020).
  ...(process.env.ORACUL_BENCH_VIA_CLIENT === '1' ? {} : { sendText: textStatements(config.clickhouse).send }),
});
const responses = new ResponseCache({
  maxEntries: gw.cacheEntries,
  ttlMs: gw.cacheTtlS * 1000,
  servesRecent: (read) => reader.servesRecent(read),
});
// Only the query fields run here: the live feed and the health probe are never reached.
const services = {
  reader,
  responses,
  live: {} as LiveFeed,
  health: {} as HealthProbe,
  subscriptions: new SubscriptionSlots(gw.maxSubscriptionsPerKey, gw.maxSubscriptionsPerConnection),
};
const yoga = createGatewayYoga({ gw, introspection: false, graphiql: false, logger, services });
const handler = createHttpHandler({ gw, graphiql: false, keys: new ApiKeys(gw), health: services.health, yoga, logger });
const server = createServer((req, res) => void handler(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
