/**
 * A local CoinGecko-compatible price API for the devnet tokens (node:http on 127.0.0.1), answering exactly what
 * Oracul's price source calls (processors/prices/coingecko-client.ts):
 *
 * - `GET /simple/price?ids=a,b&vs_currencies=usd&include_last_updated_at=true` → `{ "<id>": { "usd": 1.0001, "last_updated_at": 1700000000 } }`
 *   (ids it does not know are left out, as CoinGecko does);
 * - `GET /coins/<id>/market_chart/range?vs_currency=usd&from=<s>&to=<s>` → `{ "prices": [[ms, price], ...], "market_caps": [...],
 *   "total_volumes": [...] }`: hourly points for ranges up to 90 days, daily beyond (CoinGecko's granularity), never
 *   after now; 404 `{"error":"coin not found"}` for an unknown id;
 * - `GET /ping`.
 *
 * Prices are a deterministic function of (token, time): a weekly and a daily wave plus hourly noise from a hash, around
 * each token's base price ({@link devnetPriceAt}). So the history backfilled at start and the live polls agree, and a
 * restart quotes the same past.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { DAY_MS, HOUR_MS } from '../../../core/time.ts';
import type { DevnetTokenSpec } from './tokens.ts';

/** Hash-based noise in [-1, 1] for (id, hour): deterministic, no state. */
function noise(id: string, hour: number): number {
  const h = createHash('sha256').update(`${id}:${hour}`).digest();
  return (h.readUInt32BE(0) / 0xffffffff) * 2 - 1;
}

/**
 * The devnet price of a token at `timeMs` (linear between whole hours), as a decimal string with 8 significant
 * digits. Synthetic market data; the string is what the API puts in its JSON number.
 */
export function devnetPriceAt(
  spec: Pick<DevnetTokenSpec, 'coingeckoId' | 'basePriceUsd' | 'volatility'>,
  timeMs: number,
): string {
  const at = (hour: number): number => {
    const t = hour * HOUR_MS;
    const weekly = Math.sin((2 * Math.PI * t) / (7 * DAY_MS) + spec.coingeckoId.length);
    const daily = Math.sin((2 * Math.PI * t) / DAY_MS);
    return spec.basePriceUsd * (1 + spec.volatility * (0.6 * weekly + 0.25 * daily + 0.15 * noise(spec.coingeckoId, hour)));
  };
  const hour = Math.floor(timeMs / HOUR_MS);
  const f = (timeMs - hour * HOUR_MS) / HOUR_MS;
  const value = at(hour) * (1 - f) + at(hour + 1) * f;
  return formatPrice(value);
}

function formatPrice(value: number): string {
  // 8 significant digits, plain notation (no exponent), trailing zeros trimmed.
  const digits = Math.max(0, 8 - Math.floor(Math.log10(Math.abs(value))) - 1);
  const s = value.toFixed(Math.min(20, digits));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export interface DevnetPriceServer {
  readonly url: string;
  readonly port: number;
  /** Requests answered, by path kind (tests, logs). */
  readonly stats: { simplePrice: number; marketChartRange: number; notFound: number };
  stop(): Promise<void>;
}

export interface StartDevnetPriceServerParameters {
  readonly tokens: readonly Pick<DevnetTokenSpec, 'coingeckoId' | 'basePriceUsd' | 'volatility'>[];
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Clock (tests). Default Date.now. */
  readonly now?: () => number;
}

export async function startDevnetPriceServer(params: StartDevnetPriceServerParameters): Promise<DevnetPriceServer> {
  const byId = new Map(params.tokens.map((t) => [t.coingeckoId, t]));
  const now = params.now ?? Date.now;
  const stats = { simplePrice: 0, marketChartRange: 0, notFound: 0 };

  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') return send(res, 405, '{"error":"method not allowed"}');
    if (url.pathname === '/ping') return send(res, 200, '{"gecko_says":"(V3) To the Moon! (oracul devnet)"}');
    if (url.pathname === '/simple/price') {
      stats.simplePrice += 1;
      if (url.searchParams.get('vs_currencies')?.split(',').includes('usd') !== true) {
        return send(res, 400, '{"error":"only vs_currencies=usd is served"}');
      }
      const t = now();
      const parts: string[] = [];
      for (const id of (url.searchParams.get('ids') ?? '').split(',').filter(Boolean)) {
        const spec = byId.get(id);
        if (!spec) continue;
        const updatedS = Math.floor(t / 60_000) * 60; // quotes refresh every minute
        parts.push(`${JSON.stringify(id)}:{"usd":${devnetPriceAt(spec, updatedS * 1000)},"last_updated_at":${updatedS}}`);
      }
      return send(res, 200, `{${parts.join(',')}}`);
    }
    const m = /^\/coins\/([^/]+)\/market_chart\/range$/.exec(url.pathname);
    if (m) {
      stats.marketChartRange += 1;
      const spec = byId.get(decodeURIComponent(m[1]!));
      if (!spec) {
        stats.notFound += 1;
        return send(res, 404, '{"error":"coin not found"}');
      }
      const fromS = Number(url.searchParams.get('from'));
      const toS = Number(url.searchParams.get('to'));
      if (!Number.isFinite(fromS) || !Number.isFinite(toS) || toS < fromS) return send(res, 400, '{"error":"invalid from/to"}');
      const step = toS - fromS <= (90 * DAY_MS) / 1000 ? HOUR_MS : DAY_MS;
      const end = Math.min(toS * 1000, now());
      const points: string[] = [];
      for (let t = Math.ceil((fromS * 1000) / step) * step; t <= end; t += step) points.push(`[${t},${devnetPriceAt(spec, t)}]`);
      const list = points.join(',');
      return send(res, 200, `{"prices":[${list}],"market_caps":[],"total_volumes":[]}`);
    }
    stats.notFound += 1;
    return send(res, 404, '{"error":"not found"}');
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(params.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
