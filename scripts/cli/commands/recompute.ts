import type { SingleBar as SingleBarType } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { positiveInteger } from '../args.ts';

interface RecomputeOptions {
  fromDate: string;
  toDate: string;
  chainId?: number;
  json?: boolean;
  progress: boolean;
}

export function registerRecomputeCommand(program: Command): void {
  program
    .command('recompute')
    .description(
      'Rebuild token_metrics_daily, address_flows_daily and anomalies for closed past days from erc20_transfers and prices_spot (no chain reads; idempotent)',
    )
    .requiredOption('--from-date <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to-date <day>', 'last UTC day, YYYY-MM-DD, inclusive (must have closed: end + 1 h grace in the past)')
    .option('--chain-id <id>', 'chain id (default: the first chain in config/chains.yml)', positiveInteger)
    .option('--json', 'print the per-day result as JSON on stdout')
    .option('--no-progress', 'no progress bar, even in a terminal')
    .action(async (opts: RecomputeOptions) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const [{ recompute, recomputeDays }, { createWarehouseClient }] = await Promise.all([
        import('../../../processors/recompute/index.ts'),
        import('../../../dwh/client.ts'),
      ]);
      const days = recomputeDays(opts.fromDate, opts.toDate, Date.now()).length;
      const tty = opts.progress && process.stderr.isTTY === true;
      let bar: SingleBarType | undefined;
      if (tty) {
        const { SingleBar, Presets } = await import('cli-progress');
        bar = new SingleBar(
          {
            format: ' {bar} {percentage}% | {value}/{total} days | day {day} | {transfers} transfers | ETA {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(days, 0, { day: opts.fromDate, transfers: 0 });
      }
      const client = createWarehouseClient({ config });
      try {
        const result = await recompute({
          config,
          logger,
          client,
          fromDate: opts.fromDate,
          toDate: opts.toDate,
          ...(opts.chainId === undefined ? {} : { chainId: opts.chainId }),
          onProgress: (p) => bar?.update(p.daysDone, { day: p.day, transfers: p.transfers }),
        });
        bar?.stop();
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        logger.info({ msg: 'recompute done', chain_id: result.chainId, days: result.days.length, ...result.totals });
      } finally {
        bar?.stop();
        await client.close();
      }
    });
}
