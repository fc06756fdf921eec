import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';

export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description('Kafka topics declared in config/kafka.yml');
  topics
    .command('ensure')
    .description('Create missing topics, raise partition counts, update drifted configs (idempotent)')
    .action(async () => {
      const { ensureDeclaredTopics } = await import('../../../core/kafka/ensure-topics.ts');
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const result = await ensureDeclaredTopics({ config, logger });
      logger.info({ msg: 'topics ensured', ...result });
    });
  topics
    .command('list')
    .description('Print declared topics with partitions, cleanup policy and key')
    .action(() => {
      const config = loadConfig();
      console.table(
        config.kafka.topics.map((t) => ({ topic: t.name, partitions: t.partitions, cleanup: t.cleanupPolicy, key: t.key ?? '' })),
      );
    });
}
