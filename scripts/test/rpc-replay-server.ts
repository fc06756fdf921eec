/**
 * A small local JSON-RPC HTTP server on 127.0.0.1 (ephemeral port) that answers
 * from ChainData (recorded real mainnet responses, or synthetic blocks), with
 * JSON-RPC batches and deterministic fault injection: 429 bursts with Retry-After,
 * 500s, hung requests, dropped connections, no eth_getBlockReceipts, no batches,
 * a getLogs result cap, and a fixed latency per HTTP request.
 *
 * Faults are counted per HTTP request (1, 2, 3, ...), so a run is reproducible.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { hexToNumber, type ChainData, type RpcJson } from './chain-data.ts';

export interface FaultPlan {
  /** Requests n with n % every in [1, burst] get HTTP 429 with Retry-After: the first `burst` of every `every`. */
  rateLimit?: { every: number; burst: number; retryAfterS?: number };
  /** Every n-th request gets HTTP 500 with a text body. */
  serverErrorEvery?: number;
  /** Every n-th request is never answered (the client must time out). */
  hangEvery?: number;
  /** Every n-th request has its connection destroyed without an answer. */
  dropEvery?: number;
  /** eth_getBlockReceipts answers -32601 "method not found", like many providers and Hardhat 2. */
  noBlockReceipts?: boolean;
  /** Batches are refused with a single -32600 error, like providers that disable batching. */
  noBatch?: boolean;
  /** eth_getLogs answers -32005 "query returned more than N results" above N logs. */
  maxLogsPerResponse?: number;
  /** Added before answering every HTTP request. */
  latencyMs?: number;
}

export interface ReplayStats {
  httpRequests: number;
  calls: number;
  callsByMethod: Record<string, number>;
  rateLimited: number;
  serverErrors: number;
  hung: number;
  dropped: number;
  methodNotFound: number;
  batchesRefused: number;
  logLimitErrors: number;
}

export interface ReplayServer {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly port: number;
  readonly stats: ReplayStats;
  /** Replaces the fault plan (request counting continues). */
  setFaults(faults: FaultPlan): void;
  close(): Promise<void>;
}

export interface StartReplayServerParameters {
  chain: ChainData;
  /** Default 1 (mainnet). */
  chainId?: number;
  faults?: FaultPlan;
  /**
   * Keep the newest 1 024 block and receipt answers as text, by call. Only for a chain whose answers never change
   * (the standalone benchmark server): a test that switches its chain's view (a reorg) must not get old text back.
   */
  cacheAnswers?: boolean;
}

type Response = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: { code: number; message: string } };

/** A result already serialised (eth_getLogs answers assembled from cached pieces). */
class RawJson {
  constructor(readonly json: string) {}
}

class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startReplayServer(params: StartReplayServerParameters): Promise<ReplayServer> {
  const { chain } = params;
  const chainId = params.chainId ?? 1;
  let faults: FaultPlan = params.faults ?? {};
  const stats: ReplayStats = {
    httpRequests: 0,
    calls: 0,
    callsByMethod: {},
    rateLimited: 0,
    serverErrors: 0,
    hung: 0,
    dropped: 0,
    methodNotFound: 0,
    batchesRefused: 0,
    logLimitErrors: 0,
  };
  const sockets = new Set<Socket>();

  const call = (method: string, p: unknown[]): unknown => {
    stats.calls += 1;
    stats.callsByMethod[method] = (stats.callsByMethod[method] ?? 0) + 1;
    switch (method) {
      case 'eth_chainId':
        return `0x${chainId.toString(16)}`;
      case 'net_version':
        return String(chainId);
      case 'web3_clientVersion':
        return 'OraculReplay/1.0';
      case 'eth_blockNumber':
        return `0x${chain.head().toString(16)}`;
      case 'eth_getBlockByNumber':
        return withTxs(chain.blockByNumber(blockNumberParam(p[0])), p[1] === true);
      case 'eth_getBlockByHash':
        return withTxs(chain.blockByHash(String(p[0])), p[1] === true);
      case 'eth_getBlockReceipts': {
        if (faults.noBlockReceipts) {
          stats.methodNotFound += 1;
          throw new RpcFault(-32601, 'the method eth_getBlockReceipts does not exist/is not available');
        }
        const number =
          typeof p[0] === 'string' && p[0].length === 66
            ? hexOrUndefined(chain.blockByHash(p[0])?.number)
            : blockNumberParam(p[0]);
        if (number === undefined || chain.blockByNumber(number) === undefined) return null;
        const receipts = chain.receiptsOf(number);
        if (receipts === undefined) throw new RpcFault(-32000, `receipts of block ${number} were not recorded`);
        return receipts;
      }
      case 'eth_getTransactionReceipt':
        return chain.receipt(String(p[0])) ?? null;
      case 'eth_getLogs':
        return getLogs(p[0]);
      default:
        stats.methodNotFound += 1;
        throw new RpcFault(-32601, `the method ${method} does not exist/is not available`);
    }
  };

  // JSON of a block's matching logs per filter, joined without brackets: a range's answer is the
  // concatenation of its blocks' pieces, so no log is stringified twice (benchmarks ask 100 000 logs/s).
  const logsJsonCache = new WeakMap<object, Map<string, { json: string; count: number }>>();
  const blockLogsJson = (receipts: RpcJson[], filterKey: string, match: (log: RpcJson) => boolean) => {
    let byFilter = logsJsonCache.get(receipts);
    if (!byFilter) logsJsonCache.set(receipts, (byFilter = new Map()));
    let piece = byFilter.get(filterKey);
    if (!piece) {
      const parts: string[] = [];
      for (const r of receipts) for (const log of r.logs as RpcJson[]) if (match(log)) parts.push(JSON.stringify(log));
      byFilter.set(filterKey, (piece = { json: parts.join(','), count: parts.length }));
    }
    return piece;
  };

  const getLogs = (filterParam: unknown): RawJson => {
    if (typeof filterParam !== 'object' || filterParam === null) throw new RpcFault(-32602, 'invalid filter');
    const filter = filterParam as {
      fromBlock?: string;
      toBlock?: string;
      blockHash?: string;
      address?: string | string[];
      topics?: (string | string[] | null)[];
    };
    let numbers: number[];
    if (filter.blockHash !== undefined) {
      const block = chain.blockByHash(filter.blockHash);
      if (!block) throw new RpcFault(-32000, 'unknown block');
      numbers = [hexToNumber(block.number)];
    } else {
      const from = blockNumberParam(filter.fromBlock ?? 'latest');
      const to = blockNumberParam(filter.toBlock ?? 'latest');
      if (to < from) throw new RpcFault(-32602, 'invalid block range params');
      numbers = [];
      for (let n = from; n <= to; n += 1) numbers.push(n);
    }
    const addresses = filter.address === undefined ? undefined : new Set([filter.address].flat().map((a) => a.toLowerCase()));
    const filterKey = JSON.stringify([addresses ? [...addresses].sort() : null, filter.topics ?? null]);
    const match = (log: RpcJson) =>
      (!addresses || addresses.has(String(log.address).toLowerCase())) && topicsMatch(filter.topics, log.topics as string[]);
    const pieces: string[] = [];
    let count = 0;
    for (const n of numbers) {
      if (chain.blockByNumber(n) === undefined) throw new RpcFault(-32000, `block ${n} is not part of the replayed chain`);
      const receipts = chain.receiptsOf(n);
      if (receipts === undefined) throw new RpcFault(-32000, `receipts of block ${n} were not recorded`);
      const piece = blockLogsJson(receipts, filterKey, match);
      count += piece.count;
      if (piece.count > 0) pieces.push(piece.json);
      if (faults.maxLogsPerResponse !== undefined && count > faults.maxLogsPerResponse) {
        stats.logLimitErrors += 1;
        throw new RpcFault(-32005, `query returned more than ${faults.maxLogsPerResponse} results`);
      }
    }
    return new RawJson(`[${pieces.join(',')}]`);
  };

  // Serialised results by identity: blocks and receipt lists are stable objects, so a
  // mainnet-sized block is stringified once, not on every request (benchmarks).
  const jsonCache = new WeakMap<object, string>();
  const serialize = (response: Response): string => {
    const { result } = response;
    if (result instanceof RawJson) return `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${result.json}}`;
    if (typeof result !== 'object' || result === null) return JSON.stringify(response);
    let json = jsonCache.get(result);
    if (json === undefined) jsonCache.set(result, (json = JSON.stringify(result)));
    return `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${json}}`;
  };

  // With cacheAnswers: eth_getBlockByNumber / eth_getBlockReceipts answers as text, by call, the newest TEXT_CACHE_CALLS kept.
  // Strings cost the garbage collector nothing to keep, unlike the object graphs they were made from: the
  // chain can then keep few blocks as objects, and a long benchmark does not turn into a measure of this
  // server's collections. Counted in stats like any call; never used for a call a fault would refuse.
  const cacheAnswers = params.cacheAnswers === true;
  const textCache = new Map<string, string>();
  const TEXT_CACHE_CALLS = 1024;
  const textCacheKey = (body: unknown): string | undefined => {
    if (!cacheAnswers) return undefined;
    const { method, params } = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; params?: unknown };
    if (method !== 'eth_getBlockByNumber' && !(method === 'eth_getBlockReceipts' && !faults.noBlockReceipts)) return undefined;
    if (!Array.isArray(params) || typeof params[0] !== 'string' || !/^0x[0-9a-f]+$/.test(params[0])) return undefined;
    return `${method}:${params[0]}:${params[1] === true}`;
  };
  const answerText = (body: unknown): string => {
    const key = textCacheKey(body);
    const id = JSON.stringify((body as { id?: unknown }).id ?? null);
    const hit = key === undefined ? undefined : textCache.get(key);
    if (hit !== undefined) {
      const method = (body as { method: string }).method;
      stats.calls += 1;
      stats.callsByMethod[method] = (stats.callsByMethod[method] ?? 0) + 1;
      return `{"jsonrpc":"2.0","id":${id},"result":${hit}}`;
    }
    const response = answer(body);
    const text = serialize(response);
    const { result } = response;
    if (key !== undefined && typeof result === 'object' && result !== null && !(result instanceof RawJson)) {
      textCache.set(key, jsonCache.get(result) ?? JSON.stringify(result));
      if (textCache.size > TEXT_CACHE_CALLS) textCache.delete(textCache.keys().next().value as string);
    }
    return text;
  };

  const answer = (body: unknown): Response => {
    const request = (typeof body === 'object' && body !== null ? body : {}) as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
    };
    const id = request.id ?? null;
    if (typeof request.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    try {
      return { jsonrpc: '2.0', id, result: call(request.method, Array.isArray(request.params) ? request.params : []) };
    } catch (error) {
      if (error instanceof RpcFault) return { jsonrpc: '2.0', id, error: { code: error.code, message: error.message } };
      return { jsonrpc: '2.0', id, error: { code: -32602, message: error instanceof Error ? error.message : String(error) } };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const n = ++stats.httpRequests;
    const every = (k: number | undefined) => k !== undefined && k > 0 && n % k === 0;
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));

    if (every(faults.dropEvery)) {
      stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    if (every(faults.hangEvery)) {
      stats.hung += 1;
      return; // never answered; close() destroys the socket
    }
    const rl = faults.rateLimit;
    if (rl && n % rl.every >= 1 && n % rl.every <= rl.burst) {
      stats.rateLimited += 1;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(rl.retryAfterS ?? 0) });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 429, message: 'Too Many Requests' } }));
      return;
    }
    if (every(faults.serverErrorEvery)) {
      stats.serverErrors += 1;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
      return;
    }

    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    let payload: string;
    if (Array.isArray(body)) {
      if (faults.noBatch && body.length > 1) {
        stats.batchesRefused += 1;
        payload = JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'batch requests are not supported' },
        });
      } else payload = `[${body.map(answerText).join(',')}]`;
    } else payload = answerText(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    stats,
    setFaults(next) {
      faults = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function blockNumberParam(value: unknown): number {
    if (value === 'latest' || value === 'safe' || value === 'finalized' || value === 'pending') return chain.head();
    if (value === 'earliest') return 0;
    if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value)) return Number.parseInt(value, 16);
    throw new RpcFault(-32602, `invalid block number: ${String(value)}`);
  }
}

/**
 * Run standalone, e.g. in its own process so a benchmark's client has the other core:
 *   npx tsx scripts/test/rpc-replay-server.ts --synthetic [--first 20000000] [--count 100000] [--latency-ms 50] [--cache-blocks 4096]
 *   npx tsx scripts/test/rpc-replay-server.ts --recorded
 * Prints `{"url": ...}` on one line, serves until SIGINT/SIGTERM.
 */
async function main(argv: readonly string[]): Promise<void> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const chain = argv.includes('--recorded')
    ? (await import('./recorded-chain.ts')).loadRecordedChain()
    : (await import('./synthetic-chain.ts')).createSyntheticChain({
        firstBlock: Number(flag('--first') ?? 20_000_000),
        count: Number(flag('--count') ?? 100_000),
        // A mainnet-shaped block held as JSON objects and text is a few MB: thousands of them push the server into
        // constant garbage collection, which a benchmark then measures instead of its client.
        cacheSize: Number(flag('--cache-blocks') ?? 4096),
      });
  const latency = flag('--latency-ms');
  const server = await startReplayServer({ chain, faults: latency ? { latencyMs: Number(latency) } : {}, cacheAnswers: true });
  console.log(JSON.stringify({ url: server.url, head: chain.head() }));
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

function hexOrUndefined(value: unknown): number | undefined {
  return typeof value === 'string' ? hexToNumber(value) : undefined;
}

const hashesOnly = new WeakMap<RpcJson, RpcJson>();
function withTxs(block: RpcJson | undefined, full: boolean): RpcJson | null {
  if (block === undefined) return null;
  if (full) return block;
  // One stable object per block, so the serialiser's cache serves eth_getBlockByNumber(n, false) too.
  let header = hashesOnly.get(block);
  if (!header)
    hashesOnly.set(block, (header = { ...block, transactions: (block.transactions as RpcJson[]).map((tx) => tx.hash) }));
  return header;
}

function topicsMatch(filter: (string | string[] | null)[] | undefined, topics: string[]): boolean {
  if (!filter) return true;
  return filter.every((want, i) => {
    if (want === null) return true;
    const have = topics[i]?.toLowerCase();
    return have !== undefined && [want].flat().some((w) => w.toLowerCase() === have);
  });
}
