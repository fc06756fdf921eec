/**
 * A raw_blocks sink in a process of its own, for crash tests: with
 * ORACUL_TEST_SINK_CRASH_AFTER_INSERT=1 it SIGKILLs itself after ClickHouse acknowledged
 * its first batch and before the offsets are committed (a real `kill -9` at the worst moment).
 * Config comes from the environment (the integration stack's ORACUL_* variables).
 */
import { writeSync } from 'node:fs';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { createShutdown } from '../../../core/shutdown.ts';
import { createSchemaRegistrySerdes } from '../../../schemas/index.ts';
import { createClickHouseSink } from '../clickhouse-sink.ts';
import { RAW_BLOCKS_COLUMNS } from '../raw-columns.ts';
import { blockRows } from '../raw-rows.ts';

const config = loadConfig();
const logger = createLogger({ level: 'info', pretty: false, base: { scope: 'sink-child' } });
const common = { config, logger, shutdown: createShutdown(logger) };
const crash = process.env.ORACUL_TEST_SINK_CRASH_AFTER_INSERT === '1';

const sink = createClickHouseSink(common, {
  serdes: createSchemaRegistrySerdes({ config }),
  topic: 'eth.blocks.raw',
  table: 'raw_blocks',
  groupId: process.env.ORACUL_TEST_SINK_GROUP ?? 'sink-child',
  toRows: blockRows,
  rowBinary: { columns: RAW_BLOCKS_COLUMNS },
  batch: { maxRows: 1_000_000, maxWaitMs: 500 },
  sessionTimeoutMs: 6_000,
  afterInsert: (info) => {
    if (crash && info.rows > 0) {
      // Synchronous write: the process dies on the next line, asynchronous log output would be lost.
      writeSync(1, `${JSON.stringify({ msg: 'inserted; crashing before the commit', rows: info.rows })}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
await sink.start();
await sink.waitUntilCaughtUp({ timeoutMs: 60_000 });
await sink.stop();
