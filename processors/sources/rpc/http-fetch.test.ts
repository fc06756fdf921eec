import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ResponseBodyTooLargeError } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from './http-fetch.ts';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"jsonrpc":"2.0","id":1,"res');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: the cap applies while reading
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'x'.repeat(5_000) }));
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(JSON.stringify({ echo: JSON.parse(body) as unknown, method: req.method, type: req.headers['content-type'] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the RPC endpoint fetch', () => {
  const fetch = createHttpFetch({ maxBytes: 1_000, maxSockets: 2 });

  it('sends the body and headers, and gives status, headers and the whole text back', async () => {
    const response = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 7 }),
    });
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(JSON.parse(await response.text())).toEqual({ echo: { id: 7 }, method: 'POST', type: 'application/json' });
  });

  it('refuses an answer over the size limit while reading it', async () => {
    await expect(fetch(`${url}/big`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(ResponseBodyTooLargeError);
  });

  it('fails a connection cut mid-answer as a connection error, never a short answer', async () => {
    await expect(fetch(`${url}/cut`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('aborts with the signal', async () => {
    const controller = new AbortController();
    const pending = fetch(`${url}/cut`, { method: 'POST', body: '{}', signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
