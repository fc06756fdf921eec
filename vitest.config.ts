import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '.infra/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...exclude, '**/*.it.test.ts', '**/*.bi.test.ts', '**/*.chaos.test.ts'],
          environment: 'node',
          // Some unit tests spawn the CLI or a local HTTP server; on two cores shared with the integration stack the
          // 5 s default was hit (and a timed-out CLI test left its child running). A hung test still fails.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.it.test.ts'],
          exclude,
          environment: 'node',
          // Integration tests share one local stack started once (real Kafka, registry, ClickHouse engine).
          globalSetup: ['./scripts/test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
