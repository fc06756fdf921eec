import type { Command } from 'commander';
import { createCliCommon } from '../common.ts';
import type { ComponentName } from '../../../infra/stack/index.ts';

/** Loaded on use: the supervisor pulls in kafkajs and friends, which `oracul --help` does not need. */
const loadStack = () => import('../../../infra/stack/index.ts');

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('Local services: Kafka (KRaft), Apicurio schema registry, warehouse endpoint');
  const only = async (opts: { only?: string }): Promise<ComponentName[] | undefined> =>
    opts.only ? (await loadStack()).parseComponentNames(opts.only) : undefined;

  stack
    .command('up')
    .description('Install what is missing and start every enabled component; a no-op when all are healthy')
    .option('--only <components>', 'comma-separated subset: kafka,registry,warehouse')
    .option('--with-superset', 'also install and start Superset (127.0.0.1:8088) and import the dashboards')
    .action(async (opts: { only?: string; withSuperset?: boolean }) => {
      const { stackUp, formatUpTable } = await loadStack();
      const common = createCliCommon();
      const running = stackUp(common, { components: await only(opts) });
      // Ctrl-C aborts the health wait; hold the exit until the half-started component is stopped.
      common.shutdown.add('stack up', () => running.then(noop, noop));
      const results = await running;
      process.stdout.write(formatUpTable(results));
      if (opts.withSuperset === true) {
        // The dashboards read the marts through the read-only user: migrate first so the views exist.
        const { createWarehouseClient } = await import('../../../dwh/client.ts');
        const { migrate } = await import('../../../dwh/migrate.ts');
        const client = createWarehouseClient({ config: common.config, withoutDatabase: true });
        try {
          await migrate({ client, database: common.config.clickhouse.database, logger: common.logger });
        } finally {
          await client.close();
        }
        const { supersetOptions, supersetUp, initSuperset, supersetImport } = await import('../../../infra/superset/superset.ts');
        const o = supersetOptions(common.config, common.logger, {});
        const { url } = await supersetUp(o);
        await initSuperset(o);
        const { files } = await supersetImport(o);
        process.stdout.write(`superset    healthy    ${url} (dashboards imported: ${files} files)\n`);
      }
    });

  stack
    .command('down')
    .description('Stop the components this stack started (SIGTERM, then SIGKILL after a grace period)')
    .option('--only <components>', 'comma-separated subset: kafka,registry,warehouse')
    .action(async (opts: { only?: string }) => {
      const { stackDown } = await loadStack();
      const results = await stackDown(createCliCommon(), { components: await only(opts) });
      for (const r of results)
        process.stdout.write(`${r.component.padEnd(10)} ${r.outcome}${r.pid === null ? '' : ` (pid ${r.pid})`}\n`);
    });

  stack
    .command('status')
    .description('Component, version, port, pid and health; exits 1 when an available component is not healthy')
    .option('--only <components>', 'comma-separated subset: kafka,registry,warehouse')
    .option('--json', 'print JSON rows instead of a table')
    .action(async (opts: { only?: string; json?: boolean }) => {
      const { stackStatus, formatStatusTable } = await loadStack();
      const rows = await stackStatus(createCliCommon(), { components: await only(opts) });
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatusTable(rows));
      if (rows.some((r) => r.health !== 'healthy' && r.health !== 'unavailable')) process.exitCode = 1;
    });
}

const noop = (): void => undefined;
