import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError, PortInUseError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { metricsRegistry } from './registry.ts';

export interface MetricsServer {
  /** The bound host and port (the real port when 0 asked the OS for a free one). */
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartMetricsServerParameters {
  /** Bind address; loopback by default (put a scraper next to the process or a proxy in front). */
  readonly host?: string;
  /** TCP port; 0 asks the OS for a free port (tests). */
  readonly port: number;
  readonly logger: Logger;
  /** Default: the process registry. */
  readonly registry?: Registry;
}

/**
 * A tiny HTTP server for Prometheus: `GET /metrics` answers the registry in the text exposition format,
 * `GET /healthz` answers `ok`; anything else is 404 (405 for other methods). Rejects with
 * {@link PortInUseError} when the port is taken.
 */
export async function startMetricsServer(params: StartMetricsServerParameters): Promise<MetricsServer> {
  const host = params.host ?? '127.0.0.1';
  const registry = params.registry ?? metricsRegistry;
  const logger = params.logger;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ msg: 'metrics collection failed', err: error });
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' idle connection reuse
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(params.port, host, 'metrics server') : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(params.port, host);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  logger.info({ msg: 'metrics server listening', url });
  return {
    host,
    port,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The metrics server of an `oracul` process, from config: `port` 0 turns it off (returns undefined). A taken
 * port is logged as an error and the process carries on without metrics: observability never stops the
 * pipeline. The server is closed by the process's shutdown. A port that is not 0..65535 is a ConfigError.
 */
export async function startProcessMetrics(params: {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly shutdown?: { add(name: string, callback: () => Promise<void>): void };
}): Promise<MetricsServer | undefined> {
  if (!Number.isInteger(params.port) || params.port < 0 || params.port > 65535) {
    throw new ConfigError(`metrics port must be an integer in 0..65535, got ${String(params.port)}`, {
      details: { key: 'metrics port', value: params.port },
    });
  }
  if (params.port === 0) return undefined;
  try {
    const server = await startMetricsServer({ host: params.host, port: params.port, logger: params.logger });
    params.shutdown?.add('metrics server', () => server.close());
    return server;
  } catch (error) {
    params.logger.error({ msg: 'metrics server not started: carrying on without /metrics', err: error });
    return undefined;
  }
}
