/**
 * Label hygiene: every label value is drawn from a small set (stage, partition, topic, table, endpoint host,
 * method, reason, severity, channel). Values that come from data or from remote answers pass through
 * {@link boundedLabel}, which caps the distinct values per label name so a surprise can never explode the
 * series count; URLs are reduced to their host, never the path or query where API keys live.
 */

/** Distinct values kept per label name before new ones are folded into `other`. */
export const MAX_LABEL_VALUES = 64;
const MAX_LABEL_LENGTH = 80;

const seen = new Map<string, Set<string>>();

/** `value` if it is one of the first {@link MAX_LABEL_VALUES} distinct values seen for `name`, else `other`. */
export function boundedLabel(name: string, value: string | null | undefined): string {
  const v = value === null || value === undefined || value === '' ? 'none' : value.slice(0, MAX_LABEL_LENGTH);
  let values = seen.get(name);
  if (values === undefined) seen.set(name, (values = new Set()));
  if (values.has(v)) return v;
  if (values.size >= MAX_LABEL_VALUES) return 'other';
  values.add(v);
  return v;
}

/**
 * The `host[:port]` of an endpoint URL: the only part of an RPC or webhook URL that may become a label
 * (credentials in the user-info, keys in the path or query never do). Not a URL → `invalid`.
 */
export function endpointHost(url: string): string {
  try {
    const host = new URL(url).host;
    return host === '' ? 'invalid' : host;
  } catch {
    return 'invalid';
  }
}
