import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../../config/index.ts';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Inspect the effective configuration');
  config
    .command('print')
    .description('Print the effective config (files + ORACUL_* env), secrets redacted')
    .option('--json', 'print JSON instead of YAML')
    .action((opts: { json?: boolean }) => {
      const redacted = redactConfig(loadConfig());
      process.stdout.write(opts.json ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted));
    });
  config
    .command('check')
    .description('Validate the config and exit 0, or exit 78 with the reason')
    .action(() => {
      loadConfig();
      process.stdout.write('config ok\n');
    });
}
