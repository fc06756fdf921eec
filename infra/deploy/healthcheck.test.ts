import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** infra/deploy/healthcheck.mjs, the image's HEALTHCHECK, against real HTTP servers on loopback. */
const SCRIPT = join(import.meta.dirname, 'healthcheck.mjs');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function check(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, _stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

async function serve(status: number): Promise<number> {
  const server: Server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end());
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
  return (server.address() as AddressInfo).port;
}

describe('healthcheck.mjs', () => {
  it('exits 0 on HTTP 200 and 1 on another status or no answer (ORACUL_HEALTHCHECK_URL)', { timeout: 90_000 }, async () => {
    const healthy = await serve(200);
    const failing = await serve(503);
    expect((await check({ ORACUL_HEALTHCHECK_URL: `http://127.0.0.1:${healthy}/healthz` })).code).toBe(0);
    const bad = await check({ ORACUL_HEALTHCHECK_URL: `http://127.0.0.1:${failing}/healthz` });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP 503');
    const closed = await serve(200);
    await cleanups.pop()!();
    expect((await check({ ORACUL_HEALTHCHECK_URL: `http://127.0.0.1:${closed}/healthz` })).code).toBe(1);
  });

  it(
    'finds the `oracul.mjs worker` process in its PID namespace (as in a container) and checks its port',
    { timeout: 180_000 },
    async () => {
      // A stand-in whose argv is `node <dir>/oracul.mjs worker`, serving /healthz on FAKE_PORT, in a new PID namespace
      // with its own /proc (unshare, as root: what a container gives the image's HEALTHCHECK).
      const dir = mkdtempSync(join(tmpdir(), 'oracul-healthcheck-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const fake = join(dir, 'oracul.mjs');
      writeFileSync(
        fake,
        `import { createServer } from 'node:http';
createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end()).listen(Number(process.env.FAKE_PORT), '127.0.0.1');
setTimeout(() => process.exit(0), 20000);`,
      );
      const port = await serve(200);
      await cleanups.pop()!(); // free the port for the stand-in
      const inNamespace = (workerPort: number) =>
        new Promise<{ code: number; output: string }>((done) => {
          const script = [
            `node "${fake}" worker & fake=$!`,
            // Wait until the stand-in listens (checked by URL), then run the check that must find it by itself.
            `for i in $(seq 100); do ORACUL_HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz node "${SCRIPT}" 2>/dev/null && break; sleep 0.1; done`,
            `ORACUL_METRICS_WORKER_PORT=${workerPort} node "${SCRIPT}"; code=$?`,
            'kill $fake; exit $code',
          ].join('\n');
          execFile(
            'unshare',
            ['--pid', '--fork', '--mount-proc', 'sh', '-c', script],
            { env: { ...process.env, FAKE_PORT: String(port) } },
            (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
          );
        });
      const found = await inNamespace(port);
      expect(found.code, found.output).toBe(0);
      const wrongPort = await inNamespace(port === 65535 ? port - 1 : port + 1);
      expect(wrongPort.code, wrongPort.output).toBe(1);
    },
  );
});
