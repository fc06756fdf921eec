import { SECRET_KEYS } from './schema.ts';

const HIDDEN = '[hidden]';
/** Keys holding RPC endpoints: providers put API keys in any path segment, of any length. */
const RPC_URL_KEYS = new Set(['rpcUrls', 'rpcUrl']);
/** Path segments kept in an RPC URL: API versions (`/v2/`, `/v3/`), never a key. */
const RPC_VERSION_SEGMENT = /^v\d{1,2}$/;

/** A copy of the config safe to print: secrets hidden, URLs without credentials or key-like parts. */
export function redactConfig<T>(value: T, key = ''): T {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)])) as T;
  }
  if (typeof value === 'string') {
    if (SECRET_KEYS.has(key)) return HIDDEN as T;
    if (RPC_URL_KEYS.has(key)) return redactRpcUrl(value) as T;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value) as T;
  }
  return value;
}

/** Strips user:password, query values and long opaque path segments (RPC providers put API keys there). */
export function redactUrl(raw: string): string {
  return redact(raw, (seg) => seg.length >= 20 && /^[A-Za-z0-9_-]+$/.test(seg) && /\d/.test(seg));
}

/** An RPC endpoint: scheme, host, port and version segments stay; every other path segment and query value is hidden. */
export function redactRpcUrl(raw: string): string {
  return redact(raw, (seg) => !RPC_VERSION_SEGMENT.test(seg), HIDDEN);
}

function redact(raw: string, hideSegment: (segment: string) => boolean, unparsable = raw): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return unparsable;
  }
  if (url.username || url.password) {
    url.username = url.username ? HIDDEN : '';
    url.password = '';
  }
  for (const k of [...url.searchParams.keys()]) url.searchParams.set(k, HIDDEN);
  if (url.hash) url.hash = HIDDEN;
  url.pathname = url.pathname
    .split('/')
    .map((seg) => (seg !== '' && hideSegment(seg) ? HIDDEN : seg))
    .join('/');
  try {
    return decodeURI(url.toString());
  } catch {
    return url.toString();
  }
}
