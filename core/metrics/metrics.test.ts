import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { PortInUseError } from '../errors.ts';
import { boundedLabel, endpointHost, MAX_LABEL_VALUES } from './labels.ts';
import { observeConsumerLag, observeRpcRequest, observeSourceBatch, stageTally } from './observe.ts';
import * as m from './registry.ts';
import { startMetricsServer, startProcessMetrics, type MetricsServer } from './server.ts';

const logger = createLogger({ level: 'silent', pretty: false });

/** The value of one series of a metric in the process registry (0 when absent). */
async function valueOf(name: string, labels: Record<string, string>): Promise<number> {
  const metric = m.metricsRegistry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return match?.value ?? 0;
}

describe('metrics server', () => {
  let server: MetricsServer;
  beforeAll(async () => {
    server = await startMetricsServer({ port: 0, logger });
  });
  afterAll(async () => {
    await server.close();
  });

  it('binds loopback and serves the registry in the Prometheus text format', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    m.stageRecordsIn.inc({ stage: 'metrics-test-server' }, 3);
    m.clickhouseInsertDuration.observe({ table: 'metrics_test', outcome: 'ok' }, 0.02);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    expect(body).toContain('# TYPE oracul_stage_records_in_total counter');
    expect(body).toContain('oracul_stage_records_in_total{stage="metrics-test-server"} 3');
    expect(body).toContain('# TYPE oracul_clickhouse_insert_duration_seconds histogram');
    expect(body).toContain('oracul_clickhouse_insert_duration_seconds_bucket{le="0.025",table="metrics_test",outcome="ok"} 1');
    // Every declared family is exposed, with HELP, plus the Node.js process metrics.
    for (const family of [
      'oracul_stage_records_out_total',
      'oracul_consumer_lag_messages',
      'oracul_source_lag_blocks',
      'oracul_source_lag_seconds',
      'oracul_rpc_request_duration_seconds',
      'oracul_rejects_total',
      'oracul_dead_letters_total',
      'oracul_anomalies_total',
      'oracul_alert_deliveries_total',
      'oracul_state_restore_remaining_offsets',
      'oracul_process_cpu_seconds_total',
      'oracul_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(body).toMatch(new RegExp(`^# HELP ${family} `, 'm'));
    }
  });

  it('answers /healthz, 404 for other paths and 405 for other methods', async () => {
    const base = server.url.replace(/\/metrics$/, '');
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('rejects with PortInUseError when the port is taken; the process helper logs and carries on', async () => {
    await expect(startMetricsServer({ port: server.port, logger })).rejects.toBeInstanceOf(PortInUseError);
    await expect(startProcessMetrics({ host: '127.0.0.1', port: server.port, logger })).resolves.toBeUndefined();
    await expect(startProcessMetrics({ host: '127.0.0.1', port: 0, logger })).resolves.toBeUndefined();
    await expect(startProcessMetrics({ host: '127.0.0.1', port: 70000, logger })).rejects.toMatchObject({
      code: 'ORACUL_CONFIG_INVALID',
    });
  });

  it('the process helper registers its close with the shutdown', async () => {
    // A free port: bind one, release it, hand it over.
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    const closers: (() => Promise<void>)[] = [];
    const started = await startProcessMetrics({
      host: '127.0.0.1',
      port,
      logger,
      shutdown: { add: (_n, cb) => closers.push(cb) },
    });
    expect(started?.port).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect(closers).toHaveLength(1);
    await closers[0]?.();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

describe('stage tally', () => {
  it('counts a transaction only when it commits, and classifies outputs', async () => {
    const stage = 'metrics-test-stage';
    const aborted = stageTally(stage, 'eth.logs.raw');
    aborted.output('erc20.transfers', {});
    // never committed: nothing counted
    expect(await valueOf('oracul_stage_records_out_total', { stage, topic: 'erc20.transfers' })).toBe(0);

    const tally = stageTally(stage, 'eth.logs.raw');
    tally.output('erc20.transfers', {});
    tally.output('erc20.transfers', {});
    tally.output('erc20.rejects', { reason: 'erc721_four_topics' });
    tally.output('erc20.transfers.late', {});
    tally.output('token.metrics.daily', { is_final: true });
    tally.output('token.metrics.daily', { is_final: false });
    tally.output('anomalies', { severity: 'high', status: 'open' });
    tally.output('eth.logs.raw.dlq', {});
    tally.committed(5, 1);

    expect(await valueOf('oracul_stage_records_in_total', { stage })).toBe(5);
    expect(await valueOf('oracul_stage_records_out_total', { stage, topic: 'erc20.transfers' })).toBe(2);
    expect(await valueOf('oracul_stage_records_out_total', { stage, topic: 'token.metrics.daily' })).toBe(2);
    expect(await valueOf('oracul_stage_records_out_total', { stage, topic: 'eth.logs.raw.dlq' })).toBe(0);
    expect(await valueOf('oracul_dead_letters_total', { stage, topic: 'eth.logs.raw' })).toBe(1);
    expect(await valueOf('oracul_rejects_total', { stage, reason: 'erc721_four_topics' })).toBe(1);
    expect(await valueOf('oracul_late_events_total', { stage })).toBe(1);
    expect(await valueOf('oracul_window_finals_total', { stage, topic: 'token.metrics.daily' })).toBe(1);
    expect(await valueOf('oracul_anomalies_total', { stage, severity: 'high', status: 'open' })).toBe(1);
    const batches = (await m.stageBatchDuration.get()).values.find(
      (v) => v.metricName === 'oracul_stage_batch_duration_seconds_count' && v.labels.stage === stage,
    );
    expect(batches?.value).toBe(1);
  });

  it('keeps consumer lag non-negative per partition', async () => {
    observeConsumerLag('metrics-test-lag', 't', 2, 42);
    expect(await valueOf('oracul_consumer_lag_messages', { stage: 'metrics-test-lag', partition: '2' })).toBe(42);
    observeConsumerLag('metrics-test-lag', 't', 2, -1);
    expect(await valueOf('oracul_consumer_lag_messages', { stage: 'metrics-test-lag', partition: '2' })).toBe(0);
  });
});

describe('source and RPC metrics', () => {
  it('labels RPC requests by endpoint host only: no path, key or credentials', async () => {
    const url = 'https://user:secret@rpc.example.org/v3/SUPERSECRETKEY?apikey=abc';
    observeRpcRequest(url, [{ method: 'eth_blockNumber' }], 12, [{ ok: true, result: '0x1' }]);
    observeRpcRequest(url, [{ method: 'eth_getLogs' }, { method: 'eth_getLogs' }], 30, [
      { ok: true, result: [] },
      { ok: false, error: Object.assign(new Error('x'), { code: 'ORACUL_RPC_RATE_LIMITED' }) },
    ]);
    observeRpcRequest(url, [{ method: 'eth_chainId' }, { method: 'eth_blockNumber' }], 5, [
      Object.assign(new Error('timeout'), { code: 'ORACUL_RPC_TIMEOUT' }),
    ]);
    const endpoint = 'rpc.example.org';
    expect(await valueOf('oracul_rpc_calls_total', { endpoint, method: 'eth_getLogs' })).toBe(2);
    expect(await valueOf('oracul_rpc_errors_total', { endpoint, method: 'eth_getLogs', code: 'ORACUL_RPC_RATE_LIMITED' })).toBe(
      1,
    );
    expect(await valueOf('oracul_rpc_errors_total', { endpoint, method: 'mixed', code: 'ORACUL_RPC_TIMEOUT' })).toBe(1);
    const text = await m.metricsRegistry.metrics();
    expect(text).toContain(
      'oracul_rpc_request_duration_seconds_count{endpoint="rpc.example.org",method="eth_getLogs",outcome="error"} 1',
    );
    expect(text).not.toMatch(/SUPERSECRETKEY|secret@|apikey/);
  });

  it('computes ingestion lag in blocks and seconds', async () => {
    observeSourceBatch('metrics-test-chain', {
      head: 1_000,
      lastBlock: 988,
      tipTimestampMs: Date.now() - 30_000,
      blocks: 25,
      logs: 400,
      transactions: 300,
      retracted: 0,
    });
    expect(await valueOf('oracul_source_lag_blocks', { chain: 'metrics-test-chain' })).toBe(12);
    expect(await valueOf('oracul_source_blocks_total', { chain: 'metrics-test-chain' })).toBe(25);
    const lag = await valueOf('oracul_source_lag_seconds', { chain: 'metrics-test-chain' });
    expect(lag).toBeGreaterThanOrEqual(30);
    expect(lag).toBeLessThan(40);
  });
});

describe('labels', () => {
  it('reduces URLs to host[:port]', () => {
    expect(endpointHost('http://127.0.0.1:8545/')).toBe('127.0.0.1:8545');
    expect(endpointHost('https://eth-mainnet.g.alchemy.com/v2/KEY')).toBe('eth-mainnet.g.alchemy.com');
    expect(endpointHost('not a url')).toBe('invalid');
  });

  it('caps the distinct values of a label', () => {
    for (let i = 0; i < MAX_LABEL_VALUES; i++) expect(boundedLabel('metrics-test-cap', `v${i}`)).toBe(`v${i}`);
    expect(boundedLabel('metrics-test-cap', 'one-too-many')).toBe('other');
    expect(boundedLabel('metrics-test-cap', 'v0')).toBe('v0');
    expect(boundedLabel('metrics-test-empty', '')).toBe('none');
  });
});
