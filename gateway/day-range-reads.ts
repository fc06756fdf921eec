import type DataLoader from 'dataloader';
import { coalescedLoader, roundsByEntity, type CoalescingOptions } from './coalesced-loader.ts';
import { GatewayUpstreamError } from './errors.ts';
import type { SqlName } from './sql.ts';

/** One tokenMetricsDaily read: a token over [from, to] (ISO days). */
export interface TokenRange {
  readonly token: string;
  readonly from: string;
  readonly to: string;
}

/** One addressFlowsDaily read: an address over [from, to], every token ('') or one. */
export interface FlowRange {
  readonly address: string;
  readonly from: string;
  readonly to: string;
  readonly token: string;
}

/** Sends a statement of gateway/sql.ts and returns its TabSeparatedRaw text. */
export type SendText = (name: SqlName, params: Record<string, unknown>) => Promise<string>;

/**
 * Loaders for the day-range reads: concurrent reads of one kind become one statement of gateway/sql.ts over the
 * hull of their ranges, whose `entity<TAB>date[<TAB>token]<TAB>row` lines are split back per read: each read keeps
 * its own days (and token), compared as text before any JSON is parsed. Identical results to one statement per
 * read: an entity read twice with different arguments goes out in a second statement, and a read whose entity
 * reached the statement's row limit inside a wider hull is sent again alone.
 */
export function dayRangeLoaders<TokenRow, FlowRow>(
  send: SendText,
  chainId: string,
  options: CoalescingOptions & { readonly maxFlowRows: number },
): { tokens: DataLoader<TokenRange, TokenRow[]>; flows: DataLoader<FlowRange, FlowRow[]> } {
  const tokenShape: ReadShape<TokenRange> = {
    entityOf: (k) => k.token,
    same: sameRange,
    tokenFilterOf: () => '',
    keyColumns: VERSIONED_KEY_COLUMNS,
    limit: Number.POSITIVE_INFINITY,
  };
  const flowShape: ReadShape<FlowRange> = {
    entityOf: (k) => k.address,
    same: (a, b) => sameRange(a, b) && a.token === b.token,
    tokenFilterOf: (k) => k.token,
    keyColumns: 3,
    limit: options.maxFlowRows,
  };
  const tokens = coalescedLoader<TokenRange, TokenRow[]>(
    (keys, answered) =>
      answerInRounds(keys, tokenShape, answered, (round) =>
        send('tokenMetricsDaily', { chain_id: chainId, tokens: round.map((k) => k.token), ...hullOf(round) }),
      ),
    options,
  );
  const flows = coalescedLoader<FlowRange, FlowRow[]>(
    (keys, answered) =>
      answerInRounds(keys, flowShape, answered, (round) =>
        send('addressFlowsDaily', {
          chain_id: chainId,
          addresses: round.map((k) => k.address),
          ...hullOf(round),
          token: round.every((k) => k.token === round[0]!.token) ? round[0]!.token : '',
          limit: options.maxFlowRows,
        }),
      ),
    options,
  );
  return { tokens, flows };
}

/** How the reads of one statement are told apart and filtered. */
interface ReadShape<K> {
  entityOf(key: K): string;
  same(a: K, b: K): boolean;
  /** The token a read keeps ('' = every token). */
  tokenFilterOf(key: K): string;
  /** Columns before `row`: entity and date, then the token (flows) or version, inserted_at and is_deleted (tokens). */
  keyColumns: KeyColumns;
  /** The statement's row limit per entity. */
  limit: number;
}

const sameRange = (a: DayRange, b: DayRange): boolean => a.from === b.from && a.to === b.to;

/**
 * 2: `entity, date`; 3: `entity, date, token` (flows: versions resolved in SQL); 5: `entity, date, version,
 * inserted_at, is_deleted` (tokens: every stored version, resolved here by newestPerDay).
 */
type KeyColumns = 2 | 3 | 5;
const VERSIONED_KEY_COLUMNS = 5;

interface DayRange {
  readonly from: string;
  readonly to: string;
}

/** The days every read of a round needs: from the earliest `from` to the latest `to` (ISO days compare as text). */
function hullOf(round: readonly DayRange[]): { from: string; to: string } {
  let { from, to } = round[0]!;
  for (const k of round) {
    if (k.from < from) from = k.from;
    if (k.to > to) to = k.to;
  }
  return { from, to };
}

/**
 * One statement per round; every key gets its entity's lines within its own range (none: an empty list). `answered`
 * is called once every statement has answered, before the answers are split and parsed.
 */
async function answerInRounds<K extends DayRange, Row>(
  keys: readonly K[],
  shape: ReadShape<K>,
  answered: () => void,
  sendRound: (round: readonly K[]) => Promise<string>,
): Promise<(Row[] | Error)[]> {
  const { rounds, roundOf } = roundsByEntity(
    keys,
    (k) => shape.entityOf(k),
    (a, b) => shape.same(a, b),
  );
  const texts = await Promise.all(rounds.map((round) => sendRound(round).catch((error: unknown) => error as Error)));
  answered();
  const answers = texts.map((text) => (text instanceof Error ? text : linesByEntity(text, shape.keyColumns)));
  return Promise.all(
    keys.map(async (key, i) => {
      const round = roundOf[i]!;
      const answer = answers[round]!;
      if (answer instanceof Error) return answer;
      const lines = answer.get(shape.entityOf(key)) ?? [];
      const kept = linesWithin(lines, key, shape.tokenFilterOf(key), shape.limit);
      // The limit cut this entity's lines inside a wider hull before the read's last day: its rows may lie past the cut.
      const cut = lines.length >= shape.limit && rounds[round]!.length > 1 && lines.at(-1)!.date <= key.to;
      if (cut && kept.length < shape.limit) return answerAlone<K, Row>(key, shape, sendRound);
      return parseRows<Row>(kept);
    }),
  );
}

async function answerAlone<K extends DayRange, Row>(
  key: K,
  shape: ReadShape<K>,
  sendRound: (round: readonly K[]) => Promise<string>,
): Promise<Row[] | Error> {
  try {
    const lines = linesByEntity(await sendRound([key]), shape.keyColumns).get(shape.entityOf(key)) ?? [];
    return parseRows<Row>(linesWithin(lines, key, shape.tokenFilterOf(key), shape.limit));
  } catch (error) {
    return error as Error;
  }
}

/** One line of a day-range answer, its row still JSON text. */
interface Line {
  readonly date: string;
  readonly token: string;
  readonly json: string;
  /** Versioned answers only (5 key columns): the row's version, insert time (text) and deletion flag. */
  readonly version?: string;
  readonly insertedAt?: string;
  readonly deleted?: boolean;
}

/** The answer's lines per entity; a versioned answer keeps only each day's newest version (newestPerDay). */
function linesByEntity(text: string, keyColumns: KeyColumns): Map<string, Line[]> {
  const byEntity = splitLines(text, keyColumns);
  if (keyColumns === VERSIONED_KEY_COLUMNS) for (const [entity, lines] of byEntity) byEntity.set(entity, newestPerDay(lines));
  return byEntity;
}

/**
 * What `FINAL` keeps of one entity's stored versions, in date order: per day the highest version, the later insert
 * on a tie, and no day whose newest version is deleted. Versions are UInt64 text without leading zeros (longer is
 * larger); insert times are DateTime64(3) text, which sorts as it reads.
 */
export function newestPerDay(lines: readonly Line[]): Line[] {
  // Usual case, one merged part: already in date order with one version per day.
  const sorted = isOneVersionPerDayInOrder(lines) ? lines : [...lines].sort(newestFirstPerDay);
  const kept: Line[] = [];
  let day = '';
  for (const line of sorted) {
    if (line.date === day) continue;
    day = line.date;
    if (!line.deleted) kept.push(line);
  }
  return kept;
}

function isOneVersionPerDayInOrder(lines: readonly Line[]): boolean {
  for (let i = 1; i < lines.length; i++) if (lines[i - 1]!.date >= lines[i]!.date) return false;
  return true;
}

function newestFirstPerDay(a: Line, b: Line): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  const va = a.version ?? '';
  const vb = b.version ?? '';
  if (va !== vb) return va.length !== vb.length ? vb.length - va.length : va < vb ? 1 : -1;
  const ia = a.insertedAt ?? '';
  const ib = b.insertedAt ?? '';
  return ia === ib ? 0 : ia < ib ? 1 : -1;
}

/** The row texts of one read, in the statement's order: its days, its token, at most `limit`. */
function linesWithin(lines: readonly Line[], range: DayRange, token: string, limit: number): string[] {
  const kept: string[] = [];
  for (const line of lines) {
    if (line.date < range.from || line.date > range.to || (token !== '' && line.token !== token)) continue;
    kept.push(line.json);
    if (kept.length >= limit) break;
  }
  return kept;
}

/** Row texts → rows, parsed as one JSON array. */
function parseRows<Row>(json: readonly string[]): Row[] {
  return json.length === 0 ? [] : (JSON.parse(`[${json.join(',')}]`) as Row[]);
}

/**
 * `entity<TAB>key columns<TAB>json` lines (see KeyColumns), grouped by entity in line order. JSON text never holds a
 * raw tab or newline (both are escaped inside strings), so the key columns end at the first tabs and a row at the
 * newline.
 */
export function splitLines(text: string, keyColumns: KeyColumns): Map<string, Line[]> {
  const byEntity = new Map<string, Line[]>();
  const tabs: number[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    tabs.length = 0;
    for (let at = start - 1, i = 0; i < keyColumns; i++) {
      at = text.indexOf('\t', at + 1);
      if (at === -1 || at > end) break;
      tabs.push(at);
    }
    if (tabs.length < keyColumns) {
      throw new GatewayUpstreamError(`warehouse answer line without its ${keyColumns} key columns`, {
        details: { line: text.slice(start, Math.min(end, start + 80)) },
      });
    }
    const entity = text.slice(start, tabs[0]);
    const held = byEntity.get(entity);
    const line = lineOf(text, entity, tabs, end, keyColumns);
    if (held) held.push(line);
    else byEntity.set(entity, [line]);
    start = end + 1;
  }
  return byEntity;
}

/** The key columns after the entity, found at `tabs`, and the row text up to `end`. */
function lineOf(text: string, entity: string, tabs: readonly number[], end: number, keyColumns: KeyColumns): Line {
  const date = text.slice(tabs[0]! + 1, tabs[1]);
  const json = text.slice(tabs[keyColumns - 1]! + 1, end);
  if (keyColumns === 2) return { date, token: entity, json };
  if (keyColumns === 3) return { date, token: text.slice(tabs[1]! + 1, tabs[2]), json };
  const version = text.slice(tabs[1]! + 1, tabs[2]);
  const insertedAt = text.slice(tabs[2]! + 1, tabs[3]);
  return { date, token: entity, json, version, insertedAt, deleted: text.charCodeAt(tabs[3]! + 1) === 49 /* '1' */ };
}
