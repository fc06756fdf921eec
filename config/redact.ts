import { SECRET_KEYS } from './schema.ts';

const HIDDEN = '[hidden]';

/** A copy of the config safe to print: secrets hidden, URLs without credentials or key-like path parts. */
export function redactConfig<T>(value: T, key = ''): T {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)])) as T;
  }
  if (typeof value === 'string') {
    if (SECRET_KEYS.has(key)) return HIDDEN as T;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value) as T;
  }
  return value;
}

/** Strips user:password, query values and long opaque path segments (RPC providers put API keys there). */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.username || url.password) {
    url.username = url.username ? HIDDEN : '';
    url.password = '';
  }
  for (const k of [...url.searchParams.keys()]) url.searchParams.set(k, HIDDEN);
  url.pathname = url.pathname
    .split('/')
    .map((seg) => (seg.length >= 20 && /^[A-Za-z0-9_-]+$/.test(seg) && /\d/.test(seg) ? HIDDEN : seg))
    .join('/');
  return decodeURI(url.toString());
}
