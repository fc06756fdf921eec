import type { MigrationStatusEntry } from '../../../dwh/migration-status.ts';
import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';

export function registerMigrateCommands(program: Command): void {
  const command = program
    .command('migrate')
    .description('Apply pending ClickHouse migrations (dwh/migrations) and the token seed, idempotently')
    .option('--no-seed', 'skip loading dwh/seeds/erc20_token_metadata.csv into tokens')
    .action(async (opts: { seed: boolean }) => {
      const { createWarehouseClient } = await import('../../../dwh/client.ts');
      const { migrate } = await import('../../../dwh/migrate.ts');
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const client = createWarehouseClient({ config, withoutDatabase: true });
      try {
        const result = await migrate({
          client,
          database: config.clickhouse.database,
          cluster: config.clickhouse.cluster,
          logger,
          ...(opts.seed ? {} : { tokenSeedFile: false }),
        });
        process.stdout.write(
          `${config.clickhouse.database}: ${result.applied.length} applied, ${result.alreadyApplied} already applied, ${result.seededTokens} token seed rows written\n`,
        );
      } finally {
        await client.close();
      }
    });

  command
    .command('sql')
    .description(
      'Print every migration as it would run (database bound; ON CLUSTER and Replicated engines when clickhouse.cluster is set)',
    )
    .option('--cluster <name>', 'render for this cluster instead of clickhouse.cluster ("" for a single server)')
    .action(async (opts: { cluster?: string }) => {
      const { renderForCluster } = await import('../../../dwh/cluster-ddl.ts');
      const { bindDatabase, loadMigrations } = await import('../../../dwh/load-migrations.ts');
      const { schemaMigrationsTableDdl } = await import('../../../dwh/schema-migrations.ts');
      const config = loadConfig();
      const { database } = config.clickhouse;
      const cluster = opts.cluster ?? config.clickhouse.cluster;
      const out = [`${renderForCluster(`CREATE DATABASE IF NOT EXISTS \`${database}\``, { cluster })};`];
      out.push(`${schemaMigrationsTableDdl(database, cluster)};`);
      for (const migration of loadMigrations()) {
        out.push(`-- ${migration.file}`);
        for (const statement of migration.statements)
          out.push(`${bindDatabase(renderForCluster(statement, { cluster }), database)};`);
      }
      process.stdout.write(`${out.join('\n\n')}\n`);
    });

  command
    .command('status')
    .description('List migrations and whether each is applied, pending, changed since applied, or unknown to this checkout')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { createWarehouseClient } = await import('../../../dwh/client.ts');
      const { migrationStatus } = await import('../../../dwh/migration-status.ts');
      const config = loadConfig();
      const client = createWarehouseClient({ config, withoutDatabase: true });
      try {
        const entries = await migrationStatus({ client, database: config.clickhouse.database });
        process.stdout.write(opts.json ? `${JSON.stringify(entries, null, 2)}\n` : formatStatus(entries));
        // Non-zero when `migrate` would refuse to run, so scripts can gate on it.
        if (entries.some((e) => e.state === 'changed')) process.exitCode = 1;
      } finally {
        await client.close();
      }
    });
}

function formatStatus(entries: MigrationStatusEntry[]): string {
  const rows = entries.map((e) => [
    String(e.version).padStart(4, '0'),
    e.name,
    e.state,
    e.appliedAt ?? '',
    e.durationMs === undefined ? '' : `${e.durationMs} ms`,
  ]);
  const header = ['version', 'name', 'state', 'applied_at (UTC)', 'duration'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [header, ...rows]
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
