import type { Command } from 'commander';
import { loadConfig } from '../../../config/index.ts';
import { createLogger } from '../../../core/logger.ts';
import { contractAddress, positiveInteger } from '../args.ts';

interface ResolveOptions {
  chain?: string;
  rpcUrl?: string[];
  address?: string[];
  limit: number;
  concurrency: number;
  dryRun?: boolean;
}

export function registerTokensCommands(program: Command): void {
  const command = program
    .command('tokens')
    .description('Token metadata (symbol, name, decimals) in erc20.tokens and the tokens table');
  command
    .command('resolve')
    .description(
      'Read the metadata of tokens outside the seed from the chain and publish it to erc20.tokens: by default the tokens ' +
        'with transfers in the warehouse and no tokens row, busiest first (docs/runbooks/token-metadata.md)',
    )
    .option('--chain <name>', 'chain in config/chains.yml (default: the first)')
    .option('--rpc-url <url...>', 'RPC endpoints in fallback order (default: chains[].rpcUrls)')
    .option('--address <address...>', 'these tokens instead of the unknown ones found in the warehouse', contractAddress)
    .option('--limit <n>', 'at most this many unknown tokens per run', positiveInteger, 500)
    .option('--concurrency <n>', 'tokens read at once', positiveInteger, 4)
    .option('--dry-run', 'print what would be published, publish nothing')
    .action(async (opts: ResolveOptions, cmd: Command) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel }).child({ component: 'tokens-resolve' });
      const chain = config.chains.find((c) => opts.chain === undefined || c.name === opts.chain);
      if (chain === undefined) cmd.error(`error: no chain named '${opts.chain}' in config/chains.yml`, { exitCode: 2 });
      const rpcUrls = opts.rpcUrl ?? chain.rpcUrls;
      if (rpcUrls.length === 0) cmd.error(`error: chain ${chain.name} has no rpcUrls (pass --rpc-url)`, { exitCode: 2 });

      const { createPublicClient, fallback, http } = await import('viem');
      const { findUnknownTokens, publishTokenMetadata, resolveTokens } =
        await import('../../../processors/erc20/resolve-unknown-tokens.ts');
      let addresses = opts.address ?? [];
      if (addresses.length === 0) {
        const { createWarehouseClient } = await import('../../../dwh/client.ts');
        const client = createWarehouseClient({ config });
        try {
          const unknown = await findUnknownTokens(client, { chainId: chain.chainId, limit: opts.limit });
          addresses = unknown.map((u) => u.address);
          logger.info({ msg: 'unknown tokens found in the warehouse', chain: chain.name, tokens: unknown.length });
        } finally {
          await client.close();
        }
      }
      const rpc = createPublicClient({ transport: fallback(rpcUrls.map((url) => http(url, { timeout: 30_000 }))) });
      const fetchedAtMs = Date.now();
      const { resolved, failed } = await resolveTokens({
        client: rpc,
        chainId: chain.chainId,
        addresses,
        concurrency: opts.concurrency,
        logger,
      });
      for (const t of resolved) {
        process.stdout.write(`${t.address}  ${t.symbol ?? '(no symbol)'}  decimals=${t.decimals ?? 'null'}  ${t.name ?? ''}\n`);
      }
      for (const f of failed)
        logger.error({ msg: 'token metadata not read: endpoint kept failing', address: f.address, err: f.error });
      if (!opts.dryRun) {
        const { createKafka } = await import('../../../core/kafka/client.ts');
        const { createSchemaRegistrySerdes } = await import('../../../schemas/index.ts');
        await publishTokenMetadata({
          kafka: createKafka({ config, logger, clientSuffix: 'tokens-resolve' }),
          serdes: createSchemaRegistrySerdes({ config }),
          tokens: resolved,
          fetchedAtMs,
        });
      }
      logger.info({
        msg: opts.dryRun ? 'token metadata read (dry run: nothing published)' : 'token metadata published to erc20.tokens',
        chain: chain.name,
        resolved: resolved.length,
        without_decimals: resolved.filter((t) => t.decimals === null).length,
        failed: failed.length,
      });
      if (failed.length > 0) process.exitCode = 1;
    });
}
