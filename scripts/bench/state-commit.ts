/**
 * Benchmark: a task's LMDB commits as a backlog makes them, through LmdbTaskState (ADR 0028: a writable map, commits
 * not flushed one by one), next to the same commits through lmdb-js as opened by default (its buffers and
 * overlapping sync: the layout before ADR 0028; the paired baseline) and LmdbTaskState where no boot id is published
 * (a writable map, every commit flushed). No Kafka: the LMDB part of a task's commit alone.
 *
 *   npx tsx scripts/bench/state-commit.ts [--commits 60] [--puts 40000] [--value-bytes 60] [--seed 7]
 *
 * Keys are shaped like address windows (`<window start>|1:<address>:<token>`, ~100 bytes), values `--value-bytes`
 * bytes. The first half of the commits insert new keys (a day filling up), the second half rewrite keys drawn at random
 * from those (a backlog revisiting its open windows): each commit of `--puts` puts is one write transaction, as the
 * runtime applies one committed batch. Modes run in turn on fresh directories in one process; prints per mode
 * wall time, process CPU (all threads), µs of CPU per put and the 1-minute load average, and the ratios to the
 * baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { open } from 'lmdb';
import { encodeStateValue, type StoreDelta } from '../../state/checkpoint-format.ts';
import { LmdbTaskState } from '../../state/lmdbTaskState.ts';
import type { Plain, StateCodec } from '../../state/types.ts';
import { xorshift32 } from '../../core/xorshift.ts';
import { numberArg } from './args.ts';

const COMMITS = numberArg('commits', 60);
const PUTS = numberArg('puts', 40_000);
const VALUE_BYTES = numberArg('value-bytes', 60);
const SEED = numberArg('seed', 7);
const STORE = 'windows';
const plainCodec: StateCodec<unknown> = { encode: (v) => v as Plain, decode: (p) => p };

/** The commits, built before any mode runs: the same deltas for every mode. */
function buildCommits(): StoreDelta[] {
  const rand = xorshift32(SEED);
  const value = encodeStateValue('v'.repeat(VALUE_BYTES));
  const keyOf = (i: number): string =>
    `0000018f2a3c00|1:0x${(Math.imul(i + 1, 2654435761) >>> 0).toString(16).padStart(8, '0')}${'ab'.repeat(16)}` +
    ':0xdac17f958d2ee523a2206206994597c13d831ec7';
  const commits: StoreDelta[] = [];
  let keys = 0;
  for (let c = 0; c < COMMITS; c++) {
    const delta: StoreDelta = new Map();
    while (delta.size < PUTS) delta.set(keyOf(c < COMMITS / 2 ? keys++ : Math.floor(rand() * keys)), value);
    commits.push(delta);
  }
  return commits;
}

interface Mode {
  readonly name: string;
  /** Applies every commit in its own write transaction; resolves when the environment is closed. */
  run(dir: string, commits: readonly StoreDelta[]): Promise<void>;
}

const MODES: readonly Mode[] = [
  {
    name: 'lmdb-js default (before ADR 0028)',
    async run(dir, commits) {
      const root = open({ path: dir, maxDbs: 64, compression: false });
      const db = root.openDB<Buffer, string>({ name: STORE, encoding: 'binary' });
      for (const delta of commits) root.transactionSync(() => delta.forEach((bytes, key) => db.putSync(key, bytes as Buffer)));
      await root.close();
    },
  },
  { name: 'LmdbTaskState, unflushed commits', run: (dir, commits) => viaTaskState(dir, commits, undefined) },
  { name: 'LmdbTaskState, every commit flushed', run: (dir, commits) => viaTaskState(dir, commits, null) },
];

async function viaTaskState(dir: string, commits: readonly StoreDelta[], bootId: null | undefined): Promise<void> {
  const state = LmdbTaskState.open({ path: dir, stores: { [STORE]: plainCodec }, bootId });
  commits.forEach((delta, i) => state.commit(new Map([[STORE, delta]]), { offset: i + 1, checkpoints: new Map() }));
  await state.close();
}

const commits = buildCommits();
const puts = commits.reduce((n, d) => n + d.size, 0);
console.log(
  `state commit benchmark — node ${process.version}; ${COMMITS} commits × ${PUTS} puts (${puts.toLocaleString('en-US')} puts, ` +
    `value ${VALUE_BYTES} B); load average ${loadavg()[0]?.toFixed(2)}`,
);
let baselineCpuMs: number | undefined;
for (const mode of MODES) {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-state-commit-'));
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await mode.run(dir, commits);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const wallMs = performance.now() - wall0;
  baselineCpuMs ??= cpuMs;
  console.log(
    `  ${mode.name.padEnd(40)} wall ${(wallMs / 1000).toFixed(1).padStart(5)} s  CPU ${(cpuMs / 1000).toFixed(1).padStart(5)} s ` +
      `(user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)})  ${((cpuMs * 1000) / puts).toFixed(1).padStart(5)} µs CPU/put  ` +
      `CPU vs baseline ${(cpuMs / baselineCpuMs).toFixed(2)}  load ${loadavg()[0]?.toFixed(2)}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
