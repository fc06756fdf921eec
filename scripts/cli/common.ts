import { loadConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown, handleSignals } from '../../core/shutdown.ts';

/** Config, logger and shutdown for one CLI run; SIGINT/SIGTERM run the shutdown (pending waits abort). */
export function createCliCommon(): Common {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const shutdown = createShutdown(logger);
  handleSignals(shutdown);
  return { config, logger, shutdown };
}
