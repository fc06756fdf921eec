/**
 * The warehouse endpoint in a process of its own, started exactly like
 * server.it.test.ts starts it (startWarehouseServer, ephemeral port, the default
 * users), so a test can read this process's memory from /proc/<pid>/status.
 *
 *   node --import tsx infra/warehouse/testing/serve-child.ts '<json StartWarehouseServerParameters subset>'
 *
 * Prints one JSON line `{"url": ...}` once listening; stops on SIGTERM.
 */
import { clickhouseSchema } from '../../../config/schema.ts';
import { createLogger } from '../../../core/logger.ts';
import { startWarehouseServer, usersFromConfig } from '../index.ts';

interface ChildOptions {
  dataDir: string;
  database: string;
  maxBodyBytes?: number;
  readonlyMaxBodyBytes?: number;
  readonlyMaxExecutionTimeS?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const server = await startWarehouseServer({
  host: '127.0.0.1',
  port: 0,
  users: usersFromConfig(clickhouseSchema.parse({})),
  logger: createLogger({ level: 'silent' }),
  ...options,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
