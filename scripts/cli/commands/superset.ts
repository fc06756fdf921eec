import type { Command } from 'commander';
import { join } from 'node:path';
import { loadConfig, REPO_ROOT } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';

/** Loaded on use: `oracul --help` does not need the bundle or the browser code. */
const loadSuperset = () => import('../../../infra/superset/superset.ts');

interface CommonOptions {
  port?: number;
  stateDir?: string;
}

async function options(opts: CommonOptions) {
  const { supersetOptions } = await loadSuperset();
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  return supersetOptions(config, logger, opts);
}

const withCommon = (command: Command): Command =>
  command
    .option('--port <port>', 'HTTP port on stack.host (default 8088)', (value) => Number.parseInt(value, 10))
    .option('--state-dir <dir>', 'metadata DB, secret key, admin password, pid and log (default <stack.dir>/superset/state)');

export function registerSupersetCommands(program: Command): void {
  const superset = program
    .command('superset')
    .description('Apache Superset on the warehouse (read-only user): install, run, import the dashboards, screenshots');

  withCommon(
    superset
      .command('up')
      .description(
        'Install (pinned venv), initialise (metadata DB, admin user) and start Superset in the background; a no-op when it runs',
      ),
  ).action(async (opts: CommonOptions) => {
    const { supersetUp } = await loadSuperset();
    const o = await options(opts);
    const { url, started } = await supersetUp(o);
    process.stdout.write(
      `superset ${started ? 'started' : 'already running'} on ${url} (user admin, password in ${join(o.stateDir, 'admin_password')})\n`,
    );
  });

  withCommon(superset.command('down').description('Stop the Superset this state dir started')).action(
    async (opts: CommonOptions) => {
      const { supersetDown } = await loadSuperset();
      process.stdout.write(`superset ${await supersetDown(await options(opts))}\n`);
    },
  );

  withCommon(
    superset
      .command('import')
      .description(
        'Import infra/superset/dashboards (datasets, charts, dashboards; idempotent) with the read-only warehouse connection',
      ),
  ).action(async (opts: CommonOptions) => {
    const { supersetImport, initSuperset } = await loadSuperset();
    const o = await options(opts);
    await initSuperset(o);
    const { files } = await supersetImport(o);
    process.stdout.write(`imported ${files} bundle files\n`);
  });

  withCommon(
    superset
      .command('screenshot')
      .description('Render every dashboard of the bundle in headless Chromium and save a PNG per dashboard (Superset must be up)')
      .option('--out <dir>', 'output directory', join(REPO_ROOT, 'docs', 'img')),
  ).action(async (opts: CommonOptions & { out: string }) => {
    const { adminPassword, supersetUrl, SUPERSET_ADMIN } = await loadSuperset();
    const { captureDashboards } = await import('../../../infra/superset/browser.ts');
    const { dashboardsToCapture } = await import('../../../infra/superset/bundle.ts');
    const o = await options(opts);
    const results = await captureDashboards({
      baseUrl: supersetUrl(o),
      username: SUPERSET_ADMIN,
      password: await adminPassword(o),
      dashboards: await dashboardsToCapture(),
      outDir: opts.out,
    });
    for (const r of results) process.stdout.write(`${r.slug}: ${r.renderedCharts} charts -> ${r.file}\n`);
  });
}
