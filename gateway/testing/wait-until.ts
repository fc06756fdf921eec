import { vi } from 'vitest';

/** Resolves once `check()` holds; fails the test when it still does not after `timeout` ms (vi.waitFor). */
export function waitUntil(check: () => boolean, timeout = 15_000): Promise<void> {
  return vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out waiting for ${check.toString()}`);
    },
    { timeout, interval: 10 },
  );
}
