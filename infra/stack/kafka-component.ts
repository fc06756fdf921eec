import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ConfigError } from '../../core/errors.ts';
import { ensureInstalled } from './install.ts';
import { findJavaHome, javaBinary, type JavaRange } from './java-runtime.ts';
import { kafkaServerProperties, renderProperties } from './kafka-properties.ts';
import type { StackPaths } from './paths.ts';
import { jvmProcessMarker } from './process-control.ts';
import { runCommand } from './run-command.ts';
import type { ComponentContext, HealthResult, LaunchSpec, StackComponent } from './types.ts';
import type { OraculConfig } from '../../config/schema.ts';

/** Kafka 3.9 supports Java 11-23; 24+ removed the Security Manager APIs it still calls. */
const KAFKA_JAVA: JavaRange = { min: 17, max: 23 };

export function kafkaInstallDir(paths: StackPaths, version: string): string {
  return join(paths.installRoot, `kafka-${version}`);
}

export function createKafkaComponent(config: OraculConfig, paths: StackPaths): StackComponent {
  const { kafka, host } = config.stack;
  // kafkajs 2.2.4 has group-coordinator problems on 4.x, and 4.x needs a log4j2 backend instead of reload4j.
  if (!/^3\.\d+\.\d+$/.test(kafka.version)) {
    throw new ConfigError(
      `invalid config at stack.kafka.version: expected a 3.x release (kafkajs 2.2.4 is the client); got ${JSON.stringify(kafka.version)}`,
    );
  }
  const installDir = kafkaInstallDir(paths, kafka.version);
  const stateDir = paths.componentStateDir('kafka');
  const dataDir = join(stateDir, 'data');
  const pom = join(paths.repoRoot, 'infra', 'kafka', 'pom.xml');
  const log4j = join(paths.repoRoot, 'infra', 'kafka', 'log4j.properties');
  const marker = jvmProcessMarker('kafka', paths.stateRoot);

  const jvmArgs = (heapMb: number): string[] => [
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    `${join(installDir, 'libs')}/*`,
  ];

  return {
    name: 'kafka',
    version: kafka.version,
    host,
    ports: [
      { role: 'broker', port: kafka.port },
      { role: 'controller', port: kafka.controllerPort },
    ],
    processMarker: marker,
    stopGraceMs: 30_000,
    unavailableReason: () => undefined,

    async install(ctx) {
      // The pom decides the classpath: editing it (another logging jar...) must reinstall.
      const recipe = createHash('sha256')
        .update(await readFile(pom))
        .digest('hex')
        .slice(0, 16);
      await ensureInstalled({
        name: 'kafka',
        version: kafka.version,
        recipe,
        targetDir: installDir,
        paths,
        logger: ctx.logger,
        signal: ctx.signal,
        populate: (staging) =>
          runCommand({
            command: 'mvn',
            args: [
              '-B',
              '-q',
              '-Dstyle.color=never',
              '-f',
              pom,
              'dependency:copy-dependencies',
              '-DincludeScope=runtime',
              `-DoutputDirectory=${join(staging, 'libs')}`,
              `-Dkafka.version=${kafka.version}`,
            ],
            cwd: staging,
            signal: ctx.signal,
            errorCode: 'ORACUL_STACK_INSTALL_FAILED',
            purpose: `resolve org.apache.kafka:kafka_2.13:${kafka.version} from Maven Central`,
            missingHint: 'install Maven: apt-get install -y maven',
          }),
      });
    },

    async prepareLaunch(ctx): Promise<LaunchSpec> {
      const java = javaBinary(await findJavaHome('kafka', KAFKA_JAVA));
      await mkdir(dataDir, { recursive: true });
      const propertiesFile = join(stateDir, 'server.properties');
      const props = kafkaServerProperties({ host, port: kafka.port, controllerPort: kafka.controllerPort, dataDir });
      await writeFile(
        propertiesFile,
        renderProperties(props, 'Rendered by `oracul stack up` from config.stack.kafka; edits are overwritten.'),
      );
      // Formatting costs a JVM start; --ignore-formatted keeps it safe if two runs race.
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        await runCommand({
          command: java,
          args: [
            ...jvmArgs(256),
            'kafka.tools.StorageTool',
            'format',
            '-t',
            await clusterId(stateDir),
            '-c',
            propertiesFile,
            '--ignore-formatted',
          ],
          cwd: stateDir,
          signal: ctx.signal,
          errorCode: 'ORACUL_STACK_START_FAILED',
          purpose: `format Kafka storage in ${dataDir}`,
        });
      }
      return {
        command: java,
        args: [marker, ...jvmArgs(kafka.heapMb), 'kafka.Kafka', propertiesFile],
        cwd: stateDir,
      };
    },

    health: () => kafkaHealth(host, kafka.port),
    afterStart: (ctx) => warmUpTransactions(host, kafka.port, ctx),
  };
}

/** Kept across restarts: the formatted log dirs are bound to this id. */
async function clusterId(stateDir: string): Promise<string> {
  const file = join(stateDir, 'cluster.id');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  let id: string;
  // Kafka ids are base64url of 16 random bytes; a leading '-' would read as a CLI flag.
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  await writeFile(file, `${id}\n`);
  return id;
}

/**
 * Healthy = the broker answers a metadata request, lists itself, and has a group
 * coordinator: on a fresh broker __consumer_offsets is created by the first lookup,
 * and consumers started before it is loaded crash with "not the correct coordinator".
 */
export async function kafkaHealth(host: string, port: number): Promise<HealthResult> {
  const admin = new Kafka({
    clientId: 'oracul-stack-health',
    brokers: [`${host}:${port}`],
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return { healthy: false, detail: 'no broker registered yet' };
    await admin.describeGroups(['oracul-stack-health']);
    return { healthy: true, detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)` };
  } catch (error) {
    return { healthy: false, detail: (error as Error).message };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates and loads __transaction_state once after a fresh start (InitProducerId
 * does it), so the first exactly-once producer does not wait out coordinator errors.
 */
async function warmUpTransactions(host: string, port: number, ctx: ComponentContext): Promise<void> {
  const started = performance.now();
  const producer = new Kafka({
    clientId: 'oracul-stack-warmup',
    brokers: [`${host}:${port}`],
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 3_000 },
    logLevel: logLevel.NOTHING,
  }).producer({ transactionalId: 'oracul-stack-warmup', idempotent: true, maxInFlightRequests: 1 });
  try {
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.abort(); // Nothing was sent: no EndTxn, the coordinator just knows the id.
    ctx.logger.info({ msg: 'transaction coordinator ready', duration_ms: Math.round(performance.now() - started) });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
