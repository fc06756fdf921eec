import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { createSinkRetry, type SinkRetryParameters } from './sink-retry.ts';

const transient = (error: unknown): boolean => (error as Error).message === 'down';

function retryWith(overrides: Partial<SinkRetryParameters> = {}) {
  const heartbeat = vi.fn(async () => undefined);
  const onRetry = vi.fn();
  const retry = createSinkRetry({
    logger: createLogger({ level: 'silent', pretty: false }),
    policy: { initialDelayMs: 1, maxDelayMs: 4 },
    signal: new AbortController().signal,
    bufferedRows: () => 0,
    onRetry,
    heartbeat: () => heartbeat,
    ...overrides,
  });
  return { retry, heartbeat, onRetry };
}

describe('createSinkRetry', () => {
  it('retries transient failures without an attempt limit, with a heartbeat after each wait', async () => {
    const { retry, heartbeat, onRetry } = retryWith();
    let calls = 0;
    const result = await retry(
      'insert',
      async () => {
        calls += 1;
        if (calls < 6) throw new Error('down');
        return 'ok';
      },
      transient,
    );
    expect(result).toBe('ok');
    expect(calls).toBe(6);
    expect(onRetry.mock.calls).toEqual(Array.from({ length: 5 }, () => ['insert']));
    expect(heartbeat).toHaveBeenCalledTimes(5);
  });

  it('rethrows at once what is not transient', async () => {
    const { retry, onRetry } = retryWith();
    const bug = new Error('bug');
    await expect(retry('insert', () => Promise.reject(bug), transient)).rejects.toBe(bug);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('stops waiting once the signal aborts (stop() gave up)', async () => {
    const abort = new AbortController();
    const { retry } = retryWith({ signal: abort.signal, policy: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const running = retry('insert', () => Promise.reject(new Error('down')), transient);
    abort.abort(new Error('sink stop timeout'));
    await expect(running).rejects.toThrow();
  });
});
