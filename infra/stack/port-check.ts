import { createServer } from 'node:net';

/**
 * True when nothing listens on host:port. Probes by binding, which is what the
 * service will do: a connect probe would miss a socket bound to 0.0.0.0 on a
 * different interface, and it would not see a port in use by a non-listening bind.
 */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The first busy port of a list, or undefined when all are free. */
export async function firstBusyPort(host: string, ports: readonly number[]): Promise<number | undefined> {
  for (const port of ports) if (!(await isPortFree(host, port))) return port;
  return undefined;
}
