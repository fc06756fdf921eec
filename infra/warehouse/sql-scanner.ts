/**
 * A small ClickHouse SQL scanner: just enough to route a statement (kind, FORMAT
 * clause, where INSERT data starts), to find what the endpoint's policy checks
 * (client-side file clauses, calls, engines, assigned settings; statement-policy.ts)
 * and to find query-parameter placeholders. It never rewrites SQL itself; the engine
 * parses and validates every statement.
 */

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

interface Token {
  readonly type: 'word' | 'quoted' | 'string' | 'number' | 'punct';
  /** Upper-cased words; unquoted identifier text otherwise. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
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
  const scanner = new Scanner(sql);
  const tokens: Token[] = [];
  let first: Token | undefined;
  let depth = 0;
  let format: string | undefined;
  let insertFormatEnd: number | undefined;
  let insertTailStart: number | undefined;
  let intoOutfile = false;
  let fromInfile = false;
  let previous: Token | undefined;
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
  const scanner = new Scanner(text);
  const tokens: Token[] = [];
  for (let token = scanner.next(); token; token = scanner.next()) tokens.push(token);
  return { calls: callsIn(text, tokens), names: namesIn(text, tokens) };
}

function namesIn(sql: string, tokens: readonly Token[]): Set<string> {
  const names = new Set<string>();
  for (const token of tokens) if (isName(token)) names.add(nameText(sql, token).toLowerCase());
  return names;
}

function isName(token: Token | undefined): token is Token {
  return token !== undefined && (token.type === 'word' || token.type === 'quoted');
}

function isPunct(token: Token | undefined, value: string): boolean {
  return token !== undefined && token.type === 'punct' && token.value === value;
}

/** A word as written (its token value is upper-cased); a quoted identifier's unescaped text. */
function nameText(sql: string, token: Token): string {
  return token.type === 'word' ? sql.slice(token.start, token.end) : token.value;
}

function callsIn(sql: string, tokens: readonly Token[]): string[] {
  const calls: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const token = tokens[i];
    if (isName(token) && isPunct(tokens[i + 1], '(')) calls.push(nameText(sql, token));
  }
  return calls;
}

function enginesIn(sql: string, tokens: readonly Token[]): string[] {
  const engines: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]?.type !== 'word' || tokens[i]?.value !== 'ENGINE' || isPunct(tokens[i - 1], '.')) continue;
    const name = isPunct(tokens[i + 1], '=') ? tokens[i + 2] : tokens[i + 1];
    if (isName(name)) engines.push(nameText(sql, name));
  }
  return engines;
}

/** `SETTINGS a = 1, b = disk(...)` at any depth, and the assignments of a `SET` statement. */
function settingNamesIn(sql: string, tokens: readonly Token[], keyword: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const opensClause =
      (token.type === 'word' && token.value === 'SETTINGS' && !isPunct(tokens[i - 1], '.')) || (i === 0 && keyword === 'SET');
    if (opensClause) i = readAssignments(sql, tokens, i + 1, names) - 1;
  }
  return names;
}

/** Reads `name = value[, name = value...]` from `at`; returns the index after the last value. */
function readAssignments(sql: string, tokens: readonly Token[], at: number, names: string[]): number {
  let i = at;
  while (isName(tokens[i]) && isPunct(tokens[i + 1], '=')) {
    names.push(nameText(sql, tokens[i] as Token));
    i = skipValue(tokens, i + 2);
    if (!isPunct(tokens[i], ',')) break;
    i += 1;
  }
  return i;
}

/** One setting value: a literal (signed), a name, an array, or a call such as `disk(type = local, ...)`. */
function skipValue(tokens: readonly Token[], at: number): number {
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

function objectTypeOf(tokens: readonly Token[], keyword: string): string | undefined {
  if (keyword !== 'CREATE' && keyword !== 'ATTACH' && keyword !== 'REPLACE') return undefined;
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.type !== 'word') return undefined;
    if (!OBJECT_MODIFIERS.has(token.value)) return token.value;
  }
  return undefined;
}

function attachesFromPath(tokens: readonly Token[]): boolean {
  return tokens.some((t, i) => t.type === 'word' && t.value === 'FROM' && tokens[i + 1]?.type === 'string');
}

function kindOf(keyword: string, first: Token | undefined): StatementKind {
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
  const scanner = new Scanner(sql);
  const found: ParameterPlaceholder[] = [];
  const pending: Token[] = [];
  const next = (): Token | undefined => pending.shift() ?? scanner.next();
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
    let close: Token | undefined;
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

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  next(): Token | undefined {
    this.skipBlanksAndComments();
    const { text } = this;
    const start = this.pos;
    if (start >= text.length) return undefined;
    const ch = text[start] as string;
    if (/[A-Za-z_]/.test(ch)) {
      let end = start + 1;
      while (end < text.length && /[A-Za-z0-9_$]/.test(text[end] as string)) end += 1;
      this.pos = end;
      return { type: 'word', value: text.slice(start, end).toUpperCase(), start, end };
    }
    if (/[0-9]/.test(ch)) {
      let end = start + 1;
      while (end < text.length && /[0-9A-Za-z_.]/.test(text[end] as string)) end += 1;
      this.pos = end;
      return { type: 'number', value: text.slice(start, end), start, end };
    }
    if (ch === "'") return this.quoted('string', "'");
    if (ch === '`' || ch === '"') return this.quoted('quoted', ch);
    if (ch === '$') {
      const heredoc = /^\$([A-Za-z0-9_]*)\$/.exec(text.slice(start, start + 64));
      if (heredoc) {
        const close = text.indexOf(heredoc[0], start + heredoc[0].length);
        this.pos = close === -1 ? text.length : close + heredoc[0].length;
        return { type: 'string', value: '', start, end: this.pos };
      }
    }
    this.pos = start + 1;
    return { type: 'punct', value: ch, start, end: this.pos };
  }

  /** A quoted literal: backslash escapes and doubled quotes, as ClickHouse reads them. */
  private quoted(type: 'string' | 'quoted', quote: string): Token {
    const { text } = this;
    const start = this.pos;
    let value = '';
    let i = this.pos + 1;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '\\' && i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
      } else if (c === quote && text[i + 1] === quote) {
        value += quote;
        i += 2;
      } else if (c === quote) {
        i += 1;
        break;
      } else {
        value += c;
        i += 1;
      }
    }
    this.pos = i;
    return { type, value, start, end: i };
  }

  private skipBlanksAndComments(): void {
    const { text } = this;
    for (;;) {
      while (this.pos < text.length && /\s/.test(text[this.pos] as string)) this.pos += 1;
      if (text.startsWith('--', this.pos) || text.startsWith('# ', this.pos) || text.startsWith('#!', this.pos)) {
        const eol = text.indexOf('\n', this.pos);
        this.pos = eol === -1 ? text.length : eol + 1;
      } else if (text.startsWith('/*', this.pos)) {
        this.pos = this.blockCommentEnd(this.pos);
      } else {
        return;
      }
    }
  }

  /** ClickHouse block comments nest. */
  private blockCommentEnd(from: number): number {
    const { text } = this;
    let depth = 0;
    let i = from;
    while (i < text.length) {
      if (text.startsWith('/*', i)) {
        depth += 1;
        i += 2;
      } else if (text.startsWith('*/', i)) {
        depth -= 1;
        i += 2;
        if (depth === 0) return i;
      } else {
        i += 1;
      }
    }
    return text.length;
  }
}
