import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { backoffDelayMs } from '../retry.ts';

export interface SupervisedConsumerParameters {
  /** What the consumer is for, in logs (e.g. its group id). */
  name: string;
  logger: Logger;
  /** A new kafkajs consumer, with the caller's event listeners attached. Called again for every restart. */
  create(): Consumer;
  /** Connects, subscribes and runs a consumer made by `create`. */
  run(consumer: Consumer): Promise<void>;
  /** Called on every crash of the current consumer, before any restart (e.g. to drop uncommitted work). */
  onCrash?(error: Error, kafkajsRestarts: boolean): void | Promise<void>;
  /** Restart backoff: doubles from `initialDelayMs` up to `maxDelayMs`, with up to 100 % jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface SupervisedConsumer {
  /** The consumer running now (a crash replaces it). */
  readonly current: Consumer;
  /** Runs the first consumer; rejects if that fails (the caller decides whether to retry start-up). */
  start(): Promise<void>;
  /** Stops restarting and disconnects the current consumer. */
  stop(): Promise<void>;
}

/**
 * A kafkajs consumer that keeps running. kafkajs restarts a crashed consumer only after retriable errors; others
 * (a broker restart can end one with "Failed to find group coordinator", or a handler error once retries are spent)
 * stop it for good while the process stays up and looks healthy. Such a crash here disconnects it and runs a new one
 * from `create`, with backoff, until `stop()`. The new member resumes from the group's committed offsets, like any
 * rebalance, so callers must not have acted on uncommitted records (see `onCrash`).
 */
export function superviseConsumer(params: SupervisedConsumerParameters): SupervisedConsumer {
  const { name, logger } = params;
  const initialDelayMs = params.initialDelayMs ?? 500;
  const maxDelayMs = params.maxDelayMs ?? 30_000;
  const abort = new AbortController();
  let current: Consumer = params.create();
  let restarting: Promise<void> | undefined;

  const watch = (consumer: Consumer): void => {
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer !== current) return;
      const { error, restart } = event.payload;
      logger.error({ msg: 'consumer crashed', consumer: name, err: error, kafkajs_restarts: restart });
      void (async () => {
        try {
          await params.onCrash?.(error, restart);
        } catch (err) {
          logger.error({ msg: 'consumer crash handler failed', consumer: name, err });
        }
        if (!restart && !abort.signal.aborted) restarting ??= restartLoop().finally(() => (restarting = undefined));
      })();
    });
  };

  const restartLoop = async (): Promise<void> => {
    for (let attempt = 0; !abort.signal.aborted; attempt += 1) {
      await current.disconnect().catch(() => undefined);
      const delay = backoffDelayMs(attempt + 1, { initialDelayMs, maxDelayMs });
      await sleep(delay, undefined, { signal: abort.signal }).catch(() => undefined);
      if (abort.signal.aborted) return;
      current = params.create();
      watch(current);
      try {
        await params.run(current);
        logger.warn({ msg: 'consumer restarted after a crash', consumer: name, attempt: attempt + 1 });
        return;
      } catch (err) {
        logger.error({ msg: 'consumer restart failed; retrying', consumer: name, attempt: attempt + 1, err });
      }
    }
  };

  watch(current);
  return {
    get current() {
      return current;
    },
    start: () => params.run(current),
    async stop() {
      abort.abort();
      await restarting;
      await current.disconnect();
    },
  };
}
