import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ResponseBodyTooLargeError } from 'viem';

/**
 * The `fetch` an endpoint gives viem's HTTP JSON-RPC client: node:http with a keep-alive agent of its own,
 * the answer read as raw bytes up to `maxBytes`, and handed to viem as a minimal Response whose `text()`
 * decodes that one buffer. Through undici's fetch and viem's size-checked stream reader, every network chunk
 * was copied, streamed and decoded into a string of its own: on 5–10 MB batches (25 mainnet blocks with their
 * receipts) that cost more CPU and garbage than parsing the JSON. Only what viem reads of a Response exists.
 */
export function createHttpFetch(options: { maxBytes: number; maxSockets: number }): typeof fetch {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets }),
  };
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const isHttps = url.protocol === 'https:';
      const send = isHttps ? httpsRequest : httpRequest;
      const headers = new Headers(init.headers);
      const req = send(url, {
        method: init.method ?? 'GET',
        agent: isHttps ? agents['https:'] : agents['http:'],
        headers: Object.fromEntries(headers),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      req.on('error', reject);
      req.on('response', (res) => readBody(res, options.maxBytes).then((body) => resolve(toResponse(res, body)), reject));
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
}

function readBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length'] ?? Number.NaN);
    if (declared > maxBytes) {
      res.destroy();
      reject(new ResponseBodyTooLargeError({ maxSize: maxBytes, size: declared }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(new ResponseBodyTooLargeError({ maxSize: maxBytes, size }));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks, size)));
    res.on('error', reject);
    // A connection cut mid-answer: classified as a connection error (retried), never a short answer.
    res.on('close', () => {
      if (!res.complete)
        reject(Object.assign(new Error('connection closed before the end of the answer'), { code: 'ECONNRESET' }));
    });
  });
}

function toResponse(res: IncomingMessage, body: Buffer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const status = res.statusCode ?? 0;
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers,
    url: '',
    body: null,
    text: () => Promise.resolve(body.toString('utf8')),
    json: () => Promise.resolve(JSON.parse(body.toString('utf8')) as unknown),
  };
  return response as unknown as Response;
}
