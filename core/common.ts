import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from './logger.ts';
import type { Shutdown } from './shutdown.ts';

/** Shared services passed explicitly to every component; no singletons. */
export interface Common {
  readonly config: OraculConfig;
  readonly logger: Logger;
  readonly shutdown: Shutdown;
}
