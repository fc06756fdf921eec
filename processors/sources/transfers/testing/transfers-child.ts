/**
 * `runTransfersBackfill` in a process of its own, for kill -9 tests (as ../../testing/backfill-child.ts is for the
 * block source). Config: the environment plus ORACUL_TEST_CONFIG_OVERRIDES (JSON); range ORACUL_TEST_FROM/TO.
 * ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH=<n> SIGKILLs the process right after the n-th Kafka transaction
 * committed and before its LMDB checkpoint is written (the worst moment).
 * Prints one JSON line per committed transaction: {"checkpoint": <block>}.
 */
import { loadConfig } from '../../../../config/index.ts';
import { createLogger } from '../../../../core/logger.ts';
import { createShutdown } from '../../../../core/shutdown.ts';
import { createSchemaRegistrySerdes } from '../../../../schemas/index.ts';
import { runTransfersBackfill } from '../transfers-source.ts';

const overrides = JSON.parse(process.env.ORACUL_TEST_CONFIG_OVERRIDES ?? '{}') as Record<string, unknown>;
const config = loadConfig({ overrides });
const logger = createLogger({ level: 'info', pretty: false, base: { scope: 'transfers-child' } });
const common = { config, logger, shutdown: createShutdown(logger) };
const crashAfter = Number(process.env.ORACUL_TEST_SOURCE_CRASH_AFTER_PUBLISH ?? '0');
let published = 0;

await runTransfersBackfill(
  common,
  {
    serdes: createSchemaRegistrySerdes({ config }),
    range: { initial: 4, max: 8, targetLogs: 200 },
    transactionMaxBlocks: 8,
    afterPublish: () => {
      published += 1;
      if (crashAfter > 0 && published === crashAfter) process.kill(process.pid, 'SIGKILL');
    },
    afterCommit: (checkpoint) => {
      process.stdout.write(`${JSON.stringify({ checkpoint: checkpoint.blockNumber })}\n`);
    },
  },
  { from: Number(process.env.ORACUL_TEST_FROM), to: Number(process.env.ORACUL_TEST_TO) },
);
await common.shutdown.run('done');
