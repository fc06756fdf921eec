import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OraculConfig } from '../config/schema.ts';
import { paramText, textStatements, WarehouseHttpError, type TextStatements } from './text-statements.ts';

describe('paramText', () => {
  it('writes values as @clickhouse/client does: strings escaped, array elements quoted', () => {
    expect(paramText('2026-01-01')).toBe('2026-01-01');
    expect(paramText(500)).toBe('500');
    expect(paramText(['0xab', '0xcd'])).toBe("['0xab','0xcd']");
    expect(paramText("a'b\\c\td\ne\r")).toBe("a\\'b\\\\c\\td\\ne\\r");
    expect(paramText(["x' OR '1'='1"])).toBe("['x\\' OR \\'1\\'=\\'1']");
    expect(() => paramText({})).toThrow(TypeError);
  });
});

describe('textStatements', () => {
  const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      if (body.startsWith('FAIL')) res.writeHead(500).end('Code: 62. DB::Exception: Syntax error');
      else res.writeHead(200).end('0xab\t2026-01-01\t{"a":"é"}\n');
    });
  });
  let statements: TextStatements;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const clickhouse = {
      url: `http://127.0.0.1:${port}`,
      database: 'oracul',
      readonlyUsername: 'reader',
      readonlyPassword: 'secret',
      requestTimeoutMs: 5_000,
    } as OraculConfig['clickhouse'];
    statements = textStatements(clickhouse);
  });
  afterAll(() => {
    statements.close();
    server.close();
  });

  it('posts the statement as the read-only user with its parameters bound by name, and returns the answer as text', async () => {
    const text = await statements.send('SELECT 1\nFORMAT TabSeparatedRaw', { tokens: ['0xab'], from: '2026-01-01', limit: 5 });
    expect(text).toBe('0xab\t2026-01-01\t{"a":"é"}\n');
    const { url, headers, body } = seen.at(-1)!;
    const search = new URL(url, 'http://x').searchParams;
    expect(Object.fromEntries(search)).toEqual({
      database: 'oracul',
      wait_end_of_query: '1',
      output_format_json_quote_64bit_integers: '1',
      param_tokens: "['0xab']",
      param_from: '2026-01-01',
      param_limit: '5',
    });
    expect(headers['x-clickhouse-user']).toBe('reader');
    expect(headers['x-clickhouse-key']).toBe('secret');
    expect(body).toBe('SELECT 1\nFORMAT TabSeparatedRaw');
  });

  it('rejects with the status and the server text on another status', async () => {
    const failed = statements.send('FAIL', {}).catch((error: unknown) => error);
    await expect(failed).resolves.toBeInstanceOf(WarehouseHttpError);
    await expect(failed).resolves.toMatchObject({ status: 500, message: expect.stringContaining('DB::Exception') as unknown });
  });

  it('speaks TLS to an https:// warehouse (here a plain-HTTP server, so the handshake fails instead of being refused)', async () => {
    const { port } = server.address() as AddressInfo;
    const tls = textStatements({
      url: `https://127.0.0.1:${port}`,
      database: 'oracul',
      readonlyUsername: 'reader',
      readonlyPassword: 'secret',
      requestTimeoutMs: 5_000,
    } as OraculConfig['clickhouse']);
    try {
      const failed = await tls.send('SELECT 1', {}).catch((error: unknown) => error as Error);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error & { code?: string }).code).toMatch(/^(EPROTO|ERR_SSL_|ECONNRESET)/);
    } finally {
      tls.close();
    }
  });
});
