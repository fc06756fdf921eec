import type { OraculConfig } from '../../config/schema.ts';
import type { Logger } from '../../core/logger.ts';
import type { StackPaths } from './paths.ts';

export type ComponentName = 'kafka' | 'registry' | 'warehouse';
export const COMPONENT_NAMES: readonly ComponentName[] = ['kafka', 'registry', 'warehouse'];

export interface ComponentPort {
  /** What the port is for, e.g. `broker`, `controller`, `http`, `management`. */
  readonly role: string;
  readonly port: number;
}

export interface HealthResult {
  readonly healthy: boolean;
  /** Short human reason, shown by `stack status` and in timeout errors. */
  readonly detail: string;
}

/** How to launch a component; the supervisor owns spawning, logs and pid files. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ComponentContext {
  readonly config: OraculConfig;
  readonly paths: StackPaths;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * One local service of the stack. Pure description plus three actions; the
 * supervisor adds locking, port checks, pid files and health waiting around them.
 */
export interface StackComponent {
  readonly name: ComponentName;
  readonly version: string;
  readonly host: string;
  /** Every port the process binds; all are checked before starting. The first is the main one. */
  readonly ports: readonly ComponentPort[];
  /**
   * A string that appears in the command line of our own process, so a pid file
   * that outlived its process (pid reuse) is never mistaken for a running component.
   */
  readonly processMarker: string;
  /** SIGTERM grace before SIGKILL; Kafka needs time for a controlled shutdown. */
  readonly stopGraceMs: number;
  /** Why the component cannot run here (missing command...), or undefined when it can. */
  unavailableReason(ctx: ComponentContext): string | undefined;
  /** Idempotent: a second call with the same version returns quickly. */
  install(ctx: ComponentContext): Promise<void>;
  /** Prepares state (config files, storage format) and says how to launch. */
  prepareLaunch(ctx: ComponentContext): Promise<LaunchSpec>;
  health(ctx: ComponentContext): Promise<HealthResult>;
  /** Once, right after a start we made turned healthy: warm-ups so the first client does not pay for them. */
  afterStart?(ctx: ComponentContext): Promise<void>;
}
