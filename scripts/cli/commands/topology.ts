import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';

export function registerTopologyCommand(program: Command): void {
  program
    .command('topology')
    .description(
      'Print the stream topology: every stage with its input (and the stages writing it), global tables, outputs, state stores, consumer group and changelog topic. Validates it as `oracul start` does',
    )
    .option('--app-id <id>', 'application id (consumer group and changelog prefix)', 'oracul')
    .option('--json', 'print the description as JSON')
    .action(async (opts: { appId: string; json?: boolean }) => {
      const config = loadConfig();
      const [{ oraculTopology }, { describeTopology, formatTopology }] = await Promise.all([
        import('../../../processors/topology.ts'),
        import('../../../processors/engine/topology.ts'),
      ]);
      const description = describeTopology(oraculTopology({ config }), opts.appId);
      process.stdout.write((opts.json === true ? JSON.stringify(description, null, 2) : formatTopology(description)) + '\n');
    });
}
