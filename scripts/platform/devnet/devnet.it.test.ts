import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../../config/index.ts';
import { createWarehouseClient } from '../../../dwh/client.ts';
import { testConfig, testStackEnv } from '../../test/test-config.ts';
import { startWebhookServer, type WebhookServer } from '../../../processors/alerts/testing/webhook-server.ts';
import { personalise, readmeExampleBlocks, runShell, setupLines } from './testing/readme-examples.ts';
import { DEVNET_CHAIN_ID, DEVNET_TOKENS, devnetTokens } from './tokens.ts';

/**
 * `oracul start` with no endpoint, end to end: the devnet, the traffic generator, the price server and the whole
 * platform against the test stack. Waits for transfers of every devnet token, daily metrics for many days, the planted
 * anomalies and the reorg (orphaned block retracted, its replacement canonical), then SIGTERMs and checks a clean exit.
 */
describe('oracul start without an RPC endpoint (devnet)', () => {
  const client = createWarehouseClient({ config: testConfig() });
  let webhook: WebhookServer | undefined;
  const outboxDir = mkdtempSync(join(tmpdir(), 'oracul-devnet-alerts-'));
  afterAll(async () => {
    await client.close();
    await webhook?.close();
    rmSync(outboxDir, { recursive: true, force: true });
  });
  const query = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> => {
    const rs = await client.query({ query: sql, query_params: { chain: DEVNET_CHAIN_ID, ...params }, format: 'JSONEachRow' });
    return rs.json<T>();
  };

  it(
    'ingests the generated history, scores the planted anomalies, retracts the reorg and stops cleanly',
    { timeout: 900_000 },
    async () => {
      const started = Date.now();
      webhook = await startWebhookServer();
      const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/oracul.mjs'), 'start', '--gateway-port', '0'], {
        env: {
          ...process.env,
          ...testStackEnv(),
          ORACUL_LOG_LEVEL: 'info',
          ORACUL_METRICS_PORT: '0',
          ORACUL_RPC_URL: '',
          // A local Slack: the first digest of a fresh run must hold only the planted anomalies.
          ORACUL_ALERTS_SLACK_WEBHOOK_URL: webhook.url,
          ORACUL_ALERTS_OUTBOX_DIR: outboxDir,
          // Every alert in full (the budget is unit-tested): other test files' alerts on the shared stack must not
          // push the devnet's own into a summary.
          ORACUL_ALERTS_MAX_DETAILED_ALERTS_PER_HOUR: '1000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      // The whole log of the child, for a failure's post-mortem (the error message shows only its tail).
      const logFile = resolve(REPO_ROOT, testConfig().stack.stateDir, 'devnet-start.log');
      const log = createWriteStream(logFile);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        log.write(chunk);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const tail = () => `(full log: ${logFile})\n${output.slice(-6000)}`;

      /** On a timeout, `explain` adds what the warehouse holds (the log tail alone rarely says why). */
      const waitFor = async (
        what: string,
        check: () => Promise<boolean>,
        timeoutMs: number,
        explain?: () => Promise<string>,
      ): Promise<number> => {
        // The wait also ends when the process exits (reported below); vi.waitFor throws at the timeout.
        const met = await vi
          .waitFor(async () => expect(child.exitCode !== null || (await check().catch(() => false))).toBe(true), {
            timeout: timeoutMs,
            interval: 2_000,
          })
          .then(
            () => true,
            () => false,
          );
        if (child.exitCode !== null)
          throw new Error(`oracul start exited (${child.exitCode}) while waiting for ${what}:\n${tail()}`);
        if (met) return Math.round((Date.now() - started) / 1000);
        const state =
          explain === undefined ? '' : await explain().catch((error: unknown) => `(explain failed: ${String(error)})`);
        throw new Error(`timed out waiting for ${what}:\n${state}\n${tail()}`);
      };

      const subscriptions: ReturnType<typeof runShell>[] = [];
      try {
        const tokens = devnetTokens();
        const firstData = await waitFor(
          'the first transfers',
          async () =>
            (await query<{ n: string }>('SELECT count() AS n FROM erc20_transfers WHERE chain_id = {chain:UInt64}'))[0]!.n !==
            '0',
          300_000,
        );
        // The "what to open" log names the gateway's actual URL (--gateway-port 0 picks a free port).
        const logged = (msg: string) =>
          JSON.parse(output.split('\n').find((line) => line.includes(`"msg":"${msg}"`)) ?? '{}') as Record<string, unknown>;
        await waitFor('the "what to open" log', async () => output.includes('"msg":"devnet running: what to open"'), 120_000);
        const gatewayUrl = logged('gateway started').url;
        expect(gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
        const open = logged('devnet running: what to open');
        expect(open.graphql).toBe(gatewayUrl);
        // The run's development key, with a curl command and the GraphiQL headers that carry it.
        const devKey = String(open.dev_key);
        expect(devKey).toMatch(/^orc_dev_/);
        expect(open.curl).toContain(`x-api-key: ${devKey}`);
        expect(JSON.parse(String(open.graphiqlHeaders))).toEqual({ 'x-api-key': devKey });
        const curl = runShell(String(open.curl));
        await curl.done;
        expect(JSON.parse(curl.stdout()), curl.stdout()).not.toHaveProperty('errors');
        // The README's subscriptions, as written, started now so they see the anomalies as they are detected.
        const [queriesBlock, sseBlock, wsBlock] = readmeExampleBlocks();
        const queries = personalise(queriesBlock!, devKey, String(gatewayUrl));
        const sse = runShell(`${setupLines(queries)}\n${sseBlock!}`);
        const ws = runShell(`${setupLines(queries)}\n${wsBlock!}`);
        subscriptions.push(sse, ws);
        const allTokens = await waitFor(
          'transfers of every devnet token',
          async () => {
            const rows = await query<{ token_address: string }>(
              'SELECT DISTINCT token_address FROM erc20_transfers FINAL WHERE chain_id = {chain:UInt64}',
            );
            return tokens.every((t) => rows.some((r) => r.token_address === t.address));
          },
          300_000,
        );
        const manyDays = await waitFor(
          'token_metrics_daily rows for 10+ days',
          async () =>
            Number(
              (
                await query<{ n: string }>(
                  'SELECT uniqExact(date) AS n FROM token_metrics_daily FINAL WHERE chain_id = {chain:UInt64} AND volume_usd IS NOT NULL',
                )
              )[0]!.n,
            ) >= 10,
          300_000,
          async () => {
            // Per token: days, days without volume_usd, and whether decimals and prices were known.
            const rows = await query<Record<string, string>>(
              `SELECT token_address, any(symbol) AS symbol, any(decimals) AS decimals, count() AS days,
                      countIf(volume_usd IS NULL) AS days_without_usd, sum(transfer_count) AS transfers,
                      sum(priced_transfer_count) AS priced, countIf(price_close IS NOT NULL) AS days_with_price
                 FROM token_metrics_daily FINAL WHERE chain_id = {chain:UInt64} GROUP BY token_address`,
            );
            return `token_metrics_daily by token: ${JSON.stringify(rows)}`;
          },
        );
        const spike = /"planted_anomalies":\[\{"kind":"token_volume_spike","day":"(\d{4}-\d{2}-\d{2})"/.exec(output)?.[1];
        expect(spike, tail()).toBeDefined();
        const weth = tokens.find((t) => t.symbol === 'dWETH')!;
        const anomaly = await waitFor(
          'the planted dWETH spike in anomalies',
          async () =>
            (
              await query<{ n: string }>(
                `SELECT count() AS n FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND entity_type = 'token'
                 AND entity_id = {token:String} AND day = {day:Date} AND status != 'withdrawn'`,
                { token: weth.address, day: spike },
              )
            )[0]!.n !== '0',
          300_000,
        );
        await waitFor('the anomaly in the log', async () => output.includes('"msg":"devnet: anomaly"'), 60_000);
        const reorgAt = await waitFor(
          'the reorg',
          async () => output.includes('"msg":"devnet reorg: replaced the head'),
          300_000,
        );
        const reorg =
          /"msg":"devnet reorg: replaced the head[^}]*"orphaned":"(0x[0-9a-f]{64})","canonical":"(0x[0-9a-f]{64})"/.exec(output);
        expect(reorg, tail()).not.toBeNull();
        const [, orphaned, canonical] = reorg!;
        const retracted = await waitFor(
          'the orphaned block retracted and its replacement ingested',
          async () => {
            const rows = await query<{ block_hash: string }>(
              'SELECT block_hash FROM raw_blocks FINAL WHERE chain_id = {chain:UInt64} AND block_hash IN ({hashes:Array(String)})',
              { hashes: [orphaned, canonical] },
            );
            const orphanedTransfers = await query<{ n: string }>(
              'SELECT count() AS n FROM erc20_transfers FINAL WHERE chain_id = {chain:UInt64} AND block_hash = {hash:String}',
              { hash: orphaned },
            );
            return rows.length === 1 && rows[0]!.block_hash === canonical && orphanedTransfers[0]!.n === '0';
          },
          120_000,
        );
        // The orphaned block was really ingested first (so this was a retraction, not a block never seen).
        const seen = await query<{ n: string }>(
          'SELECT count() AS n FROM raw_blocks WHERE chain_id = {chain:UInt64} AND block_hash = {hash:String} AND is_orphaned = 1',
          { hash: orphaned },
        );
        expect(Number(seen[0]!.n)).toBeGreaterThan(0);
        // Metadata of the unseeded tokens came over RPC: the bytes32 symbol and the legacy token.
        const meta = await query<{ address: string; symbol: string; decimals: number; source: string }>(
          'SELECT address, symbol, decimals, source FROM tokens FINAL WHERE chain_id = {chain:UInt64} ORDER BY address',
        );
        for (const spec of DEVNET_TOKENS.filter((t) => !t.seeded)) {
          expect(meta.find((m) => m.symbol === spec.symbol)).toMatchObject({ decimals: spec.decimals, source: 'rpc' });
        }
        const legacy = await query<{ n: string }>(
          "SELECT count() AS n FROM erc20_transfers FINAL WHERE chain_id = {chain:UInt64} AND form = 'legacy'",
        );
        expect(Number(legacy[0]!.n)).toBeGreaterThan(0);
        await checkReadmeQueries(queries);
        await checkSubscriptions(sse, ws, waitFor);
        const devnetLog = logged('no RPC endpoint configured: running on a local devnet (pass --no-devnet to skip)');
        const planted = devnetLog.planted_anomalies as Planted[];
        const counts = await checkAnomalyCounts(String(devnetLog.launch_day), planted);
        const digest = await checkFirstDigest(webhook, planted, waitFor);
        console.log(`devnet anomalies: ${counts}; first Slack digest: ${digest}`);
        console.log(
          `devnet timings (s from spawn): first transfers ${firstData}, all tokens ${allTokens}, 10+ days of metrics ${manyDays}, ` +
            `planted anomaly ${anomaly}, reorg ${reorgAt}, retraction seen ${retracted}`,
        );
      } catch (error) {
        // A failed wait must not leave the platform running into the next test file (it shares the stack's topics):
        // stop it, by force if the clean shutdown hangs, before reporting.
        for (const s of subscriptions) s.child.kill('SIGTERM');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(timer);
        log.end();
        throw error;
      }
      for (const s of subscriptions) s.child.kill('SIGTERM');
      child.kill('SIGTERM');
      const code = await exited;
      log.end();
      expect(code, `exit code ${code}:\n${tail()}`).toBe(0);
      expect(output).toContain('"msg":"shutting down","reason":"SIGTERM"');
    },
  );
});

/** A planted anomaly as the devnet logs it (scripts/platform/devnet/traffic.ts PlantedAnomaly). */
interface Planted {
  readonly kind: 'token_volume_spike' | 'address_outflow_burst';
  readonly day: string;
  readonly token: string;
  readonly address?: string;
}

type WaitFor = (what: string, check: () => Promise<boolean>, timeoutMs: number) => Promise<number>;

/** The README's query block, as written (the reader's key and the gateway's port): four answers, each checked. */
async function checkReadmeQueries(queries: string): Promise<void> {
  const run = runShell(queries);
  expect(await run.done, run.stdout()).toBe(0);
  const answers = run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { data?: Record<string, unknown>; errors?: unknown });
  expect(answers, run.stdout()).toHaveLength(4);
  for (const a of answers) expect(a.errors, JSON.stringify(a)).toBeUndefined();
  const [tokens, metrics, top, anomalies] = answers.map((a) => a.data!);
  const symbols = (tokens!.tokens as { edges: { node: { symbol: string } }[] }).edges.map((e) => e.node.symbol).sort();
  expect(symbols).toEqual(DEVNET_TOKENS.map((t) => t.symbol).sort());
  const days = metrics!.tokenMetricsDaily as { symbol: string; transferCount: number }[];
  expect(days.length).toBeGreaterThanOrEqual(5);
  expect(days.every((d) => d.symbol === 'dWETH' && d.transferCount > 0)).toBe(true);
  expect((top!.topTokens as unknown[]).length).toBeGreaterThanOrEqual(3);
  const high = (anomalies!.anomalies as { edges: { node: { severity: string; entityId: string; metric: string } }[] }).edges;
  expect(high.length).toBeGreaterThan(0);
  expect(high.every((e) => e.node.severity === 'HIGH')).toBe(true);
}

/** The README's SSE and graphql-ws subscriptions each delivered a high anomaly as it was detected. */
async function checkSubscriptions(
  sse: ReturnType<typeof runShell>,
  ws: ReturnType<typeof runShell>,
  waitFor: WaitFor,
): Promise<void> {
  await waitFor('a high anomaly over SSE', async () => /event: next\ndata: .*"anomalyDetected"/.test(sse.stdout()), 120_000);
  await waitFor('a high anomaly over graphql-ws', async () => ws.stdout().includes('"anomalyDetected"'), 120_000);
  expect(sse.stdout()).toContain('"severity":"HIGH"');
  const first = JSON.parse(
    ws
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('{'))!,
  ) as {
    anomalyDetected: { kind: string; anomaly: { severity: string } };
  };
  expect(first.anomalyDetected.anomaly.severity).toBe('HIGH');
}

/**
 * Anomalies an on-call engineer can trust: a quiet first scored day (the launch day is kept out of baselines; it is
 * day 15 after the launch, day 14 checked too), the planted spike and whale burst high, few high address anomalies.
 */
async function checkAnomalyCounts(launchDay: string, planted: readonly Planted[]): Promise<string> {
  const client = createWarehouseClient({ config: testConfig() });
  try {
    const q = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> =>
      (await client.query({ query: sql, query_params: { chain: DEVNET_CHAIN_ID, ...params }, format: 'JSONEachRow' })).json<T>();
    const highOn = await q<{ day: string; n: string }>(
      `SELECT toString(day) AS day, toString(count()) AS n FROM anomalies FINAL
       WHERE chain_id = {chain:UInt64} AND severity = 'high' AND status != 'withdrawn'
         AND day IN (addDays(toDate({launch:String}), 14), addDays(toDate({launch:String}), 15)) GROUP BY day`,
      { launch: launchDay },
    );
    for (const row of highOn) expect(Number(row.n), `high anomalies on ${row.day} (launch ${launchDay})`).toBeLessThanOrEqual(1);
    const spike = planted.find((p) => p.kind === 'token_volume_spike')!;
    const whale = planted.find((p) => p.kind === 'address_outflow_burst')!;
    const severity = async (entityType: string, entityId: string, metric: string, day: string): Promise<string | undefined> =>
      (
        await q<{ severity: string }>(
          `SELECT severity FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND entity_type = {t:String}
           AND entity_id = {id:String} AND metric = {m:String} AND day = {day:Date} AND status != 'withdrawn'
           AND method = 'robust_zscore'`,
          { t: entityType, id: entityId, m: metric, day },
        )
      )[0]?.severity;
    expect(await severity('token', spike.token, 'transfer_count', spike.day)).toBe('high');
    expect(await severity('address', whale.address!, 'outflow_usd', whale.day)).toBe('high');
    const [addressHigh] = await q<{ n: string }>(
      `SELECT toString(count()) AS n FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND entity_type = 'address'
       AND severity = 'high' AND status != 'withdrawn'`,
    );
    expect(Number(addressHigh!.n)).toBeLessThanOrEqual(10);
    // The NAB-evaluated streaming detector runs in the stream too: it sees the spike's hours.
    const hourly = await q<{ severity: string; n: string }>(
      `SELECT severity, toString(count()) AS n FROM anomalies FINAL WHERE chain_id = {chain:UInt64}
       AND method = 'streaming_record' AND entity_id = {id:String} AND day = {day:Date} AND status != 'withdrawn'
       GROUP BY severity`,
      { id: spike.token, day: spike.day },
    );
    expect(hourly.length, 'hourly (streaming_record) anomalies of the spike').toBeGreaterThan(0);
    return (
      `high on launch+14/15 ${JSON.stringify(highOn)}, high address anomalies ${addressHigh!.n}, ` +
      `hourly anomalies of the spike ${JSON.stringify(hourly)}`
    );
  } finally {
    await client.close();
  }
}

/** The first Slack digest of the run holds anomalies of the planted days (and at most one other): no DQ artefact of the cold start. */
async function checkFirstDigest(
  webhook: WebhookServer | undefined,
  plantedAnomalies: readonly Planted[],
  waitFor: WaitFor,
): Promise<string> {
  const planted = plantedAnomalies.map((p) => p.day);
  // On a shared test stack the alert service also reads other test files' anomalies and checks (chain 1): only the
  // devnet's own alerts are this run's (a devnet token in the title, or chain 31337 for a DQ check).
  const devnet = [...devnetTokens().map((t) => t.address.toLowerCase()), `chain ${DEVNET_CHAIN_ID}`];
  const ownLines = (text: string): string[] =>
    text
      .split('\n')
      .slice(1)
      .filter((l) => !l.startsWith('[+') && devnet.some((d) => l.toLowerCase().includes(d)));
  await waitFor(
    'the first Slack digest with an alert of the devnet',
    async () => (webhook?.delivered() ?? []).some((d) => ownLines(d.body.text).length > 0),
    120_000,
  );
  const first = webhook!.delivered().find((d) => ownLines(d.body.text).length > 0)!.body.text;
  const lines = ownLines(first);
  for (const line of lines) expect(line, first).not.toContain('DQ check');
  // The hourly streaming detector may page one ordinary hour of the run (scripts/eval/devnet/replay.test.ts allows
  // at most one high outside the planted days; which dates have one depends on the launch weekday): at most one
  // distinct alert of the digest is off the planted days.
  const offPlanted = new Set(lines.filter((line) => !planted.some((day) => line.includes(` on ${day} `))));
  expect(offPlanted.size, `${[...offPlanted].join(' | ')} (planted days ${planted.join(', ')})`).toBeLessThanOrEqual(1);
  return first.replaceAll('\n', ' | ');
}
