import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { nonNegativeInteger } from '../args.ts';

interface StatusOptions {
  appId: string;
  json?: boolean;
  maxLag?: number;
  staleAfterS: number;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'Every worker of the app: consumer groups (members, assigned partitions, committed/end offsets, lag) and worker heartbeats (throughput, last error, restores), and the block ranges ingested transfers-only (no transactions in raw_transactions), and dead letters per source topic, stage and error code (ClickHouse dead_letters). Exits 1 if a group has no members or lag exceeds --max-lag',
    )
    .option('--app-id <id>', 'application id (consumer group prefix)', 'oracul')
    .option('--json', 'print the report as JSON')
    .option('--max-lag <n>', 'exit 1 when a group lags more than n records in total', nonNegativeInteger)
    .option('--stale-after-s <s>', 'a heartbeat older than this is marked stale', nonNegativeInteger, 30)
    .action(async (opts: StatusOptions) => {
      const config = loadConfig();
      const logger = createLogger({
        level: config.logLevel === 'debug' || config.logLevel === 'trace' ? config.logLevel : 'warn',
      });
      const [
        { collectStatus, collectDeadLetters, collectTransfersOnly, formatStatus },
        { createKafka },
        { oraculStages },
        { createWarehouseClient },
      ] = await Promise.all([
        import('../../../processors/engine/status/index.ts'),
        import('../../../core/kafka/client.ts'),
        import('../../../processors/topology.ts'),
        import('../../../dwh/client.ts'),
      ]);
      const kafka = createKafka({ config, logger, clientSuffix: 'status' });
      const report = await collectStatus({
        kafka,
        logger,
        appId: opts.appId,
        stages: oraculStages({ config }).map((s) => s.name),
        staleAfterMs: opts.staleAfterS * 1000,
        ...(opts.maxLag === undefined ? {} : { maxLag: opts.maxLag }),
      });
      // Which blocks lack transactions and non-Transfer logs (transfers-only backfills): informational, never a problem.
      const warehouse = createWarehouseClient({ config });
      // Dead letters of every stage and sink (informational: they are counted, not a reason to exit 1).
      const [transfersOnly, deadLetters] = await Promise.all([
        collectTransfersOnly(warehouse),
        collectDeadLetters(warehouse),
      ]).finally(() => warehouse.close());
      const full = { ...report, transfers_only: transfersOnly, dead_letters: deadLetters };
      process.stdout.write(opts.json ? `${JSON.stringify(full, null, 2)}\n` : formatStatus(full));
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
