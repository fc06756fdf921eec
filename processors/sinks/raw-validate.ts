import { SinkRecordInvalidError } from './errors.ts';

/**
 * Format checks of the raw sinks: the hash, address and hex-data fields the Avro schemas type as plain strings.
 * The block source writes them as lowercase `0x` hex of the right width (processors/sources/normalize/hex.ts);
 * anything else is a bug or a foreign producer, and is dead-lettered instead of landing in raw_* where every
 * reader (decoder checks, joins by hash, the gateway) assumes the format.
 *
 * Char-code loops, no regex, no allocation unless a check fails: they run once per hash, address and data field
 * of every row on the sinks' hot path (scripts/bench/sinks.ts).
 */

export type HexRule = 'hash32' | 'address20' | 'hex-data';

const RULE_TEXT: Record<HexRule, string> = {
  hash32: '0x + 64 lowercase hex digits (a 32-byte hash)',
  address20: '0x + 40 lowercase hex digits (a 20-byte address)',
  'hex-data': '0x + an even number of lowercase hex digits',
};

/** Topics of one log: at most 4 (LOG0…LOG4). */
export const MAX_LOG_TOPICS = 4;

/** `0x` followed by lowercase hex digits only (any count). */
function isLowerHex(v: string): boolean {
  if (v.charCodeAt(0) !== 48 || v.charCodeAt(1) !== 120) return false; // "0x"
  for (let i = 2; i < v.length; i += 1) {
    const c = v.charCodeAt(i);
    if ((c < 48 || c > 57) && (c < 97 || c > 102)) return false; // 0-9, a-f
  }
  return true;
}

export function isHash32(v: unknown): boolean {
  return typeof v === 'string' && v.length === 66 && isLowerHex(v);
}

export function isAddress20(v: unknown): boolean {
  return typeof v === 'string' && v.length === 42 && isLowerHex(v);
}

export function isHexData(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 2 && v.length % 2 === 0 && isLowerHex(v);
}

const CHECKS: Record<HexRule, (v: unknown) => boolean> = { hash32: isHash32, address20: isAddress20, 'hex-data': isHexData };

/** Where a value sits, for the error: the table, the block, and the record's list of items (transactions, logs). */
export interface FieldSite {
  readonly table: string;
  readonly chainId: number;
  readonly blockNumber: number;
  readonly items?: 'transactions' | 'logs';
}

/** `transactions[3].from_address`, or the plain field for a record-level one (index < 0). */
function fieldPath(site: FieldSite, field: string, index: number): string {
  return index < 0 || site.items === undefined ? field : `${site.items}[${index}].${field}`;
}

/** Enough of the value to recognise it, never a whole calldata blob. */
export function valuePrefix(v: unknown, max = 24): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function invalidField(
  site: FieldSite,
  field: string,
  value: unknown,
  rule: HexRule | 'max-4-topics',
): SinkRecordInvalidError {
  const prefix = valuePrefix(value);
  const ruleText = rule === 'max-4-topics' ? `at most ${MAX_LOG_TOPICS} topics` : RULE_TEXT[rule];
  return new SinkRecordInvalidError(
    `${site.table}: block ${site.blockNumber} ${field} ${JSON.stringify(prefix)} breaks rule ${rule} (${ruleText})`,
    {
      details: {
        table: site.table,
        chain_id: site.chainId,
        block_number: site.blockNumber,
        field,
        value_prefix: prefix,
        value_length: typeof value === 'string' ? value.length : null,
        rule,
      },
    },
  );
}

/**
 * Throws SinkRecordInvalidError unless `value` satisfies `rule`. `index` is the item's position in the record's
 * list (-1 for a record-level field); the path is built only on failure.
 */
export function requireHex(site: FieldSite, rule: HexRule, value: unknown, field: string, index = -1): void {
  if (!CHECKS[rule](value)) throw invalidField(site, fieldPath(site, field, index), value, rule);
}

/** Nullable columns (to_address, contract_address): null passes. */
export function requireHexOrNull(site: FieldSite, rule: HexRule, value: unknown, field: string, index = -1): void {
  if (value !== null && !CHECKS[rule](value)) throw invalidField(site, fieldPath(site, field, index), value, rule);
}

/** A log's topics: 0 to 4 hashes. */
export function requireTopics(site: FieldSite, topics: readonly unknown[], index: number): void {
  if (topics.length > MAX_LOG_TOPICS) throw invalidField(site, fieldPath(site, 'topics', index), topics, 'max-4-topics');
  for (let i = 0; i < topics.length; i += 1) {
    if (!isHash32(topics[i])) throw invalidField(site, `${fieldPath(site, 'topics', index)}[${i}]`, topics[i], 'hash32');
  }
}
