/**
 * Compiles the devnet contracts (scripts/platform/devnet/contracts/*.sol) offline with solc-js
 * from npm (the compiler is the emscripten build inside the package: no download), resolving
 * OpenZeppelin imports from node_modules. The output is cached in a JSON file keyed by the
 * sources' and compiler's hash, so `oracul start` compiles once per state dir, not per start.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';
import { DevnetCompileError } from './errors.ts';

const require = createRequire(import.meta.url);
export const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'contracts');

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

interface Solc {
  compile(input: string, callbacks: { import: (path: string) => { contents: string } | { error: string } }): string;
  version(): string;
}

const memo = new Map<string, Promise<Record<string, CompiledContract>>>();

/**
 * Every contract of contracts/*.sol, by name. Compiled once per process; with `cacheDir`, also
 * cached on disk (`<cacheDir>/contracts-<hash>.json`).
 */
export function compileContracts(options: { cacheDir?: string } = {}): Promise<Record<string, CompiledContract>> {
  const key = options.cacheDir ?? '';
  let promise = memo.get(key);
  if (promise === undefined) {
    promise = Promise.resolve().then(() => compileCached(options.cacheDir));
    memo.set(key, promise);
  }
  return promise;
}

/** The contracts for tests (same as {@link compileContracts} without a disk cache). */
export function compileTestContracts(): Promise<Record<string, CompiledContract>> {
  return compileContracts();
}

function sources(): Record<string, { content: string }> {
  const out: Record<string, { content: string }> = {};
  for (const file of readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith('.sol'))
    .sort()) {
    out[file] = { content: readFileSync(join(CONTRACTS_DIR, file), 'utf8') };
  }
  return out;
}

function compileCached(cacheDir: string | undefined): Record<string, CompiledContract> {
  const input = sources();
  if (cacheDir === undefined) return compile(input);
  const solcVersion = (require('solc/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(solcVersion).update(JSON.stringify(input)).digest('hex').slice(0, 16);
  const file = join(cacheDir, `contracts-${hash}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, CompiledContract>;
  } catch {
    // not cached yet (or unreadable): compile and write atomically
  }
  const out = compile(input);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(out));
  renameSync(`${file}.tmp`, file);
  return out;
}

function compile(sourcesByFile: Record<string, { content: string }>): Record<string, CompiledContract> {
  const solc = require('solc') as Solc;
  const input = {
    language: 'Solidity',
    sources: sourcesByFile,
    settings: {
      // Cancun: supported by Hardhat's EDR and by OpenZeppelin 5.
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(require.resolve(path), 'utf8') };
    } catch {
      return { error: `not found: ${path}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new DevnetCompileError(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`, {
      details: { errors: errors.length },
    });
  }
  const out: Record<string, CompiledContract> = {};
  for (const file of Object.keys(sourcesByFile)) {
    for (const [name, contract] of Object.entries(output.contracts?.[file] ?? {})) {
      out[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
    }
  }
  return out;
}
