import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstBusyPort, isPortFree } from './port-check.ts';

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('port check', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('sees a port held by a listener on the same address', async () => {
    const { server, port } = await listen('127.0.0.1');
    servers.push(server);
    expect(await isPortFree('127.0.0.1', port)).toBe(false);
  });

  it('sees a port held by a wildcard listener', async () => {
    const { server, port } = await listen('0.0.0.0');
    servers.push(server);
    expect(await isPortFree('127.0.0.1', port)).toBe(false);
  });

  it('reports a released port as free', async () => {
    const { server, port } = await listen('127.0.0.1');
    await new Promise((r) => server.close(r));
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
  });

  it('names the first busy port of a list', async () => {
    const free = await listen('127.0.0.1');
    await new Promise((r) => free.server.close(r));
    const busy = await listen('127.0.0.1');
    servers.push(busy.server);
    expect(await firstBusyPort('127.0.0.1', [free.port, busy.port])).toBe(busy.port);
    expect(await firstBusyPort('127.0.0.1', [free.port])).toBeUndefined();
  });
});
