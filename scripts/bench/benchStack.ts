import type { OraculConfig } from '../../config/schema.ts';
import { deepMerge } from '../../config/load.ts';
import { loadConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { stackDown, stackUp, type ComponentName } from '../../infra/stack/index.ts';

/**
 * The stack a benchmark runs on: its own ports (test ports + ORACUL_BENCH_PORT_OFFSET, default 700) and state dir,
 * started here and stopped at the end, so a benchmark never touches a developer's stack or a test run.
 * `--external` uses the configured endpoints instead (a real cluster).
 */
export interface BenchStack {
  readonly common: Common;
  readonly config: OraculConfig;
  stop(): Promise<void>;
}

export async function startBenchStack(
  components: readonly ComponentName[],
  overrides: Record<string, unknown> = {},
): Promise<BenchStack> {
  const external = process.argv.includes('--external');
  const offset = Number.parseInt(process.env.ORACUL_BENCH_PORT_OFFSET ?? '700', 10);
  const host = '127.0.0.1';
  const local = {
    env: 'test',
    logLevel: 'warn',
    stack: {
      stateDir: `.infra/bench-state-${offset}`,
      kafka: { port: 19092 + offset, controllerPort: 19093 + offset },
      registry: { port: 18081 + offset, managementPort: 19001 + offset },
      warehouse: { port: 18123 + offset },
    },
    kafka: { brokers: [`${host}:${19092 + offset}`], schemaRegistryUrl: `http://${host}:${18081 + offset}/apis/ccompat/v7` },
    clickhouse: { url: `http://${host}:${18123 + offset}` },
  };
  const config = loadConfig({ overrides: deepMerge(external ? {} : local, overrides) });
  const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench' } });
  const common: Common = { config, logger, shutdown: createShutdown(logger) };
  if (!external) await stackUp(common, { components: [...components] });
  return {
    common,
    config,
    async stop() {
      if (!external) await stackDown(common, { components: [...components] });
    },
  };
}

/** Peak resident set size of a process (VmHWM), in MiB; null when /proc is unavailable. */
export async function peakRssMiB(pid: number = process.pid): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}
