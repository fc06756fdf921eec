/**
 * The irreducible part of any gateway in front of the warehouse, for scripts/bench/gateway.ts: a separate Node
 * process that forwards each HTTP request unchanged (path, headers, body) to the warehouse endpoint over keep-alive
 * connections and streams the answer back. No GraphQL, no parsing, no coalescing: one statement per request, as
 * sent directly. Its latency over the direct path is what an extra process hop alone costs on the same cores.
 *
 *   npx tsx scripts/bench/gateway-proxy.ts <warehouse url>   → prints {"url": "http://127.0.0.1:<port>"} once listening
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const target = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function forward(incoming: IncomingMessage, outgoing: ServerResponse): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
      agent,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  upstream.on('error', (err) => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end(String(err));
  });
  incoming.pipe(upstream);
}

const server = createServer(forward);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
