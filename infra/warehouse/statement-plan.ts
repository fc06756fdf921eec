import { CH, WarehouseError } from './errors.ts';
import { analyzeStatement, insertDataStart, type StatementInfo } from './sql-scanner.ts';
import { memoizeByText } from './text-memo.ts';

export type StatementPlan =
  | {
      readonly type: 'insert-data';
      /** `INSERT INTO t (cols)`: the part before the SETTINGS/FORMAT tail. */
      readonly head: string;
      /** `SETTINGS ... FORMAT x`. */
      readonly tail: string;
      readonly data: Buffer;
      readonly info: StatementInfo;
    }
  | { readonly type: 'statement'; readonly sql: string; readonly info: StatementInfo };

/** An INSERT's own text must fit in the server's default max_query_size; only that much is scanned for it. */
const PREFIX_SCAN_BYTES = 262_144;

/** Statement analyses, remembered for repeated texts. */
const analyzeCached = memoizeByText(analyzeStatement);

/**
 * The statement of a request, as the server composes it: the `query` URL
 * parameter, a line break, then the body. For `INSERT ... FORMAT x` the rows
 * after the format name stay bytes (Native, RowBinary and gzip'd JSON alike)
 * and never reach the engine as query text: given inline, the engine ends the
 * rows at the first blank line and runs what follows as SQL.
 */
export function planStatement(urlQuery: string | undefined, body: Buffer): StatementPlan {
  const hasUrlQuery = urlQuery !== undefined && urlQuery.trim() !== '';
  if (hasUrlQuery && body.length > 0) {
    const plan = planInsertOfBody(urlQuery, body);
    if (plan) return plan;
  }
  const full = hasUrlQuery
    ? body.length > 0
      ? Buffer.concat([Buffer.from(`${urlQuery}\n`), body])
      : Buffer.from(urlQuery)
    : body;
  if (full.length === 0) throw new WarehouseError(CH.SYNTAX_ERROR, 'Empty query');
  // latin1 keeps one char per byte, so offsets found in the head are byte offsets.
  const head = analyzeCached(full.subarray(0, PREFIX_SCAN_BYTES).toString('latin1'));
  if (head.kind === 'insert' && head.insertFormatEnd !== undefined && head.insertTailStart !== undefined) {
    const headText = full.subarray(0, PREFIX_SCAN_BYTES).toString('latin1');
    const dataStart = insertDataStart(headText, head.insertFormatEnd);
    return {
      type: 'insert-data',
      head: full.subarray(0, head.insertTailStart).toString('utf8'),
      tail: full.subarray(head.insertTailStart, head.insertFormatEnd).toString('utf8'),
      data: full.subarray(dataStart),
      info: head,
    };
  }
  const sql = full.toString('utf8');
  const info = analyzeCached(sql);
  if (info.empty) throw new WarehouseError(CH.SYNTAX_ERROR, 'Empty query');
  // Also what keeps a reused engine session clean: a trailing `SET` cannot ride along.
  if (info.multiStatement) throw new WarehouseError(CH.SYNTAX_ERROR, 'Multi-statements are not allowed');
  return { type: 'statement', sql, info };
}

/**
 * `INSERT ... FORMAT x` in the URL and the rows in the body (clickhouse-js `exec` with values,
 * clickhouse-connect inserts): the rows are the body as received, without copying it behind the
 * query or scanning its bytes as SQL. Undefined when the rows do not start exactly at the body
 * (not an INSERT, rows inline in the URL, a line break of the URL's own after FORMAT x).
 */
function planInsertOfBody(urlQuery: string, body: Buffer): StatementPlan | undefined {
  const query = Buffer.from(`${urlQuery}\n`);
  const text = query.toString('latin1');
  const info = analyzeStatement(text);
  if (info.kind !== 'insert' || info.insertFormatEnd === undefined || info.insertTailStart === undefined) return undefined;
  if (insertDataStart(text, info.insertFormatEnd) !== query.length) return undefined;
  return {
    type: 'insert-data',
    head: query.subarray(0, info.insertTailStart).toString('utf8'),
    tail: query.subarray(info.insertTailStart, info.insertFormatEnd).toString('utf8'),
    data: body,
    info,
  };
}

/** Text formats in which a body of only whitespace holds no rows. */
const TEXT_INSERT_FORMAT = /^(JSON|TabSeparated|TSV|CSV|Values$|CustomSeparated|TSKV$)/i;

/**
 * Whether an INSERT body holds no rows, as the server sees it (the engine itself refuses an
 * empty payload with "No data to insert", where a server inserts nothing). Only text formats
 * read whitespace as "no rows": in RowBinary, Native and the other binary formats `\n`, ` `
 * or 0xA0 are values (a UInt8 of 10 is the one byte 0x0A).
 */
export function isEmptyInsertData(format: string | undefined, data: Buffer): boolean {
  if (data.length === 0) return true;
  if (format === undefined || !TEXT_INSERT_FORMAT.test(format) || data.length >= 4096) return false;
  return data.toString('latin1').trim() === '';
}

/** Client-side clauses that would make the engine read or write files on this host. */
export function assertNoHostFileAccess(info: StatementInfo): void {
  if (info.intoOutfile) throw new WarehouseError(CH.INTO_OUTFILE_NOT_ALLOWED, 'INTO OUTFILE is not allowed');
  if (info.fromInfile)
    throw new WarehouseError(CH.NOT_IMPLEMENTED, 'FROM INFILE is not supported over HTTP; send the rows in the request body');
}
