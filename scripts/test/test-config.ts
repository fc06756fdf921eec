import { loadConfig, type OraculConfig } from '../../config/index.ts';
import { deepMerge } from '../../config/load.ts';

/**
 * The integration-test stack: its own state dir (wiped at the start of every run)
 * and ports that never collide with a developer's stack on the defaults.
 * Binaries under stack.dir are shared with the dev stack: they are pinned and read-only.
 */
/**
 * ORACUL_TEST_PORT_OFFSET shifts every port (and the state dir) so that two
 * checkouts on one machine can run their integration tests at the same time.
 */
const offset = Number.parseInt(process.env.ORACUL_TEST_PORT_OFFSET ?? '0', 10) || 0;

export const TEST_STACK = {
  stateDir: offset === 0 ? '.infra/test-state' : `.infra/test-state-${offset}`,
  kafkaPort: 19092 + offset,
  kafkaControllerPort: 19093 + offset,
  registryPort: 18081 + offset,
  registryManagementPort: 19001 + offset,
  warehousePort: 18123 + offset,
} as const;

/** Endpoints the global setup provides to tests (`inject('oraculStack')`). */
export interface TestStackEndpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  clickhouseUrl: string;
  /** Absolute or repo-relative state dir of the test stack. */
  stateDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    oraculStack: TestStackEndpoints;
  }
}

export function testStackOverrides(): Record<string, unknown> {
  const host = '127.0.0.1';
  return {
    env: 'test',
    stack: {
      stateDir: TEST_STACK.stateDir,
      kafka: { port: TEST_STACK.kafkaPort, controllerPort: TEST_STACK.kafkaControllerPort },
      registry: { port: TEST_STACK.registryPort, managementPort: TEST_STACK.registryManagementPort },
      warehouse: { port: TEST_STACK.warehousePort },
    },
    kafka: {
      brokers: [`${host}:${TEST_STACK.kafkaPort}`],
      schemaRegistryUrl: `http://${host}:${TEST_STACK.registryPort}/apis/ccompat/v7`,
    },
    clickhouse: { url: `http://${host}:${TEST_STACK.warehousePort}` },
  };
}

/** Config for code under test that talks to the test stack; `overrides` win over the test defaults. */
export function testConfig(overrides: Record<string, unknown> = {}): OraculConfig {
  return loadConfig({ overrides: deepMerge(testStackOverrides(), overrides) });
}

export function testStackEndpoints(config: OraculConfig = testConfig()): TestStackEndpoints {
  return {
    kafkaBrokers: [...config.kafka.brokers],
    schemaRegistryUrl: config.kafka.schemaRegistryUrl,
    clickhouseUrl: config.clickhouse.url,
    stateDir: config.stack.stateDir,
  };
}

/**
 * The same settings as ORACUL_* variables. The global setup exports them before
 * test workers fork, so a plain loadConfig() in a test, or an `oracul` subprocess
 * a test spawns, also lands on the test stack.
 */
export function testStackEnv(config: OraculConfig = testConfig()): Record<string, string> {
  const { stack } = config;
  return {
    ORACUL_ENV: 'test',
    ORACUL_STACK_STATE_DIR: stack.stateDir,
    ORACUL_STACK_KAFKA_PORT: String(stack.kafka.port),
    ORACUL_STACK_KAFKA_CONTROLLER_PORT: String(stack.kafka.controllerPort),
    ORACUL_STACK_REGISTRY_PORT: String(stack.registry.port),
    ORACUL_STACK_REGISTRY_MANAGEMENT_PORT: String(stack.registry.managementPort),
    ORACUL_STACK_WAREHOUSE_PORT: String(stack.warehouse.port),
    ORACUL_KAFKA_BROKERS: config.kafka.brokers.join(','),
    ORACUL_KAFKA_SCHEMA_REGISTRY_URL: config.kafka.schemaRegistryUrl,
    ORACUL_CLICKHOUSE_URL: config.clickhouse.url,
  };
}
