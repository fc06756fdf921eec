import type { Common } from '../../core/common.ts';
import { ensureDeclaredTopics, type EnsureTopicsResult } from '../../core/kafka/ensure-topics.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate, type MigrateReturnType } from '../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type RegisteredSchema } from '../../schemas/index.ts';
import { stackDown, stackUp, type ComponentName } from '../../infra/stack/index.ts';

export interface BootstrapResult {
  startedComponents: ComponentName[];
  migrations: MigrateReturnType;
  schemas: RegisteredSchema[];
  topics: EnsureTopicsResult;
}

/**
 * Brings the platform's foundations to the desired state, idempotently: the local
 * stack (only the components enabled in config), warehouse migrations, Avro schemas
 * in the registry, Kafka topics. Components started here are stopped on shutdown.
 */
export async function bootstrapPlatform(common: Common): Promise<BootstrapResult> {
  const { config, logger, shutdown } = common;
  const log = logger.child({ component: 'bootstrap' });

  const up = await stackUp(common);
  const started = up.filter((r) => r.action === 'started').map((r) => r.component);
  if (started.length > 0) shutdown.add('local stack', async () => void (await stackDown(common, { components: started })));

  const warehouse = createWarehouseClient({ config, withoutDatabase: true });
  let migrations: MigrateReturnType;
  try {
    migrations = await migrate({
      client: warehouse,
      database: config.clickhouse.database,
      cluster: config.clickhouse.cluster,
      logger: log,
    });
  } finally {
    await warehouse.close();
  }

  const schemas = await createSchemaRegistrySerdes({ config }).registerAll();
  log.info({ msg: 'schemas registered', subjects: schemas.length });

  const topics = await ensureDeclaredTopics({ config, logger: log });
  log.info({ msg: 'topics ensured', created: topics.created.length, unchanged: topics.unchanged.length });

  // Freshly created topics take a moment to get leaders; producers and consumers started next must not race them.
  const { createKafka: kafkaFor } = await import('../../core/kafka/client.ts');
  const { default: pRetry } = await import('p-retry');
  const admin = kafkaFor({ config, logger: log, clientSuffix: 'bootstrap-admin' }).admin();
  await admin.connect();
  try {
    await pRetry(
      async () => {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: config.kafka.topics.map((t) => t.name) });
        const leaderless = metadata.filter((t) => t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
        if (leaderless.length > 0) throw new Error(`topics without a leader yet: ${leaderless.join(', ')}`);
      },
      { retries: 20, minTimeout: 200, maxTimeout: 2_000 },
    );
  } finally {
    await admin.disconnect();
  }

  // The curated token metadata, for the decoder's global table and the tokens table.
  const { publishSeedTokens } = await import('../../processors/erc20/publish-seed-tokens.ts');
  const { createKafka } = await import('../../core/kafka/client.ts');
  const seeded = await publishSeedTokens({
    kafka: createKafka({ config, logger: log, clientSuffix: 'bootstrap' }),
    serdes: createSchemaRegistrySerdes({ config }),
  });
  log.info({ msg: 'token seed published to erc20.tokens', tokens: seeded });
  return { startedComponents: started, migrations, schemas, topics };
}
