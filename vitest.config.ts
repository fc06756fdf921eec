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
