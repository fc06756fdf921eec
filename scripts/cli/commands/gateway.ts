import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createCliCommon } from '../common.ts';

export function registerGatewayCommands(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('GraphQL gateway on gateway.host:gateway.port (foreground; SIGINT/SIGTERM stop it); docs/gateway.md')
    .option('--port <port>', 'override gateway.port', (value) => Number.parseInt(value, 10))
    .option('--host <host>', 'override gateway.host')
    .action(async (opts: { port?: number; host?: string }) => {
      const { startGateway } = await import('../../../gateway/index.ts');
      const { config, logger, shutdown } = createCliCommon();
      const { startProcessMetrics } = await import('../../../core/metrics/index.ts');
      await startProcessMetrics({ host: config.metrics.host, port: config.metrics.gatewayPort, logger, shutdown });
      const server = await startGateway({ config, logger, ...opts });
      shutdown.add('gateway', () => server.close());
      await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
    });
  gateway
    .command('key')
    .description('Generate an API key: prints the key once (give it to the client) and the config entry with its sha256')
    .requiredOption('--id <id>', 'key id shown in request logs (e.g. the client app)')
    .option('--role <role>', 'read | ops', 'read')
    .action(async (opts: { id: string; role: string }) => {
      if (opts.role !== 'read' && opts.role !== 'ops') throw new Error('--role must be read or ops');
      const { sha256Hex } = await import('../../../gateway/auth.ts');
      const key = `orc_${randomBytes(24).toString('base64url')}`;
      process.stdout.write(`key (store it now, it is not kept): ${key}\n`);
      process.stdout.write(
        `config/gateway.yml:\napiKeys:\n  - id: ${opts.id}\n    role: ${opts.role}\n    sha256: ${sha256Hex(key)}\n`,
      );
    });
}
