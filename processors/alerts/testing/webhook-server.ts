/**
 * A real local HTTP server that records webhook posts (Slack-compatible answers), for tests. Answers are taken
 * from a script, one per request (then 200 'ok'): e.g. [{ status: 429, retryAfter: '1' }] answers 429 once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  readonly status: number;
  readonly retryAfter?: string;
  readonly body?: string;
}

export interface RecordedPost {
  readonly path: string;
  readonly body: { text: string; blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[] };
  readonly status: number;
  readonly at: number;
}

export interface WebhookServer {
  readonly url: string;
  /** Every request, including the ones answered with an error. */
  readonly requests: RecordedPost[];
  /** Requests answered 2xx: what Slack would show. */
  delivered(): RecordedPost[];
  script(answers: readonly ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const requests: RecordedPost[] = [];
  let answers: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = answers.shift() ?? { status: 200, body: 'ok' };
      requests.push({
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedPost['body'],
        status: answer.status,
        at: Date.now(),
      });
      res.writeHead(answer.status, {
        'content-type': 'text/plain',
        ...(answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {}),
      });
      res.end(answer.body ?? (answer.status === 200 ? 'ok' : 'error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secretsecret`,
    requests,
    delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    script(next) {
      answers = [...next];
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
