import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown, handleSignals } from '../../../core/shutdown.ts';

export function registerWarehouseCommands(program: Command): void {
  const warehouse = program
    .command('warehouse')
    .description('The embedded ClickHouse engine (chdb) behind a ClickHouse HTTP endpoint');
  warehouse
    .command('serve')
    .description('Serve the ClickHouse HTTP interface on stack.host:stack.warehouse.port (foreground; SIGINT/SIGTERM stop it)')
    .option('--port <port>', 'override stack.warehouse.port', (value) => Number.parseInt(value, 10))
    .option('--data-dir <dir>', 'override <stack.stateDir>/warehouse/data')
    .action(async (opts: { port?: number; dataDir?: string }) => {
      const { startWarehouseServer, warehouseServerParameters } = await import('../../../infra/warehouse/index.ts');
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const shutdown = createShutdown(logger);
      const params = warehouseServerParameters(config, logger);
      const server = await startWarehouseServer({
        ...params,
        ...(opts.port === undefined ? {} : { port: opts.port }),
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
      });
      shutdown.add('warehouse', () => server.close());
      handleSignals(shutdown);
      // Stay in the foreground until a signal runs the shutdown (which exits the process).
      await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
    });
}
