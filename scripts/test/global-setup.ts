import { rm } from 'node:fs/promises';
import { relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { Common } from '../../core/common.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { stackDown, stackPaths, stackUp } from '../../infra/stack/index.ts';
import { testConfig, testStackEndpoints, testStackEnv } from './test-config.ts';

/**
 * Vitest global setup of the `integration` project: one local stack (Kafka,
 * registry, warehouse) for the whole run, installed if missing (CI starts from
 * nothing), on the test ports and a fresh test state dir. Returns the teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = testConfig();
  const logger = createLogger({ level: config.logLevel, pretty: false, base: { scope: 'test-stack' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  const paths = stackPaths(config);
  if (relative(paths.stateRoot, paths.repoRoot) === '' || relative(paths.stateRoot, paths.installRoot) === '') {
    throw new Error(`refusing to wipe ${paths.stateRoot}: the test state dir must be a folder of its own`);
  }

  // A run killed half-way may have left its stack up: stop it before wiping its state.
  await stackDown(common);
  await rm(paths.stateRoot, { recursive: true, force: true });
  try {
    await stackUp(common);
  } catch (error) {
    // Vitest skips the teardown when setup throws: do not leave JVMs behind.
    await stackDown(common).catch(() => undefined);
    throw error;
  }

  project.provide('oraculStack', testStackEndpoints(config));
  Object.assign(process.env, testStackEnv(config));

  return async () => {
    await stackDown(common);
  };
}
