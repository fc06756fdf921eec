import * as http from 'node:http';
import * as https from 'node:https';
import type { OraculConfig } from '../config/schema.ts';
import { readAnswerText } from './answer-text.ts';

/** Sends one statement (its FORMAT included) with its query parameters and resolves with the whole answer as text. */
export type SendStatementText = (sql: string, params: Readonly<Record<string, unknown>>) => Promise<string>;

export interface TextStatements {
  readonly send: SendStatementText;
  /** Closes the idle connections (the gateway's shutdown). */
  close(): void;
}

/** A warehouse answer other than 200: the status and the start of the server's text (logged, never returned). */
export class WarehouseHttpError extends Error {
  override readonly name = 'WarehouseHttpError';
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`warehouse answered HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

/**
 * Free keep-alive sockets are closed after this long, before the server closes them (ClickHouse's keep_alive_timeout
 * is 3 s, the embedded endpoint's 10 s): a request never goes out on a socket the server is closing.
 */
const IDLE_SOCKET_MS = 2_500;

/**
 * The day-range statements over node:http(s) keep-alive connections, as the read-only user, with the same transport
 * parameters @clickhouse/client sends (database, buffered answer, 64-bit integers quoted) and the values as
 * `param_<name>` query parameters bound by the server. @clickhouse/client spent ~0.35 ms of CPU per statement more
 * than this (query id, URL and settings objects, per-request timers, its socket pool; docs/adr/0020): on the
 * gateway's hot path that is a tenth of its CPU per read. Every other statement still goes through the client.
 */
export function textStatements(clickhouse: OraculConfig['clickhouse']): TextStatements {
  const url = new URL(clickhouse.url);
  // A ClickHouse server is usually reached over TLS; the embedded endpoint over plain HTTP.
  const transport = url.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_SOCKET_MS });
  const base = new URLSearchParams({
    database: clickhouse.database,
    wait_end_of_query: '1',
    output_format_json_quote_64bit_integers: '1',
  }).toString();
  const headers = {
    'content-type': 'text/plain; charset=utf-8',
    'x-clickhouse-user': clickhouse.readonlyUsername,
    'x-clickhouse-key': clickhouse.readonlyPassword,
  };
  const path = `${url.pathname.replace(/\/$/, '')}/?`;
  const send: SendStatementText = (sql, params) =>
    new Promise<string>((resolve, reject) => {
      const outgoing = transport.request(
        { agent, host: url.hostname, port: url.port, method: 'POST', path: `${path}${base}&${bindings(params)}`, headers },
        (answer) => {
          const text = readAnswerText(answer);
          if (answer.statusCode === 200) text.then(resolve, reject);
          else text.then((body) => reject(new WarehouseHttpError(answer.statusCode ?? 0, body)), reject);
        },
      );
      outgoing.setTimeout(clickhouse.requestTimeoutMs, () => outgoing.destroy(new Error('warehouse request timed out')));
      outgoing.once('error', reject);
      outgoing.end(sql);
    });
  return { send, close: () => agent.destroy() };
}

/** `param_<name>=<value>` for every parameter, URL-encoded. */
function bindings(params: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const name in params) parts.push(`param_${name}=${encodeURIComponent(paramText(params[name]))}`);
  return parts.join('&');
}

/** ClickHouse's escaped text of a parameter value: strings as they are, array elements quoted (as @clickhouse/client). */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return escaped(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? `'${escaped(v)}'` : paramText(v))).join(',')}]`;
  throw new TypeError(`unsupported query parameter value: ${typeof value}`);
}

const SPECIAL = /[\t\n\r'\\]/;
const SPECIALS = /[\t\n\r'\\]/g;
const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'", '\\': '\\\\' };

function escaped(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]!) : text;
}
