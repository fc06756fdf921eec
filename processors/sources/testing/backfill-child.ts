/**
 * `runBlockSource` in a process of its own, for kill -9 tests. Config: the environment
 * (the integration stack's ORACUL_* variables) plus ORACUL_TEST_CONFIG_OVERRIDES (JSON).
 * ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH=<n> SIGKILLs the process right after the n-th Kafka
 * transaction committed and before its LMDB checkpoint is written (the worst moment).
 * Prints one JSON line per committed batch: {"checkpoint": <block>}.
 */
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown } from '../../../core/shutdown.ts';
import { createSchemaRegistrySerdes } from '../../../schemas/index.ts';
import { runBlockSource } from '../loop/block-source.ts';

const overrides = JSON.parse(process.env.ORACUL_TEST_CONFIG_OVERRIDES ?? '{}') as Record<string, unknown>;
const config = loadConfig({ overrides });
const logger = createLogger({ level: 'info', pretty: false, base: { scope: 'source-child' } });
const common = { config, logger, shutdown: createShutdown(logger) };
const crashAfter = Number(process.env.ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH ?? '0');
let published = 0;

const from = Number(process.env.ORACUL_TEST_FROM);
const to = Number(process.env.ORACUL_TEST_TO);
await runBlockSource(
  common,
  {
    serdes: createSchemaRegistrySerdes({ config }),
    afterPublish: () => {
      published += 1;
      if (crashAfter > 0 && published === crashAfter) process.kill(process.pid, 'SIGKILL');
    },
    afterCommit: (checkpoint) => {
      process.stdout.write(`${JSON.stringify({ checkpoint: checkpoint.blockNumber })}\n`);
    },
  },
  { from, to },
);
await common.shutdown.run('done');
