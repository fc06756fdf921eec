import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

/** The proxy in front of a real HTTP server: piping, then each outage mode, then piping again on the same port. */
describe('fault proxy', () => {
  let upstream: Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`hello ${req.url}`));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    proxy = await startFaultProxy({ upstreamPort: (upstream.address() as AddressInfo).port });
  });
  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const get = async (path: string): Promise<{ status: number; body: string } | { error: string }> => {
    try {
      const res = await fetch(`${proxy.url}${path.replace(/^\//, '')}`, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: await res.text() };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { error: cause?.code ?? String(error) };
    }
  };

  it('pipes requests to the upstream', async () => {
    expect(await get('/a')).toEqual({ status: 200, body: 'hello /a' });
    expect(proxy.mode).toBe('up');
    expect(proxy.stats.forwarded).toBeGreaterThan(0);
  });

  it('refuses connections while down in refuse mode, and pipes again on the same port', async () => {
    const port = proxy.port;
    await proxy.down('refuse');
    expect(await get('/b')).toEqual({ error: 'ECONNREFUSED' });
    await proxy.up();
    expect(proxy.port).toBe(port);
    expect(await get('/c')).toEqual({ status: 200, body: 'hello /c' });
  });

  it('resets connections in reset mode', async () => {
    await proxy.down('reset');
    const result = await get('/d');
    expect(result).toHaveProperty('error');
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain((result as { error: string }).error);
    await proxy.up();
    expect(await get('/e')).toEqual({ status: 200, body: 'hello /e' });
  });

  it('answers 503 in http503 mode', async () => {
    await proxy.down('http503');
    expect(await get('/f')).toEqual({ status: 503, body: 'upstream down (fault proxy)\n' });
    await proxy.up();
    expect(await get('/g')).toEqual({ status: 200, body: 'hello /g' });
    expect(proxy.stats.failed).toBeGreaterThanOrEqual(3);
  });
});
