/**
 * Splits a SQL script into statements at `;` outside quotes, backquotes and
 * comments, so the runner can send them one by one (the HTTP interface runs one
 * statement per request). Comment-only fragments are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let meaningful = false;
  let i = 0;
  const flush = () => {
    if (meaningful) statements.push(stripLeadingComments(current));
    current = '';
    meaningful = false;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      // Quoted text ends at the next unescaped quote; '' and \' both escape.
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j += 1;
      }
      current += sql.slice(i, j + 1);
      meaningful = true;
      i = j + 1;
    } else if (ch === ';') {
      flush();
      i += 1;
    } else {
      current += ch;
      if (!/\s/.test(ch)) meaningful = true;
      i += 1;
    }
  }
  flush();
  return statements;
}

/** Drops the comment lines and blocks before a statement's first keyword (file headers, section notes). */
function stripLeadingComments(statement: string): string {
  let s = statement.trim();
  for (;;) {
    if (s.startsWith('--')) {
      const end = s.indexOf('\n');
      s = end === -1 ? '' : s.slice(end + 1).trim();
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/');
      s = end === -1 ? '' : s.slice(end + 2).trim();
    } else return s;
  }
}
