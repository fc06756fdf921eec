import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';

interface DqRunOptions {
  loop?: boolean;
  check?: string[];
  topic: boolean;
  json?: boolean;
}

export function registerDqCommands(program: Command): void {
  const command = program.command('dq').description('Data-quality checks over the warehouse (docs/dq.md)');
  command
    .command('run')
    .description(
      'Run the data-quality checks, write table data_quality_checks and topic dq.checks; exit 2 if any fails or errs (pending is not a failure)',
    )
    .option('--loop', 'keep running every dq.intervalS seconds until Ctrl-C')
    .option(
      '--check <names...>',
      'only these checks (freshness, block_gaps, duplicate_tx_hash, log_index_contiguity, block_tx_count, transfer_log_coverage, price_staleness)',
    )
    .option('--no-topic', 'write the table only, not the dq.checks topic')
    .option('--json', 'print the results as JSON')
    .action(async (opts: DqRunOptions) => {
      const { createWarehouseClient } = await import('../../../dwh/client.ts');
      const { createKafka } = await import('../../../core/kafka/client.ts');
      const { createSchemaRegistrySerdes } = await import('../../../schemas/create-schema-registry-serdes.ts');
      const { DQ_CHECKS } = await import('../../../processors/dq/checks.ts');
      const { runDqOnce, runDqLoop } = await import('../../../processors/dq/service.ts');
      const { ConfigError } = await import('../../../core/errors.ts');
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const checks = opts.check ?? [...DQ_CHECKS];
      const unknown = checks.filter((c) => !(DQ_CHECKS as readonly string[]).includes(c));
      if (unknown.length > 0) throw new ConfigError(`unknown dq check(s): ${unknown.join(', ')}; known: ${DQ_CHECKS.join(', ')}`);
      const client = createWarehouseClient({ config });
      const producer = opts.topic
        ? createKafka({ config, logger, clientSuffix: 'dq' }).producer({ idempotent: true, maxInFlightRequests: 1 })
        : undefined;
      const serdes = opts.topic ? createSchemaRegistrySerdes({ config }) : undefined;
      const params = { config, client, producer, serdes, logger, checks: checks as (typeof DQ_CHECKS)[number][] };
      try {
        if (producer !== undefined) await producer.connect();
        if (opts.loop) {
          const controller = new AbortController();
          const stop = (): void => controller.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          await runDqLoop({ ...params, signal: controller.signal });
          return;
        }
        const results = await runDqOnce(params);
        if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        else {
          for (const r of results) {
            const subject = r.subject === '' ? '' : ` ${r.subject}`;
            process.stdout.write(
              `${r.status.padEnd(7)} ${r.check_name}${subject} chain=${r.chain_id} observed=${r.observed ?? 'n/a'} threshold=${r.threshold ?? '0'} ${r.check_window}\n`,
            );
          }
        }
        if (results.some((r) => r.status === 'fail' || r.status === 'error')) process.exitCode = 2;
      } finally {
        if (producer !== undefined) await producer.disconnect();
        await client.close();
      }
    });
}
