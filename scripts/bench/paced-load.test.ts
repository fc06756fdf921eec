import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad, quantileOf } from './paced-load.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A server that answers by the request body: `ok` → 200, `fail` → 500, `drop` → the socket destroyed. */
async function start(): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (body === 'drop') req.socket.destroy();
      else res.writeHead(body === 'ok' ? 200 : 500).end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('pacedLoad', () => {
  it('sends rate × duration requests and counts each failure by its kind', async () => {
    const url = await start();
    const bodies = ['ok', 'fail', 'ok', 'drop', 'ok', 'fail', 'ok', 'ok', 'fail', 'ok'];
    let i = 0;
    const result = await pacedLoad({
      url,
      headers: {},
      rate: 100,
      durationS: 0.1,
      connections: 4,
      next: () => ({ body: bodies[i++]! }),
    });
    expect(i).toBe(10);
    expect(result.latenciesMs).toHaveLength(6);
    expect(result.errors).toBe(4);
    expect(Object.fromEntries(result.errorKinds)).toEqual({ 'HTTP 500': 3, ECONNRESET: 1 });
    expect(quantileOf(result.latenciesMs, 1)).toBeGreaterThanOrEqual(quantileOf(result.latenciesMs, 0.5));
  });
});
