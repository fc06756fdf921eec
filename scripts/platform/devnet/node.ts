/**
 * A real local Ethereum dev chain: Hardhat 2's node (the EDR engine, prebuilt in npm) as a
 * child process bound to 127.0.0.1 on a free port. Used by `oracul start` without an RPC
 * endpoint (the devnet, see ./index.ts) and by integration tests. Hardhat's own compiler
 * download is never used (contracts are compiled by ./compile.ts). Hardhat 2 answers
 * eth_getBlockReceipts with "Method not supported", so the fetcher's fallbacks run against a
 * real node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Hex } from 'viem';

const require = createRequire(import.meta.url);

/** Hardhat's well-known development keys (accounts #0-#3, 10 000 ETH each). Public: never use them elsewhere. */
export const DEVNET_PRIVATE_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];

export interface Devnet {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  /** Stops the node (SIGTERM, then SIGKILL after 5 s) and removes its temporary directory. */
  stop(): Promise<void>;
}

export interface StartDevnetParameters {
  /** Default 31337. */
  chainId?: number;
  /** How long to wait for the node to answer. Default 60 s (EDR starts in a few seconds; CI machines are slow). */
  startTimeoutMs?: number;
  /** Mine a block per transaction (default true). The traffic generator turns it off and mines blocks itself. */
  automine?: boolean;
  /** Genesis time (default now): the traffic generator starts its time-warped history after it. */
  initialDate?: Date;
  /** Block gas limit (default Hardhat's 30 M). */
  blockGasLimit?: number;
  /** Port (default a free one). */
  port?: number;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startDevnet(params: StartDevnetParameters = {}): Promise<Devnet> {
  const chainId = params.chainId ?? 31337;
  const dir = mkdtempSync(join(tmpdir(), 'oracul-devnet-'));
  // A config of its own in a temporary directory: no project, no sources, nothing to compile.
  // throwOnTransactionFailures: false mines a reverting transaction and answers its hash, as a real node does.
  const network = {
    chainId,
    mining: { auto: params.automine ?? true },
    throwOnTransactionFailures: false,
    ...(params.initialDate === undefined ? {} : { initialDate: params.initialDate.toISOString() }),
    ...(params.blockGasLimit === undefined ? {} : { blockGasLimit: params.blockGasLimit }),
  };
  writeFileSync(join(dir, 'hardhat.config.cjs'), `module.exports = { networks: { hardhat: ${JSON.stringify(network)} } };\n`);
  const port = params.port ?? (await freePort());
  const cli = require.resolve('hardhat/internal/cli/cli.js');
  const child = spawn(
    process.execPath,
    [cli, 'node', '--hostname', '127.0.0.1', '--port', String(port), '--config', join(dir, 'hardhat.config.cjs')],
    {
      // Hardhat refuses to run unless started from the project that installed it (HH12).
      cwd: resolve(dirname(require.resolve('hardhat/package.json')), '..', '..'),
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}/`;
  const devnet: Devnet = {
    url,
    port,
    chainId,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForRpc(url, child, params.startTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    await devnet.stop();
    throw error;
  }
  return devnet;
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
