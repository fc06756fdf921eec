import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OraculConfig } from '../../config/schema.ts';
import { NonRetryableError } from '../../core/errors.ts';
import { describeFetchError } from './fetch-error.ts';
import { ensureInstalled } from './install.ts';
import { findJavaHome, javaBinary } from './java-runtime.ts';
import type { StackPaths } from './paths.ts';
import { jvmProcessMarker } from './process-control.ts';
import { registryJavaRange, registrySystemProperties, toJvmFlags } from './registry-options.ts';
import { runCommand } from './run-command.ts';
import type { HealthResult, LaunchSpec, StackComponent } from './types.ts';

/** Pinned so `mvn dependency:copy` works without a project and without Maven 3.8's old default (2.8). */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

export function registryInstallDir(paths: StackPaths, version: string): string {
  return join(paths.installRoot, `apicurio-registry-${version}`);
}

export function createRegistryComponent(config: OraculConfig, paths: StackPaths): StackComponent {
  const { registry, host } = config.stack;
  const installDir = registryInstallDir(paths, registry.version);
  const stateDir = paths.componentStateDir('registry');
  const marker = jvmProcessMarker('registry', paths.stateRoot);

  return {
    name: 'registry',
    version: registry.version,
    host,
    ports: [
      { role: 'http', port: registry.port },
      { role: 'management', port: registry.managementPort },
    ],
    processMarker: marker,
    stopGraceMs: 15_000,
    unavailableReason: () => undefined,

    async install(ctx) {
      await ensureInstalled({
        name: 'registry',
        version: registry.version,
        targetDir: installDir,
        paths,
        logger: ctx.logger,
        signal: ctx.signal,
        populate: async (staging) => {
          const download = join(staging, 'download');
          await runCommand({
            command: 'mvn',
            args: [
              '-B',
              '-q',
              '-Dstyle.color=never',
              `${DEPENDENCY_PLUGIN}:copy`,
              `-Dartifact=io.apicurio:apicurio-registry-app:${registry.version}:tar.gz:all`,
              `-DoutputDirectory=${download}`,
            ],
            cwd: staging,
            signal: ctx.signal,
            errorCode: 'ORACUL_STACK_INSTALL_FAILED',
            purpose: `download io.apicurio:apicurio-registry-app:${registry.version} from Maven Central`,
            missingHint: 'install Maven: apt-get install -y maven',
          });
          const archive = `apicurio-registry-app-${registry.version}-all.tar.gz`;
          await runCommand({
            command: 'tar',
            args: ['-xzf', join(download, archive), '-C', staging],
            cwd: staging,
            signal: ctx.signal,
            errorCode: 'ORACUL_STACK_INSTALL_FAILED',
            purpose: `unpack ${archive}`,
          });
          await runCommand({
            command: 'rm',
            args: ['-rf', download],
            cwd: staging,
            errorCode: 'ORACUL_STACK_INSTALL_FAILED',
            purpose: 'remove the archive',
          });
        },
      });
    },

    async prepareLaunch(): Promise<LaunchSpec> {
      const java = javaBinary(await findJavaHome(`apicurio-registry ${registry.version}`, registryJavaRange(registry.version)));
      const workDir = join(stateDir, 'tmp');
      await mkdir(workDir, { recursive: true });
      const props = registrySystemProperties({
        host,
        port: registry.port,
        managementPort: registry.managementPort,
        databaseFile: join(stateDir, 'db', 'registry'),
        workDir,
      });
      return {
        command: java,
        args: [
          marker,
          `-Xmx${registry.heapMb}m`,
          '-XX:+ExitOnOutOfMemoryError',
          // C1 only: on a busy 2-core machine, C2 compiler threads made startup 37 s instead of 8-13 s;
          // a local registry serves a handful of schema lookups, so peak throughput does not matter.
          '-XX:TieredStopAtLevel=1',
          ...toJvmFlags(props),
          '-jar',
          await launcherJar(installDir),
        ],
        cwd: stateDir,
      };
    },

    health: () => registryHealth(host, registry.port, registry.managementPort),
  };
}

/** 3.1+ is a Quarkus fast-jar (quarkus-run.jar); 3.0.x shipped a single *-runner.jar. */
async function launcherJar(installDir: string): Promise<string> {
  const entries = await readdir(installDir);
  const jar = entries.find((e) => e === 'quarkus-run.jar') ?? entries.find((e) => e.endsWith('-runner.jar'));
  if (!jar)
    throw new NonRetryableError(
      'ORACUL_STACK_INSTALL_FAILED',
      `no quarkus-run.jar or *-runner.jar in ${installDir}; delete it and run stack up again`,
    );
  return join(installDir, jar);
}

/** Ready = storage is up (management readiness) and the Confluent-compatible API answers. */
export async function registryHealth(host: string, port: number, managementPort: number): Promise<HealthResult> {
  try {
    const ready = await fetch(`http://${host}:${managementPort}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    if (!ready.ok) return { healthy: false, detail: `readiness ${ready.status}` };
    const config = await fetch(`http://${host}:${port}/apis/ccompat/v7/config`, { signal: AbortSignal.timeout(2_000) });
    if (!config.ok) return { healthy: false, detail: `ccompat config ${config.status}` };
    const body = (await config.json()) as { compatibilityLevel?: unknown };
    return { healthy: true, detail: `compatibility ${String(body.compatibilityLevel)}` };
  } catch (error) {
    return { healthy: false, detail: describeFetchError(error) };
  }
}
