/**
 * The raw sinks in their own process, for scripts/bench/ingest.ts `--scenarios e2e-split`: how a backfill runs them
 * (`oracul backfill …` publishes, `oracul ingest sinks` — or the `oracul start` of the ingest deployment — inserts;
 * docs/runbooks/backfill.md), so the source and the sinks do not share one JS thread.
 *
 * The parent spawns `node --import tsx scripts/bench/ingest-sinks-child.ts` with the bench's config as JSON in
 * ORACUL_BENCH_SINKS_CONFIG and the sinks' parameters in ORACUL_BENCH_SINKS_PARAMS, has already set the groups'
 * offsets, and talks over stdin/stdout, one JSON line each way:
 *   child → `{"ready":true}` once the three sinks consume;
 *   parent → `{"wait":true}` after the source committed its last block;
 *   child → `{"records":n,"inserts":"b/t/l","cpuS":s}` once every sink caught up and stopped (cpuS: since ready), then
 *   exits.
 */
import { createInterface } from 'node:readline';
import type { OraculConfig } from '../../config/schema.ts';
import type { Common } from '../../core/common.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createRawChainSinks } from '../../processors/sinks/index.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';

export interface SinksChildParams {
  groupPrefix: string;
  maxRows: number;
  maxWaitMs: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.ORACUL_BENCH_SINKS_CONFIG ?? 'null') as OraculConfig;
  const params = JSON.parse(process.env.ORACUL_BENCH_SINKS_PARAMS ?? 'null') as SinksChildParams;
  if (config === null || params === null) throw new Error('ORACUL_BENCH_SINKS_CONFIG / _PARAMS not set');
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench-sinks' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  const sinks = createRawChainSinks(common, {
    serdes: createSchemaRegistrySerdes({ config }),
    groupPrefix: params.groupPrefix,
    batch: { maxRows: params.maxRows, maxWaitMs: params.maxWaitMs },
  });
  for (const sink of sinks) await sink.start();
  // CPU from here on is the timed window's (start-up and module loading are not).
  const cpu0 = process.cpuUsage();
  const lines = createInterface({ input: process.stdin });
  const waitAsked = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await waitAsked;
  for (const sink of sinks) await sink.waitUntilCaughtUp({ timeoutMs: 600_000, pollMs: 100 });
  for (const sink of sinks) await sink.stop();
  const records = sinks.reduce((n, sink) => n + sink.stats().records, 0);
  const inserts = sinks.map((sink) => sink.stats().batches).join('/');
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ records, inserts, cpuS: (cpu.user + cpu.system) / 1e6 })}\n`);
  lines.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
