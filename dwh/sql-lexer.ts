/**
 * The one SQL lexer of Oracul, reading text the way ClickHouse does: words, numbers, punctuation, `'strings'`,
 * `"quoted"` and `` `quoted` `` identifiers (backslash escapes and doubled quotes), `$tag$heredocs$tag$`, and
 * skipping `--` and `#` line comments and nested block comments. The migration runner splits scripts with it
 * (split-statements.ts); the warehouse endpoint routes and polices statements with it (infra/warehouse/sql-scanner.ts).
 */

export interface SqlToken {
  readonly type: 'word' | 'quoted' | 'string' | 'number' | 'punct';
  /** Upper-cased words; unquoted identifier text otherwise. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Pulls tokens one at a time (a caller may stop early, e.g. where INSERT data begins). */
export class SqlLexer {
  private pos = 0;
  constructor(private readonly text: string) {}

  next(): SqlToken | undefined {
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
  private quoted(type: 'string' | 'quoted', quote: string): SqlToken {
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
