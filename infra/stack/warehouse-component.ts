import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OraculConfig } from '../../config/schema.ts';
import { describeFetchError } from './fetch-error.ts';
import type { StackPaths } from './paths.ts';
import type { HealthResult, StackComponent } from './types.ts';

/**
 * The ClickHouse-compatible HTTP endpoint in front of the embedded engine, served
 * by our own CLI. It reads the whole config itself; the supervisor only pins the
 * values that must agree with the stack it starts (port, host, state dir).
 */
export function createWarehouseComponent(config: OraculConfig, paths: StackPaths): StackComponent {
  const { warehouse, host } = config.stack;
  const entry = join(paths.repoRoot, 'scripts', 'oracul.mjs');
  const command = join(paths.repoRoot, 'scripts', 'cli', 'commands', 'warehouse.ts');
  return {
    name: 'warehouse',
    version: repoVersion(paths.repoRoot),
    host,
    ports: [{ role: 'http', port: warehouse.port }],
    processMarker: 'oracul.mjs warehouse serve',
    stopGraceMs: 10_000,
    unavailableReason: () => (existsSync(command) ? undefined : '`oracul warehouse serve` is not in this checkout yet'),
    // Its code and npm dependencies are the repository's own: nothing to fetch.
    install: async () => undefined,
    prepareLaunch: async () => ({
      command: process.execPath,
      args: [entry, 'warehouse', 'serve'],
      cwd: paths.repoRoot,
      env: {
        ...process.env,
        ORACUL_STACK_HOST: host,
        ORACUL_STACK_WAREHOUSE_PORT: String(warehouse.port),
        ORACUL_STACK_STATE_DIR: paths.stateRoot,
        ORACUL_LOG_LEVEL: config.logLevel,
      },
    }),
    health: () => warehouseHealth(host, warehouse.port),
  };
}

export async function warehouseHealth(host: string, port: number): Promise<HealthResult> {
  try {
    const response = await fetch(`http://${host}:${port}/ping`, { signal: AbortSignal.timeout(2_000) });
    const body = await response.text();
    return response.ok && body === 'Ok.\n'
      ? { healthy: true, detail: 'ping Ok.' }
      : { healthy: false, detail: `ping ${response.status} ${JSON.stringify(body.slice(0, 40))}` };
  } catch (error) {
    return { healthy: false, detail: describeFetchError(error) };
  }
}

function repoVersion(repoRoot: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
