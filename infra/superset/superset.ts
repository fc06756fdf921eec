import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../config/index.ts';
import type { OraculConfig } from '../../config/schema.ts';
import { NonRetryableError } from '../../core/errors.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import { isPortFree } from '../stack/port-check.ts';
import {
  isOwnProcess,
  readPidRecord,
  removePidRecord,
  spawnDetached,
  terminateProcess,
  writePidRecord,
} from '../stack/process-control.ts';
import { runCommand } from '../stack/run-command.ts';
import { datasetsOnly, renderBundle, writeBundleFolder, type BundleConnection, type BundleFile } from './bundle.ts';

/**
 * Apache Superset for Oracul's BI: a pinned install in a venv under `<stack.dir>/superset/venv`
 * (infra/superset/install.sh), state (SQLite metadata, generated SECRET_KEY and admin password, pid, log) in
 * a state directory, gunicorn on 127.0.0.1, and the dashboards bundle imported with Superset's own CLI.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
export const SUPERSET_VERSION = '6.0.0';
export const SUPERSET_ADMIN = 'admin';
const STOP_GRACE_MS = 10_000;

export interface SupersetOptions {
  readonly host: string;
  readonly port: number;
  /** The venv (shared, installed once). */
  readonly venvDir: string;
  /** SQLite metadata, secret key, admin password, pid file, log. */
  readonly stateDir: string;
  readonly connection: BundleConnection;
  readonly logger: Logger;
}

export interface SupersetOverrides {
  readonly port?: number;
  readonly stateDir?: string;
}

/** Defaults: 127.0.0.1:8088, venv `<stack.dir>/superset/venv`, state `<stack.dir>/superset/state`. */
export function supersetOptions(
  config: Pick<OraculConfig, 'stack' | 'clickhouse'>,
  logger: Logger,
  overrides: SupersetOverrides = {},
): SupersetOptions {
  const abs = (p: string): string => (isAbsolute(p) ? p : join(REPO_ROOT, p));
  const root = join(abs(config.stack.dir), 'superset');
  return {
    host: config.stack.host,
    port: overrides.port ?? 8088,
    venvDir: join(root, 'venv'),
    stateDir: overrides.stateDir === undefined ? join(root, 'state') : abs(overrides.stateDir),
    connection: {
      url: config.clickhouse.url,
      database: config.clickhouse.database,
      readonlyUsername: config.clickhouse.readonlyUsername,
      readonlyPassword: config.clickhouse.readonlyPassword,
    },
    logger: componentLogger(logger, 'superset'),
  };
}

const files = (o: SupersetOptions) => ({
  secretKey: join(o.stateDir, 'secret_key'),
  adminPassword: join(o.stateDir, 'admin_password'),
  initialised: join(o.stateDir, '.initialised'),
  pid: join(o.stateDir, 'superset.pid'),
  log: join(o.stateDir, 'superset.log'),
  bin: (name: string) => join(o.venvDir, 'bin', name),
});

export const supersetUrl = (o: Pick<SupersetOptions, 'host' | 'port'>): string => `http://${o.host}:${o.port}`;

/** Environment of every Superset process: our config file, the state dir, UTC. */
function supersetEnv(o: SupersetOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SUPERSET_CONFIG_PATH: join(HERE, 'superset_config.py'),
    ORACUL_SUPERSET_STATE_DIR: o.stateDir,
    SUPERSET_HOME: o.stateDir,
    FLASK_APP: 'superset',
    TZ: 'UTC',
    PYTHONUNBUFFERED: '1',
  };
}

/** Installs the pinned venv if missing (idempotent; a stamp makes a second run immediate). */
export async function installSuperset(o: SupersetOptions): Promise<void> {
  await runCommand({
    command: 'bash',
    args: [join(HERE, 'install.sh'), o.venvDir],
    cwd: REPO_ROOT,
    errorCode: 'ORACUL_SUPERSET_INSTALL_FAILED',
    purpose: `install Apache Superset ${SUPERSET_VERSION} into ${o.venvDir}`,
  });
}

async function superset(o: SupersetOptions, args: string[], purpose: string): Promise<void> {
  await runCommand({
    command: files(o).bin('superset'),
    args,
    cwd: o.stateDir,
    env: supersetEnv(o),
    errorCode: 'ORACUL_SUPERSET_COMMAND_FAILED',
    purpose,
    missingHint: 'run `oracul superset up` to install Superset',
  });
}

async function secretFile(path: string, bytes: number): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== '') return existing.trim();
  const value = randomBytes(bytes).toString('base64url');
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return value;
}

/** The generated admin password (created by `initSuperset`). */
export async function adminPassword(o: Pick<SupersetOptions, 'stateDir'>): Promise<string> {
  const text = await readFile(join(o.stateDir, 'admin_password'), 'utf8').catch(() => undefined);
  if (text === undefined)
    throw new NonRetryableError(
      'ORACUL_SUPERSET_NOT_INITIALISED',
      `no admin password in ${o.stateDir}: run \`oracul superset up\``,
    );
  return text.trim();
}

/**
 * State dir, generated SECRET_KEY and admin password, metadata DB migrations, the admin user and roles.
 * `db upgrade` and `init` are idempotent; the admin is created once.
 */
export async function initSuperset(o: SupersetOptions): Promise<void> {
  const f = files(o);
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  await secretFile(f.secretKey, 48);
  const password = await secretFile(f.adminPassword, 18);
  o.logger.info({ msg: 'migrating the Superset metadata database', state_dir: o.stateDir });
  await superset(o, ['db', 'upgrade'], 'migrate the Superset metadata database');
  if (!existsSync(f.initialised)) {
    await superset(
      o,
      [
        'fab',
        'create-admin',
        '--username',
        SUPERSET_ADMIN,
        '--firstname',
        'Oracul',
        '--lastname',
        'Admin',
        '--email',
        'admin@localhost',
        '--password',
        password,
      ],
      'create the Superset admin user',
    );
    await superset(o, ['init'], 'initialise Superset roles and permissions');
    await writeFile(f.initialised, `${new Date().toISOString()}\n`);
  }
}

export type SupersetHealth = { healthy: true } | { healthy: false; detail: string };

export async function supersetHealth(o: Pick<SupersetOptions, 'host' | 'port'>): Promise<SupersetHealth> {
  try {
    const response = await fetch(`${supersetUrl(o)}/health`, { signal: AbortSignal.timeout(3_000) });
    const body = await response.text();
    return response.ok && body.trim() === 'OK'
      ? { healthy: true }
      : { healthy: false, detail: `HTTP ${response.status} ${body.slice(0, 80)}` };
  } catch (error) {
    return { healthy: false, detail: (error as Error).message };
  }
}

const marker = (o: SupersetOptions): string => `oracul-superset:${o.stateDir}`;

/** Installs, initialises and starts gunicorn in the background; a no-op when ours is already healthy. */
export async function supersetUp(
  o: SupersetOptions,
  options: { timeoutMs?: number } = {},
): Promise<{ url: string; started: boolean }> {
  const f = files(o);
  const url = supersetUrl(o);
  const record = await readPidRecord(f.pid);
  if (record !== undefined && isOwnProcess(record.pid, marker(o)) && (await supersetHealth(o)).healthy)
    return { url, started: false };
  if (record !== undefined && !isOwnProcess(record.pid, marker(o))) await removePidRecord(f.pid);
  if (!(await isPortFree(o.host, o.port)))
    throw new NonRetryableError('ORACUL_SUPERSET_START_FAILED', `port ${o.host}:${o.port} is in use by another process`);

  await installSuperset(o);
  await initSuperset(o);
  o.logger.info({ msg: 'starting Superset', url });
  const child = await spawnDetached(
    {
      command: f.bin('gunicorn'),
      args: [
        '--bind',
        `${o.host}:${o.port}`,
        '--workers',
        '1',
        '--worker-class',
        'gthread',
        '--threads',
        '8',
        '--timeout',
        '120',
        '--limit-request-line',
        '0',
        '--limit-request-field_size',
        '0',
        '--name',
        marker(o),
        'superset.app:create_app()',
      ],
      cwd: o.stateDir,
      env: supersetEnv(o),
    },
    f.log,
    `superset ${SUPERSET_VERSION} on ${url}`,
  );
  const pid = child.pid as number;
  await writePidRecord(f.pid, {
    pid,
    component: 'superset',
    version: SUPERSET_VERSION,
    ports: [o.port],
    started_at: new Date().toISOString(),
  });
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let last: SupersetHealth = { healthy: false, detail: 'not checked yet' };
  while (Date.now() < deadline) {
    last = await supersetHealth(o);
    if (last.healthy) {
      o.logger.info({ msg: 'Superset is up', url, pid });
      return { url, started: true };
    }
    if (!isOwnProcess(pid, marker(o))) break;
    await sleep(500);
  }
  await terminateProcess(pid, STOP_GRACE_MS);
  await removePidRecord(f.pid);
  const tail = (await readFile(f.log, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  throw new NonRetryableError(
    'ORACUL_SUPERSET_START_FAILED',
    `Superset did not become healthy on ${url} (${last.healthy ? '' : last.detail})\n${tail}`,
    {
      details: { log: f.log },
    },
  );
}

/** Stops the gunicorn this state dir started (SIGTERM to its process group, SIGKILL after 10 s). */
export async function supersetDown(o: SupersetOptions): Promise<'stopped' | 'not-running'> {
  const f = files(o);
  const record = await readPidRecord(f.pid);
  if (record === undefined || !isOwnProcess(record.pid, marker(o))) {
    await removePidRecord(f.pid);
    return 'not-running';
  }
  await terminateProcess(record.pid, STOP_GRACE_MS);
  await removePidRecord(f.pid);
  return 'stopped';
}

async function zipFolder(o: SupersetOptions, folder: string, zipPath: string): Promise<void> {
  // The venv's Python packs the ZIP (one top folder, as Superset exports it): no extra dependency.
  await runCommand({
    command: files(o).bin('python'),
    args: ['-m', 'zipfile', '-c', zipPath, folder],
    cwd: dirname(folder),
    errorCode: 'ORACUL_SUPERSET_COMMAND_FAILED',
    purpose: `zip the dashboards bundle into ${zipPath}`,
  });
}

async function writeZip(o: SupersetOptions, bundle: readonly BundleFile[], dir: string, name: string): Promise<string> {
  const folder = await writeBundleFolder(bundle, join(dir, name));
  const zip = join(dir, `${name}.zip`);
  await zipFolder(o, folder, zip);
  return zip;
}

/**
 * Imports the dashboards bundle with Superset's CLI, idempotently (same UUIDs: a second import updates in
 * place). The datasets are imported with overwrite (`import-datasources`: column and metric changes land), then
 * the whole bundle (`import-dashboards`: dashboards overwritten, charts created when missing), then the
 * connection URI is refreshed from config (`set-database-uri`; imports never overwrite a connection).
 */
export async function supersetImport(o: SupersetOptions): Promise<{ files: number }> {
  const bundle = await renderBundle(o.connection);
  const work = await mkdtemp(join(tmpdir(), 'oracul-superset-bundle-'));
  try {
    await chmod(work, 0o700);
    await superset(
      o,
      ['import-datasources', '-p', await writeZip(o, datasetsOnly(bundle), work, 'datasets'), '-u', SUPERSET_ADMIN],
      'import the datasets',
    );
    await superset(
      o,
      ['import-dashboards', '-p', await writeZip(o, bundle, work, 'dashboards'), '-u', SUPERSET_ADMIN],
      'import the dashboards',
    );
    // Imports never overwrite an existing connection: refresh its URI from config (a changed URL or password).
    const database = bundle.find((f) => f.path.startsWith('databases/'))?.content as
      { database_name?: string; sqlalchemy_uri?: string } | undefined;
    if (database?.database_name !== undefined && database.sqlalchemy_uri !== undefined) {
      await superset(
        o,
        ['set-database-uri', '--database_name', database.database_name, '--uri', database.sqlalchemy_uri],
        'set the warehouse connection',
      );
    }
    o.logger.info({ msg: 'dashboards imported', files: bundle.length });
    return { files: bundle.length };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
