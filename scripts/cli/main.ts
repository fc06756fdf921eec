import { Command, CommanderError } from 'commander';
import { OraculError } from '../../core/errors.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerMigrateCommands } from './commands/migrate.ts';
import { registerWarehouseCommands } from './commands/warehouse.ts';
import { registerStackCommands } from './commands/stack.ts';
import { registerTopicsCommands } from './commands/topics.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerSchemasCommands } from './commands/schemas.ts';
import { registerSupersetCommands } from './commands/superset.ts';
import { registerGatewayCommands } from './commands/gateway.ts';
import { registerDqCommands } from './commands/dq.ts';
import { registerBackfillCommands } from './commands/backfill.ts';
import { registerRecomputeCommand } from './commands/recompute.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTokensCommands } from './commands/tokens.ts';
import { registerTopologyCommand } from './commands/topology.ts';

const program = new Command()
  .name('oracul')
  .description('Oracul: streaming Ethereum token analytics')
  .showHelpAfterError()
  .exitOverride();

registerConfigCommands(program);
registerMigrateCommands(program);
registerWarehouseCommands(program);
registerStackCommands(program);
registerTopicsCommands(program);
registerStartCommand(program);
registerWorkerCommand(program);
registerSchemasCommands(program);
registerSupersetCommands(program);
registerGatewayCommands(program);
registerDqCommands(program);
registerBackfillCommands(program);
registerRecomputeCommand(program);
registerStatusCommand(program);
registerTokensCommands(program);
registerTopologyCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // One line an operator can act on; the stack trace only with ORACUL_DEBUG.
  const message = error instanceof OraculError ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
  process.stderr.write(`oracul: ${message}\n`);
  if (process.env.ORACUL_DEBUG) console.error(error);
  process.exit(error instanceof OraculError && error.code === 'ORACUL_CONFIG_INVALID' ? 78 : 1);
}
