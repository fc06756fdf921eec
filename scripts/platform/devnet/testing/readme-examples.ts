/**
 * The README's devnet examples (between `<!-- devnet-examples:start -->` and `:end -->`), run as written by
 * devnet.it: the only edits are the two a reader makes too — their key and, when the gateway is not on 4000, its
 * port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../../config/index.ts';

const START = '<!-- devnet-examples:start -->';
const END = '<!-- devnet-examples:end -->';

/** The shell blocks of the README's devnet examples, in order: queries, SSE subscription, graphql-ws subscription. */
export function readmeExampleBlocks(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The queries block with the reader's two edits: the key, and the gateway's port. */
export function personalise(block: string, key: string, graphqlUrl: string): string {
  return block
    .replace(/^export ORACUL_KEY=.*$/m, `export ORACUL_KEY=${key}`)
    .replaceAll('http://127.0.0.1:4000/graphql', graphqlUrl);
}

/** Runs `script` in bash from the repository root, as a reader would in a terminal there; collects stdout and stderr. */
export function runShell(script: string): { child: ChildProcess; stdout: () => string; done: Promise<number | null> } {
  const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, done };
}

/** The lines of the queries block that set variables (key, URL, the gql function), to prefix the other blocks. */
export function setupLines(personalisedQueries: string): string {
  return personalisedQueries
    .split('\n')
    .filter((line) => /^(export ORACUL_KEY=|GQL=|gql\(\))/.test(line))
    .join('\n');
}
