import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';

export function registerSchemasCommands(program: Command): void {
  const schemas = program.command('schemas').description('Avro schemas in schemas/ and the schema registry');
  schemas
    .command('register')
    .description('Register every topic value schema under <topic>-value (the registry checks BACKWARD compatibility)')
    .action(async () => {
      const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
      const registered = await createSchemaRegistrySerdes({ config: loadConfig() }).registerAll();
      for (const r of registered) process.stdout.write(`${JSON.stringify(r)}\n`);
    });
}
