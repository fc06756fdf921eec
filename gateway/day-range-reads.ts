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
    keyColumns: 2,
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
    (keys) =>
      answerInRounds(keys, tokenShape, (round) =>
        send('tokenMetricsDaily', { chain_id: chainId, tokens: round.map((k) => k.token), ...hullOf(round) }),
      ),
    options,
  );
  const flows = coalescedLoader<FlowRange, FlowRow[]>(
    (keys) =>
      answerInRounds(keys, flowShape, (round) =>
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
  /** Columns before `row`: entity and date, and the token for flows. */
  keyColumns: 2 | 3;
  /** The statement's row limit per entity. */
  limit: number;
}

const sameRange = (a: DayRange, b: DayRange): boolean => a.from === b.from && a.to === b.to;

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

/** One statement per round; every key gets its entity's lines within its own range (none: an empty list). */
async function answerInRounds<K extends DayRange, Row>(
  keys: readonly K[],
  shape: ReadShape<K>,
  sendRound: (round: readonly K[]) => Promise<string>,
): Promise<(Row[] | Error)[]> {
  const { rounds, roundOf } = roundsByEntity(
    keys,
    (k) => shape.entityOf(k),
    (a, b) => shape.same(a, b),
  );
  const answers = await Promise.all(
    rounds.map((round) =>
      sendRound(round).then(
        (text) => splitLines(text, shape.keyColumns),
        (error: unknown) => error as Error,
      ),
    ),
  );
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
    const lines = splitLines(await sendRound([key]), shape.keyColumns).get(shape.entityOf(key)) ?? [];
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
 * `entity<TAB>date[<TAB>token]<TAB>json` lines, grouped by entity in line order. JSON text never holds a raw tab or
 * newline (both are escaped inside strings), so the key columns end at the first tabs and a row at the newline.
 */
export function splitLines(text: string, keyColumns: 2 | 3): Map<string, Line[]> {
  const byEntity = new Map<string, Line[]>();
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const entityEnd = text.indexOf('\t', start);
    const dateEnd = entityEnd === -1 ? -1 : text.indexOf('\t', entityEnd + 1);
    const keyEnd = keyColumns === 3 && dateEnd !== -1 ? text.indexOf('\t', dateEnd + 1) : dateEnd;
    if (keyEnd === -1 || keyEnd > end) {
      throw new GatewayUpstreamError(`warehouse answer line without its ${keyColumns} key columns`, {
        details: { line: text.slice(start, Math.min(end, start + 80)) },
      });
    }
    const entity = text.slice(start, entityEnd);
    const line: Line = {
      date: text.slice(entityEnd + 1, dateEnd),
      token: keyColumns === 3 ? text.slice(dateEnd + 1, keyEnd) : entity,
      json: text.slice(keyEnd + 1, end),
    };
    const held = byEntity.get(entity);
    if (held) held.push(line);
    else byEntity.set(entity, [line]);
    start = end + 1;
  }
  return byEntity;
}
