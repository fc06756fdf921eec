/**
 * CPU per uncached tokenMetricsDaily request, layer by layer, in one process (no network to a warehouse): the
 * reader's text handling, GraphQL execution, Yoga's fetch pipeline, and node:http in front of it.
 *
 *   npx tsx scripts/bench/gateway/layers.ts [--n 3000]
 */
import { Readable } from 'node:stream';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, parse } from 'graphql';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '../../../core/logger.ts';
import { addDays } from '../../../core/time.ts';
import { ApiKeys, sha256Hex } from '../../../gateway/auth.ts';
import { FinalizedCache } from '../../../gateway/cache.ts';
import type { HealthProbe } from '../../../gateway/health.ts';
import { createHttpHandler } from '../../../gateway/http.ts';
import { SubscriptionSlots, WarehouseBudget } from '../../../gateway/limits.ts';
import type { LiveFeed } from '../../../gateway/live.ts';
import { ResponseCache, ResponseScope } from '../../../gateway/response-cache.ts';
import { buildSchema } from '../../../gateway/schema/index.ts';
import { WarehouseReader } from '../../../gateway/warehouse.ts';
import { createGatewayYoga } from '../../../gateway/yoga.ts';
import { testConfig } from '../../test/test-config.ts';
import { numberArg } from '../args.ts';
import { tokenAddress, tokenLine } from './stub-rows.ts';

const N = numberArg('n', 3000);
const KEY = 'layers-key';
const FIRST_DAY = '2025-01-01';

function answerFor(params: Record<string, unknown>): string {
  const days: string[] = [];
  for (let d = params.from as string; d <= (params.to as string); d = addDays(d, 1)) days.push(d);
  return (params.tokens as string[]).flatMap((t) => days.map((d) => tokenLine(t, d))).join('\n') + '\n';
}

/** A client whose exec answers at once from memory. */
const stubClient = {
  exec: async ({ query_params }: { query_params: Record<string, unknown> }) => ({
    stream: Readable.from([Buffer.from(answerFor(query_params))]),
  }),
  close: async () => undefined,
} as unknown as ClickHouseClient;

const config = testConfig({
  gateway: { rateLimitPerSecond: 1_000_000, apiKeys: [{ id: 'bench', role: 'ops', sha256: sha256Hex(KEY) }] },
});
const gw = config.gateway;
const logger = createLogger({ level: 'warn', pretty: false });
const reader = new WarehouseReader({
  client: stubClient,
  chainId: 1,
  logger,
  cache: new FinalizedCache({ maxEntries: 0, ttlMs: 1 }),
  readBatch: { maxInFlight: 1, maxBatch: 32 },
});
const services = {
  reader,
  responses: new ResponseCache({ maxEntries: 0, ttlMs: 1, servesRecent: () => false }),
  live: {} as LiveFeed,
  health: {} as HealthProbe,
  subscriptions: new SubscriptionSlots(10, 10),
};

const QUERY =
  'query M($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { date volumeRaw volumeUsd transferCount uniqueAddresses priceClose isFinal version } }';
let counter = 0;
const variables = () => {
  const start = counter++ % 270;
  return { t: tokenAddress(counter % 10_000), f: addDays(FIRST_DAY, start), to: addDays(FIRST_DAY, start + 89) };
};

async function timed(label: string, concurrency: number, one: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 300; i++) await one();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < N) {
        done += 1;
        await one();
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  console.log(
    `${label.padEnd(48)} CPU ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms/request  wall ${(wall / N).toFixed(3)} ms`,
  );
}

const schema = buildSchema();
const document = parse(QUERY);
const contextValue = () => ({
  reader,
  budget: new WarehouseBudget(6),
  scope: new ResponseScope(),
  maxRangeDays: 366,
  loaders: {},
});

await timed('stub answer alone (subtract)', 1, async () => {
  const v = variables();
  return Readable.from([Buffer.from(answerFor({ tokens: [v.t], from: v.f, to: v.to }))]);
});
await timed('reader only (text → rows)', 1, () => {
  const v = variables();
  return reader.tokenMetricsDaily(v.t, v.f, v.to);
});
await timed('graphql execute (reader inside)', 1, async () => {
  const result = await execute({ schema, document, variableValues: variables(), contextValue: contextValue() });
  return JSON.stringify(result);
});
const principal = { keyId: 'bench', role: 'ops' as const };
const serverContext = () => ({
  principal,
  info: { principal, operationName: null, errorCodes: new Set<string>() },
  req: { socket: {} },
});
const yoga = createGatewayYoga({ gw, introspection: false, graphiql: false, logger, services });
await timed('yoga.fetch (no http)', 1, async () => {
  const response = await yoga.fetch(
    'http://x/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: variables() }),
    },
    serverContext() as never,
  );
  return response.text();
});
const handler = createHttpHandler({ gw, graphiql: false, keys: new ApiKeys(gw), health: services.health, yoga, logger });
const server = createServer((req, res) => void handler(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const post = (body: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
await timed('node:http + handler + yoga (client in-process too)', 1, () =>
  post(JSON.stringify({ query: QUERY, variables: variables() })),
);
server.close();
agent.destroy();
