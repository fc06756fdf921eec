import type { JavaRange } from './java-runtime.ts';

export interface RegistryOptionsParameters {
  host: string;
  port: number;
  managementPort: number;
  /** H2 database path without extension (H2 adds .mv.db). */
  databaseFile: string;
  /** Scratch space for snapshots and imports (Apicurio defaults to /tmp). */
  workDir: string;
}

/** Apicurio 3.x system properties, checked against 3.3.3's application.properties. */
export function registrySystemProperties(p: RegistryOptionsParameters): Record<string, string> {
  return {
    'quarkus.http.host': p.host,
    'quarkus.http.port': String(p.port),
    // Health and metrics live on a separate interface; its default 9000 collides with common tools.
    'quarkus.management.host': p.host,
    'quarkus.management.port': String(p.managementPort),
    // Without a global rule the ccompat API answers GET /config/{subject} with "NONE"
    // and @kafkajs/confluent-schema-registry's register() fails.
    'apicurio.rules.global.compatibility': 'BACKWARD',
    // File-based H2 instead of the in-memory default, so schema ids survive restarts.
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'h2',
    'apicurio.datasource.url': `jdbc:h2:file:${p.databaseFile}`,
    'apicurio.storage.snapshot.location': p.workDir,
    'apicurio.import.work-dir': p.workDir,
    'quarkus.log.console.color': 'false',
  };
}

export function toJvmFlags(props: Record<string, string>): string[] {
  return Object.entries(props).map(([key, value]) => `-D${key}=${value}`);
}

/** 3.0.x is Java 17 bytecode; 3.3.x ships class files for Java 21 (major 65). */
export function registryJavaRange(version: string): JavaRange {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  return major < 3 || (major === 3 && minor === 0) ? { min: 17 } : { min: 21 };
}
