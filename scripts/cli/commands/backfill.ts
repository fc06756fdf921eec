import type { SingleBar as SingleBarType } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Common } from '../../../core/common.ts';
import { parseIsoDay } from '../../../core/time.ts';
import { createCliCommon } from '../common.ts';
import type { SourceProgress } from '../../../processors/sources/index.ts';
import { nonNegativeInteger, positiveInteger } from '../args.ts';

const blockNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a block number');
  return Number(value);
};

/** 3725 → "1h02m05s": the bar's ETA. */
function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${two(m)}m${two(s % 60)}s` : m > 0 ? `${m}m${two(s % 60)}s` : `${s}s`;
}

interface BackfillOptions {
  from: string;
  to: string;
  chain?: string;
  rpcUrl?: string[];
  batchSize?: number;
  concurrency?: number;
  fetchWorkers?: number;
  stateDir?: string;
  progress: boolean;
  transfersOnly?: boolean;
  maxRange?: number;
}

export function registerBackfillCommands(program: Command): void {
  registerBackfillCommand(program);
  registerIngestCommands(program);
}

function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description(
      'Ingest a closed range into Kafka: `backfill --from N|YYYY-MM-DD --to M|YYYY-MM-DD` (blocks, resumable) or `backfill prices --from YYYY-MM-DD --to YYYY-MM-DD`',
    )
    .argument('[what]', 'blocks | prices', 'blocks')
    .requiredOption('--from <from>', 'first block or UTC day YYYY-MM-DD (blocks), first UTC day (prices)')
    .requiredOption('--to <to>', 'last block or UTC day (blocks), last UTC day (prices), inclusive')
    .option('--chain <name>', 'chain in config/chains.yml (default: the first)')
    .option('--rpc-url <url...>', 'RPC endpoints in fallback order (default: chains[].rpcUrls)')
    .option(
      '--batch-size <n>',
      'blocks per fetched batch (ingest.batchSize; ready batches share a Kafka transaction up to ingest.transactionMaxBlocks; --transfers-only: ranges are adaptive instead)',
      positiveInteger,
    )
    .option('--concurrency <n>', 'batches fetched at once (ingest.concurrency)', positiveInteger)
    .option(
      '--fetch-workers <n>',
      'worker threads that fetch, parse and Avro-encode beside the Kafka producer (ingest.fetchWorkers; 0 = none)',
      nonNegativeInteger,
    )
    .option('--state-dir <dir>', 'LMDB state dir (ingest.stateDir)')
    .option(
      '--transfers-only',
      'only ERC-20 Transfer logs (eth_getLogs over adaptive ranges) and block headers: no transactions, no other logs',
    )
    .option('--max-range <n>', '--transfers-only: most blocks per eth_getLogs call (default 2000)', positiveInteger)
    .option('--no-progress', 'no progress bar, even in a terminal')
    .action(async (what: string, opts: BackfillOptions, command: Command) => {
      if (what === 'prices') return backfillPrices(opts);
      if (what !== 'blocks') command.error(`error: unknown backfill target '${what}' (blocks | prices)`, { exitCode: 2 });
      const byDay = checkBlockArguments(opts, command);
      const common = createCliCommon();
      const range = byDay
        ? await blockRangeOfDayArguments(common, opts, command)
        : { from: Number(opts.from), to: Number(opts.to) };
      if (range === null) return common.shutdown.run('done');
      if (range.to < range.from) command.error('error: --to must be >= --from', { exitCode: 2 });
      await backfillBlocks(common, opts, range);
    });
}

async function backfillPrices(opts: BackfillOptions): Promise<void> {
  const common = createCliCommon();
  const { runPriceBackfill } = await import('../../../processors/prices/index.ts');
  const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
  const summary = await runPriceBackfill(common, {
    serdes: createSchemaRegistrySerdes({ config: common.config }),
    from: opts.from,
    to: opts.to,
  });
  common.logger.info({ msg: 'price backfill done', ...summary });
  await common.shutdown.run('done');
}

/** Exits with code 2 on arguments that do not make a block range; true when --from and --to are UTC days. */
function checkBlockArguments(opts: BackfillOptions, command: Command): boolean {
  if (opts.maxRange !== undefined && !opts.transfersOnly)
    command.error('error: --max-range applies to --transfers-only', { exitCode: 2 });
  const isDay = (v: string): boolean => parseIsoDay(v) !== undefined;
  const byDay = isDay(opts.from) && isDay(opts.to);
  if (!byDay && (!/^\d+$/.test(opts.from) || !/^\d+$/.test(opts.to)))
    command.error('error: --from and --to must both be block numbers or both UTC days (YYYY-MM-DD)', { exitCode: 2 });
  if (byDay && opts.to < opts.from) command.error('error: --to must be >= --from', { exitCode: 2 });
  return byDay;
}

/** Days → blocks: binary search over block timestamps on the chain's endpoints; null when the days hold no block. */
async function blockRangeOfDayArguments(
  common: Common,
  opts: BackfillOptions,
  command: Command,
): Promise<{ from: number; to: number } | null> {
  const rpcUrls =
    opts.rpcUrl ?? common.config.chains.find((c) => opts.chain === undefined || c.name === opts.chain)?.rpcUrls ?? [];
  if (rpcUrls.length === 0) command.error('error: no RPC endpoint (set ORACUL_RPC_URL or --rpc-url)', { exitCode: 2 });
  const { blockRangeOfDays } = await import('../../../processors/sources/fetch/block-at-time.ts');
  const range = await blockRangeOfDays(rpcUrls, opts.from, opts.to);
  if (range === null) {
    common.logger.warn({ msg: 'no block in these days: nothing to backfill', from_day: opts.from, to_day: opts.to });
    return null;
  }
  common.logger.info({
    msg: 'days resolved to blocks',
    from_day: opts.from,
    to_day: opts.to,
    from_block: range.from,
    to_block: range.to,
  });
  return range;
}

/** Runs the block or transfers-only backfill of `from..to` with a progress bar, then shuts down. */
async function backfillBlocks(common: Common, opts: BackfillOptions, { from, to }: { from: number; to: number }): Promise<void> {
  const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
  const progress = await startProgressBar(opts.progress && process.stderr.isTTY === true, from, to);
  const ingest = {
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.fetchWorkers !== undefined ? { fetchWorkers: opts.fetchWorkers } : {}),
  };
  try {
    const source = {
      serdes: createSchemaRegistrySerdes({ config: common.config }),
      chain: opts.chain,
      rpcUrls: opts.rpcUrl,
      stateDir: opts.stateDir,
      ingest,
      onProgress: progress.onProgress,
    };
    const run = { from, to, signal: common.shutdown.signal };
    let summary: object;
    if (opts.transfersOnly) {
      const { runTransfersBackfill } = await import('../../../processors/sources/transfers/index.ts');
      summary = await runTransfersBackfill(
        common,
        { ...source, ...(opts.maxRange ? { range: { max: opts.maxRange } } : {}) },
        run,
      );
    } else {
      const { runBlockSource } = await import('../../../processors/sources/index.ts');
      summary = await runBlockSource(common, source, run);
    }
    progress.stop();
    common.logger.info({ msg: 'backfill summary', ...summary });
  } finally {
    progress.stop();
    await common.shutdown.run('done');
  }
}

/**
 * The terminal progress bar (none when `show` is false). Both modes report the same progress shape: blocks and logs
 * since this run started (a resume skips the rest).
 */
async function startProgressBar(
  show: boolean,
  from: number,
  to: number,
): Promise<{ onProgress: (p: SourceProgress) => void; stop: () => void }> {
  let bar: SingleBarType | undefined;
  if (show) {
    const { SingleBar, Presets } = await import('cli-progress');
    bar = new SingleBar(
      {
        format: ' {bar} {percentage}% | {value}/{total} blocks | {bps} blocks/s | {lps} logs/s | ETA {eta} | block {block}',
        stream: process.stderr,
        etaBuffer: 50,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(to - from + 1, 0, { bps: 0, lps: 0, eta: '-', block: from });
  }
  const onProgress = (p: SourceProgress): void => {
    const perS = (n: number) => (p.elapsedMs > 0 ? Math.round((n / p.elapsedMs) * 1000) : 0);
    // ETA from this run's own rate: cli-progress' would count the blocks a resume skipped as progress.
    const bps = p.elapsedMs > 0 ? (p.blocks / p.elapsedMs) * 1000 : 0;
    const eta = bps > 0 ? formatSeconds((to - p.lastBlock) / bps) : '-';
    bar?.update(p.lastBlock - from + 1, { bps: perS(p.blocks), lps: perS(p.logs), eta, block: p.lastBlock });
  };
  return { onProgress, stop: () => bar?.stop() };
}

function registerIngestCommands(program: Command): void {
  const ingest = program.command('ingest').description('Long-running ingestion processes (until SIGINT/SIGTERM)');
  ingest
    .command('live')
    .description('Follow the chain head at head − confirmations and publish blocks to Kafka')
    .option('--chain <name>', 'chain in config/chains.yml (default: the first)')
    .option('--from <block>', 'start here when no checkpoint exists (default: the safe head)', blockNumber)
    .option('--rpc-url <url...>', 'RPC endpoints in fallback order')
    .option('--state-dir <dir>', 'LMDB state dir (ingest.stateDir)')
    .action(async (opts: { chain?: string; from?: number; rpcUrl?: string[]; stateDir?: string }) => {
      const common = createCliCommon();
      const { runBlockSource } = await import('../../../processors/sources/index.ts');
      const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
      await runBlockSource(
        common,
        {
          serdes: createSchemaRegistrySerdes({ config: common.config }),
          chain: opts.chain,
          rpcUrls: opts.rpcUrl,
          stateDir: opts.stateDir,
        },
        { from: opts.from, signal: common.shutdown.signal },
      );
      await common.shutdown.run('done');
    });
  ingest
    .command('sinks')
    .description('Raw sinks: eth.blocks.raw / eth.transactions.raw / eth.logs.raw / market.prices.raw → ClickHouse')
    .action(async () => {
      const common = createCliCommon();
      const { createRawChainSinks, createPricesSink } = await import('../../../processors/sinks/index.ts');
      const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
      const serdes = createSchemaRegistrySerdes({ config: common.config });
      const batch = { maxRows: common.config.ingest.sinkMaxRows, maxWaitMs: common.config.ingest.sinkMaxWaitMs };
      const sinks = [...createRawChainSinks(common, { serdes, batch }), createPricesSink(common, { serdes, batch })];
      for (const sink of sinks) {
        await sink.start();
        common.shutdown.add(`sink ${sink.table}`, () => sink.stop());
      }
      await new Promise<void>((resolve) => common.shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
    });
  ingest
    .command('prices')
    .description('Poll spot prices of the tracked tokens every prices.pollIntervalS into market.prices.raw')
    .action(async () => {
      const common = createCliCommon();
      const { runPricePoller } = await import('../../../processors/prices/index.ts');
      const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
      await runPricePoller(common, { serdes: createSchemaRegistrySerdes({ config: common.config }) });
      await common.shutdown.run('done');
    });
}
