import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos` (run by .ci/run): fault-tolerance tests that break real services — kill -9 of `oracul start`,
 * a Kafka restart, 60 s ClickHouse and RPC outages (scripts/chaos/*.chaos.test.ts). Kept out of `npm test` because
 * one run takes about 8 minutes. Same test stack as the integration project (its own state dir and ports).
 */
export default defineConfig({
  test: {
    name: 'chaos',
    include: ['scripts/chaos/**/*.chaos.test.ts'],
    exclude: ['**/node_modules/**', '.infra/**'],
    environment: 'node',
    globalSetup: ['./scripts/test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
