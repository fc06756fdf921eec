/**
 * An open-loop load generator at a constant arrival rate: request i is due at start + i / rate, whatever happened
 * to the requests before it, and its latency is measured from when it was due (so a stall counts against every
 * request it delays, not only the one in flight: no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon lets each connection send its per-second quota back to back from
 * the start of every second and then pauses it until the next one, so "200 requests/s" arrives as a burst of 200 at
 * each second boundary. The latency it reports is mostly the queue of that burst. A rate target means requests
 * spread over the second, which is what this sends (wrk2's and k6's constant-arrival-rate model).
 */
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacedRequest {
  /** Path and query; default the URL's. */
  readonly path?: string;
  readonly body: string;
}

export interface PacedLoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly rate: number;
  readonly durationS: number;
  /** Keep-alive connections at most; requests beyond them wait in the agent's queue (and that wait is measured). */
  readonly connections: number;
  readonly next: () => PacedRequest;
}

export interface PacedLoadResult {
  /** Milliseconds from when each completed request was due to its last response byte, ascending. */
  readonly latenciesMs: Float64Array;
  readonly errors: number;
  /** Failed requests by kind: `HTTP <status>` or the socket error's code (e.g. ECONNRESET). */
  readonly errorKinds: ReadonlyMap<string, number>;
  readonly wallS: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  const total = Math.round(options.rate * options.durationS);
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  const errorKinds = new Map<string, number>();
  const failed = (kind: string): void => void errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(
      send(agent, url, options, options.next()).then(
        (status) => (status === 'ok' ? latencies.push(performance.now() - due) : failed(status), undefined),
        (err: unknown) => failed((err as NodeJS.ErrnoException).code ?? String(err)),
      ),
    );
  }
  await Promise.all(inFlight);
  const wallS = (performance.now() - start) / 1000;
  agent.destroy();
  const errors = [...errorKinds.values()].reduce((sum, n) => sum + n, 0);
  return { latenciesMs: Float64Array.from(latencies).sort(), errors, errorKinds, wallS };
}

/** One POST; resolves 'ok' on a 2xx with its body read, `HTTP <status>` on another status. */
function send(agent: Agent, url: URL, options: PacedLoadOptions, request: PacedRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: request.path ?? `${url.pathname}${url.search}`,
        headers: { ...options.headers, 'content-length': Buffer.byteLength(request.body) },
      },
      (res) => {
        res.on('data', () => undefined);
        const status = res.statusCode ?? 0;
        res.on('end', () => resolve(status >= 200 && status < 300 ? 'ok' : `HTTP ${status}`));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantileOf(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
