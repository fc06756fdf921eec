import { join } from 'node:path';
import type { Common } from '../../core/common.ts';
import { NonRetryableError, PortInUseError } from '../../core/errors.ts';
import { componentLogger } from '../../core/logger.ts';
import { selectComponents, type SelectedComponent } from './components.ts';
import { withFileLock } from './file-lock.ts';
import { stackPaths, type StackPaths } from './paths.ts';
import { firstBusyPort } from './port-check.ts';
import {
  isOwnProcess,
  isProcessAlive,
  readPidRecord,
  removePidRecord,
  spawnDetached,
  terminateProcess,
  writePidRecord,
  type PidRecord,
  type TerminateOutcome,
} from './process-control.ts';
import type { ComponentContext, ComponentName, ComponentPort, StackComponent } from './types.ts';
import { waitUntilHealthy } from './wait-healthy.ts';

export interface StackOptions {
  /** Only these components (default: every one enabled in config.stack). */
  components?: readonly ComponentName[];
  /** Where infra/kafka/pom.xml and scripts/oracul.mjs live; default: this checkout. */
  repoRoot?: string;
}

export type UpAction = 'started' | 'already-running' | 'skipped';

export interface ComponentUpResult {
  component: ComponentName;
  version: string;
  host: string;
  port: number;
  ports: readonly ComponentPort[];
  pid: number | null;
  action: UpAction;
  detail: string;
  duration_ms: number;
}

export interface ComponentDownResult {
  component: ComponentName;
  pid: number | null;
  outcome: TerminateOutcome;
}

export type HealthState = 'healthy' | 'unhealthy' | 'stopped' | 'unavailable';

export interface ComponentStatus {
  component: ComponentName;
  version: string;
  host: string;
  port: number;
  ports: readonly ComponentPort[];
  pid: number | null;
  health: HealthState;
  detail: string;
  log_file: string;
}

/**
 * Installs what is missing and starts every selected component that is not
 * already running and healthy, in parallel. Idempotent: on a healthy stack it
 * costs one health probe per component. Throws PortInUseError when a port is
 * taken by something that is not ours, ServiceUnhealthyError (with the log tail)
 * when a component does not become healthy within stack.startTimeoutS.
 */
export async function stackUp(common: Common, options: StackOptions = {}): Promise<ComponentUpResult[]> {
  const paths = stackPaths(common.config, options.repoRoot);
  const selected = selectComponents(common.config, paths, options.components);
  const settled = await Promise.allSettled(selected.map((s) => upOne(s, contextFor(common, paths, s.component))));
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    // Every failure is logged; the first one is thrown for the exit code and message.
    for (const extra of failures.slice(1)) componentLogger(common.logger, 'stack').error({ msg: 'stack up failed', err: extra });
    throw failures[0];
  }
  return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** SIGTERM, then SIGKILL after each component's grace period; only processes this stack started. */
export async function stackDown(common: Common, options: StackOptions = {}): Promise<ComponentDownResult[]> {
  const paths = stackPaths(common.config, options.repoRoot);
  const selected = selectComponents(common.config, paths, options.components, true);
  return Promise.all(selected.map(({ component }) => downOne(component, contextFor(common, paths, component))));
}

/** One row per selected component: running version, ports, pid and a live health probe. */
export async function stackStatus(common: Common, options: StackOptions = {}): Promise<ComponentStatus[]> {
  const paths = stackPaths(common.config, options.repoRoot);
  const selected = selectComponents(common.config, paths, options.components);
  return Promise.all(selected.map(({ component }) => statusOne(component, contextFor(common, paths, component))));
}

function contextFor(common: Common, paths: StackPaths, component: StackComponent): ComponentContext {
  return {
    config: common.config,
    paths,
    logger: componentLogger(common.logger, 'stack', { service: component.name }),
    signal: common.shutdown.signal,
  };
}

async function upOne({ component, explicit }: SelectedComponent, ctx: ComponentContext): Promise<ComponentUpResult> {
  const started = performance.now();
  const done = (action: UpAction, pid: number | null, detail: string, version = component.version): ComponentUpResult => ({
    component: component.name,
    version,
    host: component.host,
    port: mainPort(component),
    ports: component.ports,
    pid,
    action,
    detail,
    duration_ms: Math.round(performance.now() - started),
  });

  const unavailable = component.unavailableReason(ctx);
  if (unavailable !== undefined) {
    if (explicit) throw new NonRetryableError('ORACUL_STACK_COMPONENT_UNAVAILABLE', `${component.name}: ${unavailable}`);
    ctx.logger.warn({ msg: 'skipped', reason: unavailable });
    return done('skipped', null, unavailable);
  }

  // Fast path without locks or install checks: a healthy stack costs one probe.
  const running = await ownRunningProcess(component, ctx.paths);
  if (running) {
    checkRunningMatchesConfig(component, running, ctx);
    const health = await component.health(ctx);
    if (health.healthy) {
      ctx.logger.info({ msg: 'already running', pid: running.pid, port: mainPort(component) });
      return done('already-running', running.pid, health.detail, running.version);
    }
  }

  await component.install(ctx);

  const timeoutMs = ctx.config.stack.startTimeoutS * 1000;
  const logFile = ctx.paths.logFile(component.name);
  const pidFile = ctx.paths.pidFile(component.name);
  // One starter per component and state dir: a concurrent `up` waits here, then finds it running.
  return withFileLock(
    join(ctx.paths.componentStateDir(component.name), 'start.lock'),
    async () => {
      const current = await ownRunningProcess(component, ctx.paths);
      if (current) {
        checkRunningMatchesConfig(component, current, ctx);
        ctx.logger.info({ msg: 'waiting for the running process to become healthy', pid: current.pid });
        const health = await waitUntilHealthy({
          component,
          ctx,
          timeoutMs,
          logFile,
          exitReason: () => (isProcessAlive(current.pid) ? undefined : `process ${current.pid} exited`),
        });
        return done('already-running', current.pid, health.detail, current.version);
      }

      await removePidRecord(pidFile);
      const busy = await firstBusyPort(
        component.host,
        component.ports.map((p) => p.port),
      );
      if (busy !== undefined) throw new PortInUseError(busy, component.host, component.name);

      const spec = await component.prepareLaunch(ctx);
      const child = await spawnDetached(spec, logFile, `start ${component.name} ${component.version}`);
      const pid = child.pid;
      if (pid === undefined) throw new NonRetryableError('ORACUL_STACK_START_FAILED', `${component.name}: spawn returned no pid`);
      let exited: string | undefined;
      child.once('exit', (code, signal) => {
        exited = `process exited with ${signal ?? `code ${code}`}`;
      });
      await writePidRecord(pidFile, {
        pid,
        component: component.name,
        version: component.version,
        ports: component.ports.map((p) => p.port),
        started_at: new Date().toISOString(),
      });
      ctx.logger.info({ msg: 'starting', pid, version: component.version, port: mainPort(component), log_file: logFile });
      try {
        const health = await waitUntilHealthy({ component, ctx, timeoutMs, logFile, exitReason: () => exited });
        await component.afterStart?.(ctx);
        const result = done('started', pid, health.detail);
        ctx.logger.info({ msg: 'healthy', pid, duration_ms: result.duration_ms, detail: health.detail });
        return result;
      } catch (error) {
        // Leave nothing half-started: the next `up` begins from a clean slate.
        await terminateProcess(pid, component.stopGraceMs);
        await removePidRecord(pidFile);
        throw error;
      }
    },
    {
      timeoutMs: timeoutMs + 60_000,
      signal: ctx.signal,
      onWait: (owner) => ctx.logger.info({ msg: 'another stack up is starting this component; waiting', owner_pid: owner }),
    },
  );
}

async function downOne(component: StackComponent, ctx: ComponentContext): Promise<ComponentDownResult> {
  const pidFile = ctx.paths.pidFile(component.name);
  const record = await readPidRecord(pidFile);
  if (!record || !isOwnProcess(record.pid, component.processMarker)) {
    await removePidRecord(pidFile);
    return { component: component.name, pid: null, outcome: 'not-running' };
  }
  const started = performance.now();
  const outcome = await terminateProcess(record.pid, component.stopGraceMs);
  await removePidRecord(pidFile);
  const log = outcome === 'killed' ? ctx.logger.warn.bind(ctx.logger) : ctx.logger.info.bind(ctx.logger);
  log({
    msg: outcome === 'killed' ? 'killed after grace period' : 'stopped',
    pid: record.pid,
    duration_ms: Math.round(performance.now() - started),
  });
  return { component: component.name, pid: record.pid, outcome };
}

async function statusOne(component: StackComponent, ctx: ComponentContext): Promise<ComponentStatus> {
  const row = (health: HealthState, detail: string, pid: number | null = null, version = component.version): ComponentStatus => ({
    component: component.name,
    version,
    host: component.host,
    port: mainPort(component),
    ports: component.ports,
    pid,
    health,
    detail,
    log_file: ctx.paths.logFile(component.name),
  });
  const running = await ownRunningProcess(component, ctx.paths);
  if (running) {
    const health = await component.health(ctx);
    return row(health.healthy ? 'healthy' : 'unhealthy', health.detail, running.pid, running.version);
  }
  const unavailable = component.unavailableReason(ctx);
  if (unavailable !== undefined) return row('unavailable', unavailable);
  const busy = await firstBusyPort(
    component.host,
    component.ports.map((p) => p.port),
  );
  return row('stopped', busy === undefined ? 'not running' : `not running; port ${busy} is used by another process`);
}

async function ownRunningProcess(component: StackComponent, paths: StackPaths): Promise<PidRecord | undefined> {
  const record = await readPidRecord(paths.pidFile(component.name));
  return record && isOwnProcess(record.pid, component.processMarker) ? record : undefined;
}

/** A process started with other ports can never pass the new health check: say so instead of timing out. */
function checkRunningMatchesConfig(component: StackComponent, running: PidRecord, ctx: ComponentContext): void {
  const wanted = component.ports.map((p) => p.port).join(',');
  if (running.ports.join(',') !== wanted) {
    throw new NonRetryableError(
      'ORACUL_STACK_RESTART_NEEDED',
      `${component.name} (pid ${running.pid}) runs on ports ${running.ports.join(',')} but the config says ${wanted}; run \`oracul stack down --only ${component.name}\` first`,
      { details: { component: component.name, pid: running.pid, running_ports: running.ports, config_ports: component.ports } },
    );
  }
  if (running.version !== component.version) {
    ctx.logger.warn({
      msg: 'running version differs from config; restart to apply',
      running_version: running.version,
      config_version: component.version,
    });
  }
}

function mainPort(component: StackComponent): number {
  return component.ports[0]?.port ?? 0;
}
