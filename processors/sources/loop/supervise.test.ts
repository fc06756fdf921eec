import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.ts';
import type { Common } from '../../../core/common.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown } from '../../../core/shutdown.ts';
import { RpcConnectionError } from '../rpc/errors.ts';
import type { RunSummary } from './block-source.ts';
import { superviseBlockSource } from './supervise.ts';

const logger = createLogger({ level: 'silent' });
const common = (): Common => ({ config: loadConfig(), logger, shutdown: createShutdown(logger) });
const connectionRefused = () =>
  new RpcConnectionError({ method: 'eth_blockNumber', endpoint: 'http://127.0.0.1:1/' }, 'ECONNREFUSED');

describe('superviseBlockSource', () => {
  it('restarts the source after failures until it runs, and stops with the signal', async () => {
    const c = common();
    const controller = new AbortController();
    const starts: number[] = [];
    const stats = await superviseBlockSource(
      c,
      { serdes: undefined as never, chain: 'devnet' },
      { signal: controller.signal },
      {
        minDelayMs: 5,
        maxDelayMs: 20,
        run: async (_common, _options, range) => {
          starts.push(Date.now());
          if (starts.length <= 3) throw connectionRefused();
          // The fourth run is healthy: it runs until stopped, as live ingestion does.
          setTimeout(() => controller.abort(), 20);
          await new Promise((resolve) => range.signal!.addEventListener('abort', resolve, { once: true }));
          return {} as RunSummary;
        },
      },
    );
    expect(stats).toEqual({ runs: 4, failures: 3 });
    expect(starts).toHaveLength(4);
  });

  it('gives up waiting when stopped during the backoff', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    const stats = await superviseBlockSource(
      common(),
      { serdes: undefined as never },
      { signal: controller.signal },
      {
        minDelayMs: 60_000,
        run: async () => {
          throw new Error('bug');
        },
      },
    );
    expect(stats).toEqual({ runs: 1, failures: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
