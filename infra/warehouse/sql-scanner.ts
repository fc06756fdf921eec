/**
 * A small ClickHouse SQL scanner: just enough to route a statement (kind, FORMAT
 * clause, where INSERT data starts), to find what the endpoint's policy checks
 * (client-side file clauses, calls, engines, assigned settings; statement-policy.ts)
 * and to find query-parameter placeholders. It never rewrites SQL itself; the engine
 * parses and validates every statement. The tokens come from dwh/sql-lexer.ts, the lexer the migration runner
 * splits scripts with.
 */
import { SqlLexer, type SqlToken } from '../../dwh/sql-lexer.ts';

export type StatementKind = 'select' | 'insert' | 'ddl' | 'set' | 'other';

export interface StatementInfo {
  readonly kind: StatementKind;
  /** First keyword, upper-cased ('' for an empty statement). */
  readonly keyword: string;
  /** Format named by a top-level `FORMAT x` clause (output format, or input format for INSERT). */
  readonly format: string | undefined;
  /** For `INSERT ... FORMAT x`: offset (in UTF-16 units of the scanned text) just past the format name. */
  readonly insertFormatEnd: number | undefined;
  /** For an INSERT: where its top-level `SETTINGS ... FORMAT x` tail starts (where `FROM INFILE` belongs). */
  readonly insertTailStart: number | undefined;
  /** `INTO OUTFILE` (the engine would write a file on this host). */
  readonly intoOutfile: boolean;
  /** `FROM INFILE` (the engine would read a file on this host). */
  readonly fromInfile: boolean;
  /** Only whitespace and comments. */
  readonly empty: boolean;
  /** Something follows a top-level `;` (the server refuses multi-statements over HTTP). */
  readonly multiStatement: boolean;
  /** Every `name(` outside literals and comments (functions, table functions, engines, dictionary sources), as written. */
  readonly calls: readonly string[];
  /** Every name outside literals and comments, lower-cased (a function can be passed by name: `arrayMap(file, ...)`). */
  readonly names: ReadonlySet<string>;
  /** Names after `ENGINE [=]` (table or database engines), as written. */
  readonly engines: readonly string[];
  /** Setting names assigned by `SETTINGS a = 1, ...` clauses (any depth) and by a `SET` statement. */
  readonly settingNames: readonly string[];
  /** For CREATE/ATTACH/REPLACE: the kind of object (`TABLE`, `DATABASE`, `DICTIONARY`, `VIEW`, ...), upper-cased. */
  readonly objectType: string | undefined;
  /** `ATTACH ... FROM '<path>'` (the engine would attach table data from a host path). */
  readonly attachFromPath: boolean;
}

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN', 'FROM']);
const DDL_KEYWORDS = new Set([
  'CREATE',
  'DROP',
  'ALTER',
  'RENAME',
  'TRUNCATE',
  'ATTACH',
  'DETACH',
  'OPTIMIZE',
  'EXCHANGE',
  'UNDROP',
]);
const SET_KEYWORDS = new Set(['SET', 'USE']);

export function analyzeStatement(sql: string): StatementInfo {
  const scanner = new SqlLexer(sql);
  const tokens: SqlToken[] = [];
  let first: SqlToken | undefined;
  let depth = 0;
  let format: string | undefined;
  let insertFormatEnd: number | undefined;
  let insertTailStart: number | undefined;
  let intoOutfile = false;
  let fromInfile = false;
  let previous: SqlToken | undefined;
  let terminated = false;
  let multiStatement = false;
  for (let token = scanner.next(); token; token = scanner.next()) {
    if (terminated) {
      multiStatement = true;
      break;
    }
    if (token.type === 'punct' && token.value === ';' && depth === 0) {
      terminated = true;
      continue;
    }
    tokens.push(token);
    if (!first && !(token.type === 'punct' && token.value === '(')) first = token;
    if (token.type === 'punct') {
      if (token.value === '(') depth += 1;
      else if (token.value === ')') depth = Math.max(0, depth - 1);
    }
    const isInsert = first?.type === 'word' && first.value === 'INSERT';
    if (
      isInsert &&
      insertTailStart === undefined &&
      depth === 0 &&
      token.type === 'word' &&
      (token.value === 'SETTINGS' || token.value === 'FORMAT')
    ) {
      insertTailStart = token.start;
    }
    if (previous?.type === 'word') {
      if (previous.value === 'INTO' && token.type === 'word' && token.value === 'OUTFILE') intoOutfile = true;
      if (previous.value === 'FROM' && token.type === 'word' && token.value === 'INFILE') fromInfile = true;
      if (previous.value === 'FORMAT' && depth === 0 && (token.type === 'word' || token.type === 'quoted')) {
        format = token.type === 'word' ? sql.slice(token.start, token.end) : token.value;
        // INSERT data follows the format name and is not SQL: stop scanning there.
        if (isInsert) {
          insertFormatEnd = token.end;
          break;
        }
      }
    }
    previous = token;
  }
  const keyword = first?.type === 'word' ? first.value : '';
  return {
    kind: kindOf(keyword, first),
    keyword,
    format,
    insertFormatEnd,
    insertTailStart,
    intoOutfile,
    fromInfile,
    empty: first === undefined,
    multiStatement,
    calls: callsIn(sql, tokens),
    names: namesIn(sql, tokens),
    engines: enginesIn(sql, tokens),
    settingNames: settingNamesIn(sql, tokens, keyword),
    objectType: objectTypeOf(tokens, keyword),
    attachFromPath: keyword === 'ATTACH' && attachesFromPath(tokens),
  };
}

/** The calls and names in `text` (e.g. the rows of `INSERT ... FORMAT Values`, which the engine evaluates). */
export function findCalls(text: string): { calls: string[]; names: Set<string> } {
  const scanner = new SqlLexer(text);
  const tokens: SqlToken[] = [];
  for (let token = scanner.next(); token; token = scanner.next()) tokens.push(token);
  return { calls: callsIn(text, tokens), names: namesIn(text, tokens) };
}

function namesIn(sql: string, tokens: readonly SqlToken[]): Set<string> {
  const names = new Set<string>();
  for (const token of tokens) if (isName(token)) names.add(nameText(sql, token).toLowerCase());
  return names;
}

function isName(token: SqlToken | undefined): token is SqlToken {
  return token !== undefined && (token.type === 'word' || token.type === 'quoted');
}

function isPunct(token: SqlToken | undefined, value: string): boolean {
  return token !== undefined && token.type === 'punct' && token.value === value;
}

/** A word as written (its token value is upper-cased); a quoted identifier's unescaped text. */
function nameText(sql: string, token: SqlToken): string {
  return token.type === 'word' ? sql.slice(token.start, token.end) : token.value;
}

function callsIn(sql: string, tokens: readonly SqlToken[]): string[] {
  const calls: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const token = tokens[i];
    if (isName(token) && isPunct(tokens[i + 1], '(')) calls.push(nameText(sql, token));
  }
  return calls;
}

function enginesIn(sql: string, tokens: readonly SqlToken[]): string[] {
  const engines: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]?.type !== 'word' || tokens[i]?.value !== 'ENGINE' || isPunct(tokens[i - 1], '.')) continue;
    const name = isPunct(tokens[i + 1], '=') ? tokens[i + 2] : tokens[i + 1];
    if (isName(name)) engines.push(nameText(sql, name));
  }
  return engines;
}

/** `SETTINGS a = 1, b = disk(...)` at any depth, and the assignments of a `SET` statement. */
function settingNamesIn(sql: string, tokens: readonly SqlToken[], keyword: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as SqlToken;
    const opensClause =
      (token.type === 'word' && token.value === 'SETTINGS' && !isPunct(tokens[i - 1], '.')) || (i === 0 && keyword === 'SET');
    if (opensClause) i = readAssignments(sql, tokens, i + 1, names) - 1;
  }
  return names;
}

/** Reads `name = value[, name = value...]` from `at`; returns the index after the last value. */
function readAssignments(sql: string, tokens: readonly SqlToken[], at: number, names: string[]): number {
  let i = at;
  while (isName(tokens[i]) && isPunct(tokens[i + 1], '=')) {
    names.push(nameText(sql, tokens[i] as SqlToken));
    i = skipValue(tokens, i + 2);
    if (!isPunct(tokens[i], ',')) break;
    i += 1;
  }
  return i;
}

/** One setting value: a literal (signed), a name, an array, or a call such as `disk(type = local, ...)`. */
function skipValue(tokens: readonly SqlToken[], at: number): number {
  let i = at;
  if (isPunct(tokens[i], '-') || isPunct(tokens[i], '+')) i += 1;
  if (isName(tokens[i]) && isPunct(tokens[i + 1], '(')) i += 1;
  if (!isPunct(tokens[i], '(') && !isPunct(tokens[i], '[')) return i + 1;
  let depth = 0;
  for (; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(') || isPunct(tokens[i], '[')) depth += 1;
    else if (isPunct(tokens[i], ')') || isPunct(tokens[i], ']')) depth -= 1;
    if (depth === 0) return i + 1;
  }
  return i;
}

const OBJECT_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMPORARY', 'IF', 'NOT', 'EXISTS', 'MATERIALIZED', 'LIVE', 'WINDOW']);

function objectTypeOf(tokens: readonly SqlToken[], keyword: string): string | undefined {
  if (keyword !== 'CREATE' && keyword !== 'ATTACH' && keyword !== 'REPLACE') return undefined;
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] as SqlToken;
    if (token.type !== 'word') return undefined;
    if (!OBJECT_MODIFIERS.has(token.value)) return token.value;
  }
  return undefined;
}

function attachesFromPath(tokens: readonly SqlToken[]): boolean {
  return tokens.some((t, i) => t.type === 'word' && t.value === 'FROM' && tokens[i + 1]?.type === 'string');
}

function kindOf(keyword: string, first: SqlToken | undefined): StatementKind {
  if (first === undefined) return 'other';
  if (READ_KEYWORDS.has(keyword)) return 'select';
  if (keyword === 'INSERT') return 'insert';
  if (DDL_KEYWORDS.has(keyword)) return 'ddl';
  if (SET_KEYWORDS.has(keyword)) return 'set';
  return 'other';
}

/** A `{name:Type}` query-parameter placeholder: where it is in the text, its name and its type as written. */
export interface ParameterPlaceholder {
  /** Offset of `{`. */
  readonly start: number;
  /** Offset just past `}`. */
  readonly end: number;
  readonly name: string;
  readonly type: string;
}

/**
 * Every `{name:Type}` placeholder outside literals and comments, like the server's
 * parser finds them (`{`, an identifier, `:`, a type up to the matching `}`).
 * A `{` that does not start one (a map literal such as `{'k': 1}`) is skipped.
 */
export function findParameterPlaceholders(sql: string): ParameterPlaceholder[] {
  const scanner = new SqlLexer(sql);
  const found: ParameterPlaceholder[] = [];
  const pending: SqlToken[] = [];
  const next = (): SqlToken | undefined => pending.shift() ?? scanner.next();
  for (let token = next(); token; token = next()) {
    if (token.type !== 'punct' || token.value !== '{') continue;
    const name = next();
    if (!name || name.type !== 'word') {
      if (name) pending.push(name);
      continue;
    }
    const colon = next();
    if (!colon || colon.type !== 'punct' || colon.value !== ':') {
      if (colon) pending.push(colon);
      continue;
    }
    let depth = 0;
    let close: SqlToken | undefined;
    for (let t = next(); t; t = next()) {
      if (t.type === 'punct' && t.value === '(') depth += 1;
      else if (t.type === 'punct' && t.value === ')') depth -= 1;
      else if (t.type === 'punct' && t.value === '}' && depth === 0) {
        close = t;
        break;
      }
    }
    if (!close) break;
    found.push({
      start: token.start,
      end: close.end,
      name: sql.slice(name.start, name.end),
      type: sql.slice(colon.end, close.start).trim(),
    });
  }
  return found;
}

/**
 * Where the rows of `INSERT ... FORMAT x<data>` begin, like the server: blanks
 * after the format name are skipped, then at most one line break.
 */
export function insertDataStart(text: string, formatEnd: number): number {
  let i = formatEnd;
  while (text[i] === ' ' || text[i] === '\t') i += 1;
  if (text[i] === '\r' && text[i + 1] === '\n') return i + 2;
  if (text[i] === '\n') return i + 1;
  return i;
}
