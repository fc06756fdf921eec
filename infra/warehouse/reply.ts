import type { ServerResponse } from 'node:http';
import type { Transform, Writable } from 'node:stream';
import type { EngineResultStream, EngineStats } from './engine.ts';
import { exceptionBody, fromEngineError, httpStatusFor, type WarehouseError } from './errors.ts';
import {
  contentTypeFor,
  createCompressor,
  midStreamException,
  newExceptionTag,
  summaryHeader,
  writeAndFlush,
  type ResponseEncoding,
} from './response.ts';

/** Writing a query's answer: headers like the server's, optional compression, streaming with backpressure. */

/** What the answer needs to know about the server. */
export interface ReplyContext {
  readonly engine: { readonly version: string };
  readonly displayName: string;
}

export interface Reply {
  readonly response: ServerResponse;
  readonly context: ReplyContext;
  readonly queryId: string;
  readonly format: string;
  readonly timezone: string;
  readonly encoding: ResponseEncoding | undefined;
  readonly level: number | undefined;
}

function baseHeaders(reply: Pick<Reply, 'queryId' | 'format' | 'timezone' | 'context'>): Record<string, string> {
  return {
    'X-ClickHouse-Query-Id': reply.queryId,
    'X-ClickHouse-Format': reply.format,
    'X-ClickHouse-Timezone': reply.timezone,
    'X-ClickHouse-Server-Display-Name': reply.context.displayName,
  };
}

export async function sendBuffered(reply: Reply, bytes: Buffer, stats: EngineStats): Promise<void> {
  const { response } = reply;
  const headers: Record<string, string> = {
    ...baseHeaders(reply),
    'Content-Type': contentTypeFor(reply.format),
    'X-ClickHouse-Summary': summaryHeader(stats),
  };
  if (reply.encoding && bytes.length > 0) {
    headers['Content-Encoding'] = reply.encoding;
    response.writeHead(200, headers);
    const compressor = createCompressor(reply.encoding, reply.level);
    compressor.pipe(response);
    compressor.end(bytes);
    await finished(response);
    return;
  }
  headers['Content-Length'] = String(bytes.length);
  response.writeHead(200, headers);
  response.end(bytes);
}

/** Streams engine chunks with backpressure; a failure after the first byte uses the exception-tag protocol. */
export async function sendStream(reply: Reply, stream: EngineResultStream, signal: AbortSignal): Promise<void> {
  const { response } = reply;
  const tag = newExceptionTag();
  const headers: Record<string, string> = {
    ...baseHeaders(reply),
    'Content-Type': contentTypeFor(reply.format),
    'X-ClickHouse-Exception-Tag': tag,
    // Headers leave before the rows, so this is what is known then (as on the server).
    'X-ClickHouse-Summary': summaryHeader(stream.stats),
  };
  if (reply.encoding) headers['Content-Encoding'] = reply.encoding;
  response.writeHead(200, headers);
  const compressor = reply.encoding ? createCompressor(reply.encoding, reply.level) : undefined;
  // end:false: the response must stay open for a possible exception marker after the last chunk.
  compressor?.pipe(response, { end: false });
  const sink: Writable = compressor ?? response;
  try {
    for await (const chunk of stream.chunks) {
      if (signal.aborted) break;
      if (!sink.write(chunk)) await drained(sink, signal);
    }
  } catch (caught) {
    const error = fromEngineError(caught);
    await sendMidStreamError(reply, compressor, tag, exceptionBody(error, reply.context.engine.version));
    throw error;
  } finally {
    stream.cancel();
  }
  if (signal.aborted) throw signal.reason;
  if (compressor) await endCompressor(compressor);
  response.end();
  await finished(response);
}

function endCompressor(compressor: Transform, last?: Buffer): Promise<void> {
  return new Promise((resolve) => {
    compressor.once('end', () => resolve());
    compressor.once('error', () => resolve());
    compressor.end(last);
  });
}

async function sendMidStreamError(reply: Reply, compressor: Transform | undefined, tag: string, body: string): Promise<void> {
  const marker = midStreamException(tag, body);
  if (compressor) await endCompressor(compressor, marker);
  await writeAndFlush(reply.response, compressor ? Buffer.alloc(0) : marker);
  // No terminating chunk: clients that ignore the tag still see a broken response, not a short result.
  reply.response.destroy();
}

export function sendError(
  response: ServerResponse,
  error: WarehouseError,
  context: ReplyContext,
  meta: { queryId: string; format: string; timezone: string },
): void {
  const body = exceptionBody(error, context.engine.version);
  response.writeHead(httpStatusFor(error), {
    ...baseHeaders({ ...meta, context }),
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Exception-Code': String(error.clickhouseCode),
    'Content-Length': String(Buffer.byteLength(body)),
    // A request whose body was not read (too large, bad encoding) cannot keep the connection.
    ...(error.clickhouseName === 'QUERY_IS_TOO_LARGE' || error.clickhouseName === 'CANNOT_DECOMPRESS'
      ? { Connection: 'close' }
      : {}),
  });
  response.end(body);
}

function drained(sink: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function finished(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (response.writableFinished || response.destroyed) resolve();
    else {
      response.once('finish', () => resolve());
      response.once('close', () => resolve());
    }
  });
}
