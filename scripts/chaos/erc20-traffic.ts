/**
 * Continuous ERC-20 traffic on the Hardhat devnet for chaos tests: real OpenZeppelin tokens (compiled offline with
 * solc-js), deployed and used through viem wallet actions. Each sender account runs its own loop (sequential nonces)
 * of transfers to a pool of recipients and, now and then, a mint (a Transfer from the zero address), at about
 * `txPerS` transactions per second in total. Automining puts every transaction in a block of its own.
 */
import { createPublicClient, createWalletClient, http, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { compileTestContracts, type CompiledContract } from '../platform/devnet/compile.ts';
import { DEVNET_PRIVATE_KEYS, type Devnet } from '../platform/devnet/node.ts';
import { xorshift32 } from '../../core/xorshift.ts';

export interface TrafficStats {
  sent: number;
  mints: number;
  failed: number;
}

export interface Erc20Traffic {
  readonly tokens: readonly Hex[];
  readonly stats: TrafficStats;
  /** Starts the sender loops (idempotent). */
  start(): void;
  /** Stops the loops and waits for the transactions in flight. */
  stop(): Promise<void>;
}

export interface StartErc20TrafficParameters {
  devnet: Devnet;
  /** Approximate total rate (default 8). */
  txPerS?: number;
  /** Recipient pool size (default 40). */
  recipients?: number;
  /** Deterministic choices (default 7). */
  seed?: number;
}

/** Deploys three tokens (18, 6 and 8 decimals), funds the senders, and returns the (not yet started) loops. */
export async function prepareErc20Traffic(params: StartErc20TrafficParameters): Promise<Erc20Traffic> {
  const { devnet } = params;
  const chain = { ...hardhat, id: devnet.chainId, rpcUrls: { default: { http: [devnet.url] } } };
  const publicClient: PublicClient = createPublicClient({ chain, transport: http(devnet.url) });
  const accounts: PrivateKeyAccount[] = DEVNET_PRIVATE_KEYS.map((k) => privateKeyToAccount(k));
  const wallets = accounts.map((account) => createWalletClient({ account, chain, transport: http(devnet.url) }));
  const deployer = wallets[0]!;
  const compiled = await compileTestContracts();
  const token: CompiledContract = compiled.OraculTestToken!;

  const rand = xorshift32(params.seed ?? 7);
  const recipients: Hex[] = Array.from({ length: params.recipients ?? 40 }, (_, i) => {
    const hex = (0x1000 + i).toString(16).padStart(4, '0');
    return `0x${'5eed'.repeat(9)}${hex}` as Hex;
  });

  const tokens: Hex[] = [];
  for (const [name, symbol, decimals] of [
    ['Chaos A', 'CHA', 18],
    ['Chaos B', 'CHB', 6],
    ['Chaos C', 'CHC', 8],
  ] as const) {
    const hash = await deployer.deployContract({
      abi: token.abi,
      bytecode: token.bytecode,
      args: [name, symbol, decimals, 10n ** 36n],
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    tokens.push(receipt.contractAddress!);
  }
  // Every sender holds a share of every token.
  for (const t of tokens) {
    for (const account of accounts.slice(1)) {
      const hash = await deployer.writeContract({
        address: t,
        abi: token.abi,
        functionName: 'transfer',
        args: [account.address, 10n ** 33n],
      });
      await publicClient.waitForTransactionReceipt({ hash });
    }
  }

  const stats: TrafficStats = { sent: 0, mints: 0, failed: 0 };
  const perSenderDelayMs = (1000 * wallets.length) / (params.txPerS ?? 8);
  let running = false;
  let loops: Promise<void>[] = [];

  const loop = async (index: number): Promise<void> => {
    const wallet = wallets[index]!;
    while (running) {
      const t = tokens[Math.floor(rand() * tokens.length)]!;
      const mint = rand() < 0.1;
      const to =
        rand() < 0.2
          ? accounts[Math.floor(rand() * accounts.length)]!.address
          : recipients[Math.floor(rand() * recipients.length)]!;
      // Amounts from 1 wei to far above 2^53.
      const amount = BigInt(Math.floor(rand() * 1e9) + 1) * 10n ** BigInt(Math.floor(rand() * 15));
      try {
        const hash = await wallet.writeContract({
          address: t,
          abi: token.abi,
          functionName: mint ? 'mint' : 'transfer',
          args: [to, amount],
        });
        await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
        stats.sent += 1;
        if (mint) stats.mints += 1;
      } catch {
        stats.failed += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, perSenderDelayMs * (0.5 + rand())));
    }
  };

  return {
    tokens,
    stats,
    start() {
      if (running) return;
      running = true;
      loops = wallets.map((_, i) => loop(i));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
