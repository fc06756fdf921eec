/**
 * Compiles the test contracts offline with solc-js from npm (the compiler is the
 * emscripten build inside the package: no download), resolving OpenZeppelin
 * imports from node_modules.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);
const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'contracts');

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

let cache: Promise<Record<string, CompiledContract>> | undefined;

/** Every contract of scripts/test/contracts/*.sol, by name. Compiled once per process. */
export function compileTestContracts(): Promise<Record<string, CompiledContract>> {
  cache ??= Promise.resolve().then(compile);
  return cache;
}

function compile(): Record<string, CompiledContract> {
  const solc = require('solc') as Solc;
  const file = 'OraculTestToken.sol';
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(join(CONTRACTS_DIR, file), 'utf8') } },
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
  if (errors.length > 0) throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const out: Record<string, CompiledContract> = {};
  for (const [name, contract] of Object.entries(output.contracts?.[file] ?? {})) {
    out[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  }
  return out;
}
