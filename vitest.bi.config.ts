import { defineConfig } from 'vitest/config';

/**
 * `npm run test:bi`: Superset on a seeded warehouse, checked through its REST API and in headless Chromium
 * (infra/superset/*.bi.test.ts). Kept out of `npm test` because the first run installs Superset into a venv.
 */
export default defineConfig({
  test: {
    name: 'bi',
    include: ['infra/superset/**/*.bi.test.ts'],
    exclude: ['**/node_modules/**', '.infra/**'],
    environment: 'node',
    testTimeout: 300_000,
    // The first run installs Superset (pip) and migrates its metadata database.
    hookTimeout: 900_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
