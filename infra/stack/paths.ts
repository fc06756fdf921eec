import { isAbsolute, join, resolve } from 'node:path';
import type { OraculConfig } from '../../config/schema.ts';
import { REPO_ROOT } from '../../config/load.ts';

export interface StackPaths {
  readonly repoRoot: string;
  /** Pinned binaries, shared by every profile (dev stack and test stack). */
  readonly installRoot: string;
  /** Data, logs and pid files of one stack instance. */
  readonly stateRoot: string;
  componentStateDir(component: string): string;
  logFile(component: string): string;
  pidFile(component: string): string;
  /** Locks that serialize installs across concurrent `stack up` runs. */
  installLockDir(name: string): string;
}

/** stack.dir and stack.stateDir are relative to the repo root unless absolute. */
export function stackPaths(config: Pick<OraculConfig, 'stack'>, repoRoot: string = REPO_ROOT): StackPaths {
  const fromRoot = (p: string): string => (isAbsolute(p) ? p : resolve(repoRoot, p));
  const installRoot = fromRoot(config.stack.dir);
  const stateRoot = fromRoot(config.stack.stateDir);
  return {
    repoRoot,
    installRoot,
    stateRoot,
    componentStateDir: (component) => join(stateRoot, component),
    logFile: (component) => join(stateRoot, component, `${component}.log`),
    pidFile: (component) => join(stateRoot, component, `${component}.pid`),
    installLockDir: (name) => join(installRoot, '.locks', `${name}.lock`),
  };
}
