import { SqlLexer, type SqlToken } from './sql-lexer.ts';

/**
 * Splits a SQL script into statements at `;` outside quotes, backquotes and comments (as read by
 * {@link SqlLexer}), so the runner can send them one by one (the HTTP interface runs one statement per request).
 * Each statement runs from its first token to its `;`: leading comments (file headers, section notes) are dropped,
 * comments inside it are kept, and comment-only fragments are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  const lexer = new SqlLexer(sql);
  let first: SqlToken | undefined;
  for (let token = lexer.next(); token; token = lexer.next()) {
    if (token.type !== 'punct' || token.value !== ';') first ??= token;
    else if (first !== undefined) {
      statements.push(sql.slice(first.start, token.start).trim());
      first = undefined;
    }
  }
  if (first !== undefined) statements.push(sql.slice(first.start).trim());
  return statements;
}
