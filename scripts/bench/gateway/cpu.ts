/**
 * The gateway's own CPU per uncached day-range request, without the warehouse: the gateway (Yoga, the HTTP handler,
 * the reader and its statement sender, as `oracul gateway` builds them) runs in a child process
 * (serve-over-stub.ts) over a stub endpoint in this process that answers every day-range statement with 90-day
 * lines shaped like the serving tables' (one version per day, rows rendered as migration 0011 renders them) after
 * --delay ms. No stack, no seeding: a quick A/B of a change to the gateway's execution path. The end-to-end figures
 * stay scripts/bench/gateway.ts's.
 *
 *   npx tsx scripts/bench/gateway/cpu.ts [--rate 200] [--duration 10] [--delay 3] [--only token|flows]
 *     [--profile-dir /tmp/gwprof]   (the child writes a V8 CPU profile there when it exits)
 *     [--node-flags '--max-semi-space-size=64']   (V8/Node flags of the gateway child)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../config/load.ts';
import { addDays } from '../../../core/time.ts';
import { numberArg, textArg } from '../args.ts';
import { pacedLoad, quantileOf } from '../paced-load.ts';
import { flowLine, tokenAddress, tokenLine } from './stub-rows.ts';

const RATE = numberArg('rate', 200);
const DURATION = numberArg('duration', 10);
const DELAY_MS = numberArg('delay', 3);
const ONLY = textArg('only');
const PROFILE_DIR = textArg('profile-dir');
/** V8/Node flags for the gateway child only, e.g. '--max-semi-space-size=64' (an A/B of GC sizing). */
const NODE_FLAGS = textArg('node-flags')?.split(' ').filter(Boolean) ?? [];
const KEY = 'bench-cpu-key';
const FIRST_DAY = '2025-01-01';
const HEX40 = /0x[0-9a-f]{40}/g;

const addressOf = (i: number) => `0x${(0xa000000 + i).toString(16).padStart(40, '0')}`;
const randomInt = (n: number) => Math.floor(Math.random() * n);

function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Answers a day-range statement for every entity of its parameters; anything else with an empty answer. */
function stubEndpoint(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.once('end', () => {
    const search = new URL(req.url ?? '/', 'http://stub').searchParams;
    const days = daysOf(search.get('param_from') ?? FIRST_DAY, search.get('param_to') ?? FIRST_DAY);
    const tokens = search.get('param_tokens')?.match(HEX40) ?? [];
    const addresses = search.get('param_addresses')?.match(HEX40) ?? [];
    const lines = [
      ...tokens.flatMap((t) => days.map((d) => tokenLine(t, d))),
      ...addresses.flatMap((a) => days.map((d) => flowLine(a, d))),
    ];
    const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/tab-separated-values' }).end(body), DELAY_MS);
  });
}

function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const METRICS_QUERY =
  'query M($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { date volumeRaw volumeUsd transferCount uniqueAddresses priceClose isFinal version } }';
const FLOWS_QUERY =
  'query F($a: Address!, $f: Date!, $to: Date!) { addressFlowsDaily(address: $a, from: $f, to: $to) { date tokenAddress inflowRaw outflowRaw netFlowRaw netFlowUsd transferCount } }';

function body(kind: 'token' | 'flows'): string {
  const start = randomInt(365 - 90);
  const [f, to] = [addDays(FIRST_DAY, start), addDays(FIRST_DAY, start + 89)];
  return kind === 'token'
    ? JSON.stringify({ query: METRICS_QUERY, variables: { t: tokenAddress(randomInt(10_000)), f, to } })
    : JSON.stringify({ query: FLOWS_QUERY, variables: { a: addressOf(randomInt(137_000)), f, to } });
}

async function measure(url: string, pid: number, kind: 'token' | 'flows'): Promise<void> {
  const headers = { 'content-type': 'application/json', 'x-api-key': KEY };
  const run = (rate: number, durationS: number) =>
    pacedLoad({ url, headers, rate, durationS, connections: 32, next: () => ({ body: body(kind) }) });
  await run(RATE, 2); // warm-up: JIT, connections
  const cpu0 = processCpuMs(pid);
  const result = await run(RATE, DURATION);
  const cpu = processCpuMs(pid) - cpu0;
  const n = result.latenciesMs.length + result.errors;
  const q = (x: number) => quantileOf(result.latenciesMs, x).toFixed(1);
  console.log(
    `${kind.padEnd(6)} ${RATE}/s  p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  errors ${result.errors}  gateway CPU ${(cpu / n).toFixed(2)} ms/request`,
  );
}

async function main(): Promise<void> {
  const stub = createServer(stubEndpoint);
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const script = join(REPO_ROOT, 'scripts/bench/gateway/serve-over-stub.ts');
  const child = spawn(process.execPath, [...NODE_FLAGS, ...profile, '--import', 'tsx', script, stubUrl, KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const url = `${(JSON.parse(line) as { url: string }).url}/graphql`;
  for (const kind of ['token', 'flows'] as const) if (!ONLY || ONLY === kind) await measure(url, child.pid!, kind);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  stub.close();
}

await main();
