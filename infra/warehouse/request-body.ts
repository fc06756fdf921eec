import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { CH, WarehouseError } from './errors.ts';
import { decodeLz4Frames } from './lz4-frame.ts';

/**
 * Reads a request body into memory, decompressing `Content-Encoding` gzip /
 * deflate / br / lz4 while it arrives, and refusing it as soon as more than
 * `limitBytes` come out of the decompressor (so a small compressed bomb costs at
 * most `limitBytes`). The caller picks the limit by the authenticated user's role,
 * before any byte is read. The engine takes an INSERT payload in one piece, hence buffering.
 */
export async function readBody(
  source: Readable,
  headers: IncomingHttpHeaders,
  limitBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = Number(headers['content-length'] ?? Number.NaN);
  if (encoding === 'identity' && Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  // LZ4 frames are decoded in one piece once read (the compressed size is bounded by the same limit).
  const lz4 = encoding === 'lz4';
  const decoder = lz4 ? undefined : decompressorFor(encoding);
  const input = decoder ? source.pipe(decoder) : source;
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const fail = (error: WarehouseError | Error) => {
      if (settled) return;
      settled = true;
      // Stop reading and inflating at once (the rest of a bomb is never decompressed), but leave
      // the socket alone: the caller still answers with an error (and closes the connection).
      source.unpipe();
      source.pause();
      input.removeAllListeners('data');
      decoder?.destroy();
      reject(error);
    };
    input.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limitBytes) fail(tooLarge(limitBytes));
      else chunks.push(chunk);
    });
    input.once('end', () => {
      if (settled) return;
      settled = true;
      try {
        resolve(lz4 ? decodeLz4Frames(Buffer.concat(chunks), limitBytes) : Buffer.concat(chunks));
      } catch (error) {
        reject(error);
      }
    });
    source.on('error', (error) => fail(error));
    signal?.addEventListener('abort', () => fail(signal.reason as Error), { once: true });
    if (decoder) {
      decoder.on('error', (error) =>
        fail(new WarehouseError(CH.CANNOT_DECOMPRESS, `Cannot decompress ${encoding} request body: ${error.message}`)),
      );
    }
  });
}

export function decompressorFor(encoding: string): Transform | undefined {
  switch (encoding) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new WarehouseError(
        CH.UNKNOWN_COMPRESSION_METHOD,
        `Unsupported Content-Encoding '${encoding}' (the embedded endpoint reads gzip, deflate, br and lz4)`,
      );
  }
}

function tooLarge(limitBytes: number): WarehouseError {
  return new WarehouseError(
    CH.QUERY_IS_TOO_LARGE,
    `Request body exceeds the endpoint's limit of ${limitBytes} bytes (warehouse maxBodyBytes); split the insert into smaller batches`,
  );
}

export interface FormField {
  readonly name: string;
  readonly value: string;
  /** Present for file parts: external tables, which the endpoint does not support. */
  readonly filename: string | undefined;
}

/** The boundary of a `multipart/form-data` content type, if it is one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Parses a multipart/form-data body into its fields (clickhouse-js
 * `use_multipart_params`, clickhouse-connect `form_encode_query_params`).
 */
export function parseMultipart(body: Buffer, boundary: string): FormField[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: FormField[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    const part = body.subarray(skipLineBreak(body, partStart), next);
    fields.push(parsePart(part));
    start = next;
  }
  return fields;
}

function skipLineBreak(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  if (body[at] === 0x0a) return at + 1;
  return at;
}

function parsePart(part: Buffer): FormField {
  const headerEnd = part.indexOf('\r\n\r\n');
  if (headerEnd === -1) throw new WarehouseError(CH.BAD_ARGUMENTS, 'Malformed multipart/form-data part: no header end');
  const headers = part.subarray(0, headerEnd).toString('utf8');
  let value = part.subarray(headerEnd + 4);
  // The CRLF before the next delimiter belongs to the delimiter, not the value.
  if (value.length >= 2 && value[value.length - 2] === 0x0d && value[value.length - 1] === 0x0a) value = value.subarray(0, -2);
  const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) throw new WarehouseError(CH.BAD_ARGUMENTS, 'Malformed multipart/form-data part: no field name');
  const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
  return { name, value: value.toString('utf8'), filename };
}
