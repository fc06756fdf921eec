import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { createPublicClient, createWalletClient, http, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../config/load.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { createSchemaRegistrySerdes } from '../../schemas/index.ts';
import type { TokenMetadata as TokenMetadataRecord } from '../../schemas/generated/types.ts';
import { compileTestContracts } from '../../scripts/platform/devnet/compile.ts';
import { DEVNET_PRIVATE_KEYS, startDevnet, type Devnet } from '../../scripts/platform/devnet/node.ts';
import { testConfig, testStackEnv } from '../../scripts/test/test-config.ts';
import { findUnknownTokens, resolveTokens } from './resolve-unknown-tokens.ts';

/**
 * `oracul tokens resolve` against real contracts on a Hardhat devnet (a string-symbol ERC-20, a bytes32-symbol one,
 * a pre-standard one, an address without code) and the warehouse engine: which tokens are unknown, what is read
 * from each contract, and what the command publishes to erc20.tokens.
 */
describe('token metadata resolution (devnet contracts, warehouse, erc20.tokens)', () => {
  const logger = createLogger({ level: 'silent' });
  const database = `tokens_it_${randomUUID().slice(0, 8)}`;
  const config = testConfig({ clickhouse: { database } });
  const admin = createWarehouseClient({ config, withoutDatabase: true });
  const client = createWarehouseClient({ config });
  const deployer = privateKeyToAccount(DEVNET_PRIVATE_KEYS[0]!);
  const noCode = privateKeyToAccount(DEVNET_PRIVATE_KEYS[1]!).address.toLowerCase();
  const seeded = '0x00000000000000000000000000000000000000aa';
  let devnet: Devnet;
  const deployed: Record<'plain' | 'bytes32' | 'legacy', string> = { plain: '', bytes32: '', legacy: '' };

  beforeAll(async () => {
    devnet = await startDevnet({ automine: true });
    const contracts = await compileTestContracts();
    const chain = { ...hardhat, id: devnet.chainId, rpcUrls: { default: { http: [devnet.url] } } };
    const wallet = createWalletClient({ account: deployer, chain, transport: http(devnet.url) });
    const pub = createPublicClient({ chain, transport: http(devnet.url) });
    const deploy = async (name: string, args: readonly unknown[]): Promise<string> => {
      const contract = contracts[name]!;
      const hash = await wallet.deployContract({ abi: contract.abi, bytecode: contract.bytecode as Hex, args: args as never });
      return (await pub.waitForTransactionReceipt({ hash })).contractAddress!.toLowerCase();
    };
    deployed.plain = await deploy('OraculTestToken', ['Resolve Test Dollar', 'RTD', 6, 10n ** 24n]);
    deployed.bytes32 = await deploy('Bytes32SymbolToken', []);
    deployed.legacy = await deploy('LegacyToken', []);

    await migrate({ client: admin, database, logger, tokenSeedFile: false });
    await client.insert({
      table: 'tokens',
      values: [{ chain_id: 1, address: seeded, symbol: 'SEED', name: 'Seeded', decimals: 18, source: 'seed', version: 1 }],
      format: 'JSONEachRow',
    });
    // Transfers: the seeded token (known), the plain token 3 times, the bytes32 one twice, the no-code address once.
    const transfer = (token: string, i: number) => ({
      chain_id: 1,
      block_number: 100 + i,
      block_hash: `0x${String(i).padStart(64, '0')}`,
      block_timestamp: '2026-01-01 00:00:00.000',
      tx_hash: `0x${String(i).padStart(64, '0')}`,
      log_index: i,
      token_address: token,
      from_address: noCode,
      to_address: noCode,
      amount_raw: '1',
      form: 'standard',
      version: 1,
    });
    await client.insert({
      table: 'erc20_transfers',
      values: [seeded, deployed.plain, deployed.plain, deployed.plain, deployed.bytes32, deployed.bytes32, noCode].map(transfer),
      format: 'JSONEachRow',
    });
    await ensureDeclaredTopics({ config, logger });
  }, 300_000);

  afterAll(async () => {
    await devnet?.stop();
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await Promise.all([admin.close(), client.close()]);
  });

  it('finds the tokens with transfers and no tokens row, busiest first', async () => {
    expect(await findUnknownTokens(client, { chainId: 1, limit: 10 })).toEqual([
      { address: deployed.plain, transfers: 3 },
      { address: deployed.bytes32, transfers: 2 },
      { address: noCode, transfers: 1 },
    ]);
    expect(await findUnknownTokens(client, { chainId: 1, limit: 1 })).toHaveLength(1);
    expect(await findUnknownTokens(client, { chainId: 5, limit: 10 })).toEqual([]);
  });

  it('reads each contract as it answers: string and bytes32 symbols, pre-standard tokens, no code at all', async () => {
    const rpc = createPublicClient({ transport: http(devnet.url) });
    const { resolved, failed } = await resolveTokens({
      client: rpc,
      chainId: 1,
      addresses: [deployed.plain, deployed.bytes32, deployed.legacy, noCode],
    });
    expect(failed).toEqual([]);
    const by = new Map(resolved.map((r) => [r.address, r]));
    expect(by.get(deployed.plain)).toMatchObject({
      symbol: 'RTD',
      name: 'Resolve Test Dollar',
      decimals: 6,
      symbol_encoding: 'string',
    });
    expect(by.get(deployed.bytes32)).toMatchObject({
      symbol: 'dMKR',
      name: 'Devnet Maker',
      decimals: 18,
      symbol_encoding: 'bytes32',
    });
    expect(by.get(deployed.legacy)).toMatchObject({ symbol: 'dOLD', decimals: 8, symbol_encoding: 'string' });
    // No code: every call answers empty. Published as NULLs, never 18.
    expect(by.get(noCode)).toMatchObject({ symbol: null, name: null, decimals: null, symbol_encoding: null, source: 'rpc' });
  });

  it('a dead endpoint is reported per token and nothing is invented', async () => {
    const dead = createPublicClient({ transport: http('http://127.0.0.1:9/', { retryCount: 0, timeout: 2_000 }) });
    const { resolved, failed } = await resolveTokens({ client: dead, chainId: 1, addresses: [deployed.plain], retries: 1 });
    expect(resolved).toEqual([]);
    expect(failed.map((f) => f.address)).toEqual([deployed.plain]);
    expect(failed[0]!.error).toMatch(/eth_call decimals\(\)/);
  }, 30_000);

  it('oracul tokens resolve publishes the unknown tokens to erc20.tokens (version = fetch time)', async () => {
    const kafka = createKafka({ config, logger, clientSuffix: 'tokens-it' });
    const kadmin = kafka.admin();
    await kadmin.connect();
    // Right after the topic was created its leader may not be known yet.
    const start = await pRetry(() => kadmin.fetchTopicOffsets('erc20.tokens'), { retries: 20, minTimeout: 250 });
    await kadmin.disconnect();
    const before = Date.now();
    const child = spawn(
      process.execPath,
      [`${REPO_ROOT}/scripts/oracul.mjs`, 'tokens', 'resolve', '--chain', config.chains[0]!.name, '--rpc-url', devnet.url],
      {
        env: { ...process.env, ...testStackEnv(config), ORACUL_CLICKHOUSE_DATABASE: database },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    expect(output).toContain('RTD');

    const serde = createSchemaRegistrySerdes({ config }).forTopic('erc20.tokens');
    const consumer = kafka.consumer({ groupId: `tokens-it-${randomUUID()}`, readUncommitted: false });
    const got: TokenMetadataRecord[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'erc20.tokens', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const from = Number(start.find((s) => s.partition === partition)?.offset ?? 0);
        if (Number(message.offset) >= from && message.value !== null) got.push(await serde.deserialize(message.value));
      },
    });
    const expected = [deployed.plain, deployed.bytes32, noCode];
    const mineOf = (): TokenMetadataRecord[] => got.filter((r) => r.chain_id === 1 && expected.includes(r.address));
    try {
      await vi.waitFor(
        () =>
          expect(
            mineOf()
              .map((r) => r.address)
              .sort(),
          ).toEqual([...expected].sort()),
        {
          timeout: 30_000,
          interval: 200,
        },
      );
    } finally {
      await consumer.disconnect();
    }
    const mine = mineOf();
    expect(mine.find((r) => r.address === deployed.bytes32)).toMatchObject({ symbol: 'dMKR', decimals: 18, source: 'rpc' });
    expect(mine.find((r) => r.address === noCode)).toMatchObject({ decimals: null, symbol: null });
    for (const r of mine) {
      expect(r.version).toBe(r.fetched_at);
      expect(r.fetched_at).toBeGreaterThanOrEqual(before);
    }
  }, 120_000);
});
