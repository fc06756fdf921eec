import type { Logger } from './logger.ts';

export type ShutdownCallback = () => void | Promise<void>;

export interface Shutdown {
  /** Aborted once shutdown starts; long loops pass it to I/O so they stop promptly. */
  readonly signal: AbortSignal;
  /** Registers a closer; closers run in reverse order of registration (consumers before LMDB before ClickHouse). */
  add(name: string, callback: ShutdownCallback): void;
  /** Runs every closer once, even if some fail; later calls return the same promise. */
  run(reason: string): Promise<void>;
  readonly isShuttingDown: boolean;
}

export function createShutdown(logger: Logger): Shutdown {
  const controller = new AbortController();
  const callbacks: { name: string; callback: ShutdownCallback }[] = [];
  let running: Promise<void> | undefined;
  return {
    signal: controller.signal,
    get isShuttingDown() {
      return running !== undefined;
    },
    add(name, callback) {
      callbacks.push({ name, callback });
    },
    run(reason) {
      running ??= (async () => {
        logger.info({ msg: 'shutting down', reason });
        controller.abort(new Error(`shutdown: ${reason}`));
        for (const { name, callback } of [...callbacks].reverse()) {
          const started = performance.now();
          try {
            await callback();
            logger.debug({ msg: 'closed', closer: name, duration_ms: Math.round(performance.now() - started) });
          } catch (error) {
            logger.error({ msg: 'closer failed', closer: name, err: error });
          }
        }
      })();
      return running;
    },
  };
}

/** Wires SIGINT/SIGTERM to a shutdown; a second signal exits at once. */
export function handleSignals(shutdown: Shutdown, exit: (code: number) => void = process.exit): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count > 1) exit(130);
    void shutdown.run(signal).then(() => exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
