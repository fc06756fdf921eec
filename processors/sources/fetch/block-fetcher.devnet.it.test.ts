/**
 * The block fetcher and reorg detection against a real dev chain (Hardhat 2's EDR
 * node from npm): real OpenZeppelin ERC-20 contracts compiled offline with
 * solc-js, deployed and used through viem wallet actions; a reorg made with
 * evm_snapshot / evm_revert and a different, longer branch.
 */
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Hex,
  type Log,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTestContracts, type CompiledContract } from '../../../scripts/platform/devnet/compile.ts';
import { DEVNET_PRIVATE_KEYS, startDevnet, type Devnet } from '../../../scripts/platform/devnet/node.ts';
import { detectCapabilities } from '../capabilities/detect-capabilities.ts';
import type { BlockBundle, LogRecord } from '../normalize/records.ts';
import { toBlockRef, type BlockRef } from '../reorg/block-ref.ts';
import { applyReorgCheck, detectReorg } from '../reorg/detect-reorg.ts';
import { createMemoryBlockStore } from '../reorg/recent-block-store.ts';
import { retractionsFor } from '../reorg/retraction.ts';
import { createRpcClient, type RpcClient } from '../rpc/rpc-client.ts';
import { createBlockFetcher, type BlockFetcher } from './block-fetcher.ts';

const [deployer, alice, bob, carol] = DEVNET_PRIVATE_KEYS.map((k) => privateKeyToAccount(k)) as [
  ReturnType<typeof privateKeyToAccount>,
  ReturnType<typeof privateKeyToAccount>,
  ReturnType<typeof privateKeyToAccount>,
  ReturnType<typeof privateKeyToAccount>,
];
/** Our record as the viem Log that parseEventLogs decodes. */
const asViemLog = (l: LogRecord): Log => ({
  address: l.address,
  topics: l.topics as [Hex, ...Hex[]],
  data: l.data,
  blockHash: l.blockHash,
  blockNumber: BigInt(l.blockNumber),
  transactionHash: l.transactionHash,
  transactionIndex: l.transactionIndex,
  logIndex: l.logIndex,
  removed: false,
});
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

describe('block fetcher on a Hardhat dev chain', () => {
  let devnet: Devnet;
  let token: CompiledContract;
  let publicClient: PublicClient;
  let rpc: RpcClient;
  let fetcher: BlockFetcher;
  const tokens: Hex[] = [];
  const sent: { token: Hex; to: Hex; value: bigint }[] = [];

  const chain = () => ({ ...hardhat, id: devnet.chainId, rpcUrls: { default: { http: [devnet.url] } } });
  const wallet = (account: typeof deployer) => createWalletClient({ account, chain: chain(), transport: http(devnet.url) });

  async function transfer(from: typeof deployer, tokenAddress: Hex, to: Hex, value: bigint, gas?: bigint): Promise<Hex> {
    const hash = await wallet(from).writeContract({
      address: tokenAddress,
      abi: token.abi,
      functionName: 'transfer',
      args: [to, value],
      ...(gas ? { gas } : {}),
    });
    await publicClient.waitForTransactionReceipt({ hash });
    return hash;
  }

  beforeAll(async () => {
    const [started, compiled] = await Promise.all([startDevnet(), compileTestContracts()]);
    devnet = started;
    token = compiled.OraculTestToken!;
    publicClient = createPublicClient({ chain: chain(), transport: http(devnet.url) });
    for (const [name, symbol, decimals] of [
      ['Oracul Test A', 'OTA', 18],
      ['Oracul Test B', 'OTB', 6],
    ] as const) {
      const hash = await wallet(deployer).deployContract({
        abi: token.abi,
        bytecode: token.bytecode,
        args: [name, symbol, decimals, 10n ** 30n],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      tokens.push(receipt.contractAddress!);
    }
    // Real transfers, one per block (automine), including an amount far above 2^53.
    for (const [t, to, value] of [
      [tokens[0]!, alice.address, 1_000n * 10n ** 18n],
      [tokens[1]!, bob.address, 2_500_000n],
      [tokens[0]!, carol.address, 123_456_789_012_345_678_901_234n],
      [tokens[1]!, alice.address, 1n],
    ] as const) {
      await transfer(deployer, t, to, value);
      sent.push({ token: t, to, value });
    }
    // A transfer that reverts (carol has no OTB): mined with status 0 and no logs.
    await transfer(carol, tokens[1]!, alice.address, 5n, 100_000n);
    rpc = createRpcClient({ chain: 'devnet', endpoints: [devnet.url], retry: { minDelayMs: 20 } });
    const caps = await detectCapabilities({ rpc, chainId: devnet.chainId });
    fetcher = createBlockFetcher({ rpc, chainId: devnet.chainId, strategy: caps.strategy });
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it('detects that Hardhat lacks eth_getBlockReceipts and picks eth_getLogs', async () => {
    const caps = await detectCapabilities({
      rpc: createRpcClient({ chain: 'devnet', endpoints: [devnet.url] }),
      chainId: devnet.chainId,
    });
    expect(caps.endpoints[0]).toMatchObject({ reachable: true, blockReceipts: false, getLogs: true, batch: true });
    expect(caps.endpoints[0]!.clientVersion).toMatch(/HardhatNetwork/);
    expect(caps.strategy).toBe('logs');
    expect(fetcher.strategy).toBe('logs');
  });

  it('fetches blocks, transactions and logs of real transfers exactly as the chain returns them', async () => {
    const head = Number(await publicClient.getBlockNumber({ cacheTime: 0 }));
    expect(head).toBe(7); // 2 deployments + 4 transfers + 1 reverted transfer
    const bundles = await fetcher.fetchRange(0, head);
    expect(bundles.map((b) => b.block.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    for (const bundle of bundles) {
      const block = await publicClient.getBlock({ blockNumber: BigInt(bundle.block.number), includeTransactions: true });
      expect([
        bundle.block.hash,
        bundle.block.parentHash,
        bundle.block.timestampMs,
        bundle.block.gasUsed,
        bundle.block.baseFeePerGas,
      ]).toEqual([block.hash, block.parentHash, Number(block.timestamp) * 1000, block.gasUsed, block.baseFeePerGas ?? null]);
      expect(bundle.transactions.map((t) => [t.hash, t.from, t.to, t.value, t.nonce, t.input])).toEqual(
        block.transactions.map((t) => [t.hash, t.from, t.to, t.value, BigInt(t.nonce), t.input]),
      );
    }

    const chainLogs = await publicClient.getLogs({ fromBlock: 0n, toBlock: BigInt(head) });
    const ours = bundles.flatMap((b) => b.logs);
    expect(
      ours.map((l) => [
        l.blockHash,
        l.blockNumber,
        l.logIndex,
        l.transactionHash,
        l.transactionIndex,
        l.address,
        l.topics,
        l.data,
      ]),
    ).toEqual(
      chainLogs.map((l) => [
        l.blockHash,
        Number(l.blockNumber),
        l.logIndex,
        l.transactionHash,
        l.transactionIndex,
        l.address,
        l.topics,
        l.data,
      ]),
    );
    // 2 mints + 4 transfers; the reverted transfer is a transaction without logs.
    expect(ours.filter((l) => l.topics[0] === TRANSFER_TOPIC)).toHaveLength(6);
    const reverted = bundles.at(-1)!;
    expect([reverted.transactions.length, reverted.logs.length]).toEqual([1, 0]);
    expect((await publicClient.getTransactionReceipt({ hash: reverted.transactions[0]!.hash })).status).toBe('reverted');

    // The amounts decode exactly from our log records.
    const decoded = parseEventLogs({ abi: token.abi, eventName: 'Transfer', logs: ours.map(asViemLog) });
    const transfers = decoded
      .slice(2)
      .map((e) => ({ token: e.address, to: (e.args as { to: Hex }).to, value: (e.args as { value: bigint }).value }));
    expect(transfers).toEqual(sent.map((s) => ({ ...s, token: s.token.toLowerCase(), to: s.to })));

    // Every strategy the node supports gives identical records (eth_getLogs has no receipt fields to add).
    const byReceipts = await createBlockFetcher({ rpc, chainId: devnet.chainId, strategy: 'transaction-receipts' }).fetchRange(
      0,
      head,
    );
    expect(byReceipts.map((b) => ({ ...b, transactions: b.transactions.map((t) => ({ ...t, receipt: null })) }))).toEqual(
      bundles,
    );
    for (const b of byReceipts) {
      for (const t of b.transactions) {
        const receipt = await publicClient.getTransactionReceipt({ hash: t.hash });
        expect(t.receipt).toEqual({
          status: receipt.status === 'success' ? 1 : 0,
          gasUsed: receipt.gasUsed,
          cumulativeGasUsed: receipt.cumulativeGasUsed,
          effectiveGasPrice: receipt.effectiveGasPrice,
          contractAddress: receipt.contractAddress ?? null,
        });
      }
    }
    expect(byReceipts.at(-1)!.transactions[0]!.receipt?.status).toBe(0);
  });

  it('detects a reorg made with evm_snapshot / evm_revert and a longer branch', async () => {
    const testClient = createTestClient({ mode: 'hardhat', chain: chain(), transport: http(devnet.url) });
    const withRef = (b: BlockBundle) => ({ ...toBlockRef(b.block), bundle: b });
    const store = createMemoryBlockStore();
    const ingest = async (n: number) => {
      const [bundle] = await fetcher.fetchBundles([n]);
      const check = await detectReorg({
        chain: 'devnet',
        store,
        block: withRef(bundle!),
        getCanonicalBlock: async (k) => withRef((await fetcher.fetchBundles([k]))[0]!),
      });
      applyReorgCheck(store, check);
      return check;
    };

    const base = Number(await publicClient.getBlockNumber({ cacheTime: 0 }));
    for (let n = 0; n <= base; n += 1) expect((await ingest(n)).type).toBe('extends');

    const snapshot = await testClient.snapshot();
    // Branch A: three transfers to bob, ingested as they come.
    const branchA: BlockRef[] = [];
    for (const value of [11n, 12n, 13n]) {
      await transfer(deployer, tokens[0]!, bob.address, value);
      const check = await ingest(Number(await publicClient.getBlockNumber({ cacheTime: 0 })));
      expect(check.type).toBe('extends');
      if (check.type === 'extends') branchA.push(toBlockRef(check.block));
    }
    expect(branchA.map((b) => b.number)).toEqual([base + 1, base + 2, base + 3]);

    // Back to the snapshot; branch B: four different transfers (to carol), one block longer.
    await testClient.revert({ id: snapshot });
    expect(Number(await publicClient.getBlockNumber({ cacheTime: 0 }))).toBe(base);
    for (const value of [21n, 22n, 23n, 24n]) await transfer(deployer, tokens[0]!, carol.address, value);
    const tip = Number(await publicClient.getBlockNumber({ cacheTime: 0 }));
    expect(tip).toBe(base + 4);

    const check = await ingest(tip);
    expect(check.type).toBe('reorg');
    if (check.type !== 'reorg') return;
    expect(check.commonAncestor.number).toBe(base);
    expect(check.orphaned).toEqual([...branchA].reverse());
    expect(check.canonical.map((b) => b.number)).toEqual([base + 1, base + 2, base + 3, base + 4]);
    for (const b of check.canonical) expect(b.hash).toBe((await publicClient.getBlock({ blockNumber: BigInt(b.number) })).hash);

    const retractions = retractionsFor(check, devnet.chainId, Date.now());
    expect(retractions.map((r) => r.blockHash)).toEqual(branchA.map((b) => b.hash).reverse());
    expect(retractions.every((r) => r.replacedByHash !== null && r.replacedByHash !== r.blockHash)).toBe(true);

    // The canonical branch's logs are branch B's transfers only, as the chain now reports.
    const canonicalLogs = check.canonical.flatMap((b) => b.bundle.logs);
    const chainLogs = await publicClient.getLogs({ fromBlock: BigInt(base + 1), toBlock: BigInt(tip) });
    expect(canonicalLogs.map((l) => [l.blockHash, l.logIndex, l.data])).toEqual(
      chainLogs.map((l) => [l.blockHash, l.logIndex, l.data]),
    );
    const values = parseEventLogs({ abi: token.abi, eventName: 'Transfer', logs: canonicalLogs.map(asViemLog) }).map(
      (e) => (e.args as { value: bigint }).value,
    );
    expect(values).toEqual([21n, 22n, 23n, 24n]);
    expect(store.latest()?.hash).toBe(check.canonical.at(-1)!.hash);
  });
});
