/**
 * A fault-injecting TCP proxy for chaos tests: listens on 127.0.0.1 and pipes every connection to an upstream
 * port, until told to fail. The outages it makes are real network failures seen by unmodified clients:
 *
 * - `refuse`: the listening socket is closed (connect() gets ECONNREFUSED) and open connections are reset;
 * - `reset`: connections are accepted and reset at once (ECONNRESET), open ones too;
 * - `http503`: every connection is answered `503 Service Unavailable` and closed (an unhealthy load balancer).
 *
 * `up()` listens again on the same port and pipes again. Connections count and bytes are kept for the report.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { connect } from 'node:net';

export type FaultMode = 'refuse' | 'reset' | 'http503';
export const FAULT_MODES: readonly FaultMode[] = ['refuse', 'reset', 'http503'];

export interface FaultProxyStats {
  /** Connections piped to the upstream. */
  forwarded: number;
  /** Connections reset, refused-while-open or answered 503 during outages. */
  failed: number;
  bytesUp: number;
  bytesDown: number;
}

export interface FaultProxy {
  readonly port: number;
  readonly url: string;
  readonly mode: 'up' | FaultMode;
  readonly stats: FaultProxyStats;
  /** Starts failing every connection (and cuts the open ones). */
  down(mode: FaultMode): Promise<void>;
  /** Pipes to the upstream again. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface StartFaultProxyParameters {
  upstreamPort: number;
  upstreamHost?: string;
  /** Default: a free port chosen by the OS. */
  port?: number;
  /** URL scheme and path for `url` (default `http://` and `/`). */
  path?: string;
}

const HTTP_503 =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 28\r\nConnection: close\r\n\r\nupstream down (fault proxy)\n';

export async function startFaultProxy(params: StartFaultProxyParameters): Promise<FaultProxy> {
  const upstreamHost = params.upstreamHost ?? '127.0.0.1';
  const stats: FaultProxyStats = { forwarded: 0, failed: 0, bytesUp: 0, bytesDown: 0 };
  const open = new Set<Socket>();
  let mode: 'up' | FaultMode = 'up';
  let server: Server | undefined;
  let port = params.port ?? 0;

  const onConnection = (client: Socket): void => {
    if (mode === 'reset' || mode === 'refuse') {
      stats.failed += 1;
      client.resetAndDestroy();
      return;
    }
    if (mode === 'http503') {
      stats.failed += 1;
      client.on('error', () => undefined);
      // Answer once the request has started arriving, as a server would; then close.
      client.once('data', () => client.end(HTTP_503));
      return;
    }
    stats.forwarded += 1;
    const upstream = connect({ host: upstreamHost, port: params.upstreamPort });
    open.add(client);
    open.add(upstream);
    const cut = (): void => {
      open.delete(client);
      open.delete(upstream);
      if (!client.destroyed) client.resetAndDestroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('data', (chunk: Buffer) => (stats.bytesUp += chunk.length));
    upstream.on('data', (chunk: Buffer) => (stats.bytesDown += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = async (): Promise<void> => {
    const s = createServer({ allowHalfOpen: false }, onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const stopListening = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  const cutOpen = (): void => {
    for (const socket of open) {
      stats.failed += 1;
      socket.resetAndDestroy();
    }
    open.clear();
  };

  await listen();
  const path = params.path ?? '/';
  return {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}${path}`;
    },
    get mode() {
      return mode;
    },
    stats,
    async down(next) {
      mode = next;
      if (next === 'refuse') {
        const closing = stopListening();
        cutOpen();
        await closing;
      } else {
        cutOpen();
        if (!server) await listen();
      }
    },
    async up() {
      mode = 'up';
      if (!server) await listen();
    },
    async close() {
      mode = 'refuse';
      const closing = stopListening();
      cutOpen();
      await closing;
    },
  };
}
