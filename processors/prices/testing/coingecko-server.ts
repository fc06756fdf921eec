/**
 * A local HTTP server speaking the CoinGecko v3 endpoints the price source uses
 * (/simple/price, /coins/{id}/market_chart/range, /ping), answering from real recorded
 * daily closes (scripts/test/fixtures/mainnet/prices/*.csv, exchange candles): each close is the price at
 * 00:00 UTC of its day. Prices are written into the JSON bodies as the CSV text, so an exact
 * comparison is possible. Faults: the first `rateLimitFirst` requests get 429 (Retry-After 0),
 * or every request while `rateLimitAll` is set.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DailySeries {
  /** UTC day start (ms) → close price text, ascending. */
  points: { timestampMs: number; price: string }[];
}

/** Reads one symbol's daily closes from a CryptoDataDownload-layout CSV (`,BTC:open,...,BTC:close,...`). */
export function readDailyCloses(file: string, symbol: string): DailySeries {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const column = header!.split(',').indexOf(`${symbol}:close`);
  if (column < 0) throw new Error(`${file}: no ${symbol}:close column`);
  const points = [];
  for (const line of lines) {
    const cells = line.split(',');
    const price = cells[column]?.trim();
    if (!price) continue;
    points.push({ timestampMs: Date.parse(`${cells[0]}T00:00:00Z`), price });
  }
  return { points };
}

export interface CoinGeckoTestServer {
  readonly url: string;
  readonly stats: { requests: number; rateLimited: number; byPath: Record<string, number> };
  /** The server's "now" for /simple/price (latest close at or before it). */
  setNow(ms: number): void;
  setFaults(faults: { rateLimitFirst?: number; rateLimitAll?: boolean }): void;
  close(): Promise<void>;
}

export async function startCoinGeckoTestServer(series: Record<string, DailySeries>): Promise<CoinGeckoTestServer> {
  let now = Date.now();
  let faults: { rateLimitFirst?: number; rateLimitAll?: boolean } = {};
  const stats = { requests: 0, rateLimited: 0, byPath: {} as Record<string, number> };
  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname.replace(/\/coins\/[^/]+\//, '/coins/{id}/');
    stats.byPath[route] = (stats.byPath[route] ?? 0) + 1;
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (faults.rateLimitAll || stats.requests <= (faults.rateLimitFirst ?? 0)) {
      stats.rateLimited += 1;
      return send(429, '{"status":{"error_code":429,"error_message":"You\'ve exceeded the Rate Limit."}}', {
        'retry-after': '0',
      });
    }
    if (url.pathname === '/ping') return send(200, '{"gecko_says":"(V3) To the Moon!"}');
    if (url.pathname === '/simple/price') {
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
      const parts: string[] = [];
      for (const id of ids) {
        const s = series[id];
        if (!s) continue; // CoinGecko leaves unknown ids out
        const latest = s.points.filter((p) => p.timestampMs <= now).at(-1);
        if (!latest) continue;
        parts.push(`${JSON.stringify(id)}:{"usd":${latest.price},"last_updated_at":${latest.timestampMs / 1000}}`);
      }
      return send(200, `{${parts.join(',')}}`);
    }
    const m = /^\/coins\/([^/]+)\/market_chart\/range$/.exec(url.pathname);
    if (m) {
      const s = series[decodeURIComponent(m[1]!)];
      if (!s) return send(404, '{"error":"coin not found"}');
      const from = Number(url.searchParams.get('from')) * 1000;
      const to = Number(url.searchParams.get('to')) * 1000;
      const prices = s.points
        .filter((p) => p.timestampMs >= from && p.timestampMs <= to)
        .map((p) => `[${p.timestampMs},${p.price}]`);
      return send(200, `{"prices":[${prices.join(',')}],"market_caps":[],"total_volumes":[]}`);
    }
    send(404, '{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setNow: (ms) => (now = ms),
    setFaults: (f) => (faults = f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
