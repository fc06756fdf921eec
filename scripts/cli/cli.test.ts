import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../config/index.ts';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'scripts/oracul.mjs');

async function oracul(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ORACUL_LOG_LEVEL: 'silent', ...env },
      // Below the unit tests' 30 s timeout, so a slow run kills its child instead of leaving it behind.
      timeout: 25_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('oracul CLI', () => {
  it('prints the topology: each stage with the stages it reads from, its consumer group and changelog topic', async () => {
    const result = await oracul(['topology', '--json', '--app-id', 'app'], {});
    expect(result.code).toBe(0);
    const stages = JSON.parse(result.stdout) as { name: string; input: string; inputFrom: string[]; consumerGroup: string }[];
    expect(stages.map((s) => [s.name, s.input, s.inputFrom])).toEqual([
      ['erc20-decoder', 'eth.logs.raw', []],
      ['token-metrics-daily', 'erc20.transfer-batches.by-token', ['erc20-decoder']],
      ['address-flows-daily', 'erc20.transfer-batches.by-address', ['erc20-decoder']],
      ['token-anomalies', 'token.metrics.daily', ['token-metrics-daily']],
      ['address-anomalies', 'address.flows.daily', ['address-flows-daily']],
    ]);
    expect(stages[0]?.consumerGroup).toBe('app-erc20-decoder');
  });

  it('exits 78 with one line naming the key, the reason and the value on bad config', async () => {
    const result = await oracul(['config', 'check'], { ORACUL_KAFKA_BROKERS: 'not-a-broker' });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      'oracul: ORACUL_CONFIG_INVALID: invalid config at kafka.brokers.0: expected host:port; got "not-a-broker"',
    ]);
  });

  it('prints the effective config with secrets hidden', async () => {
    const result = await oracul(['config', 'print', '--json'], {
      ORACUL_CLICKHOUSE_PASSWORD: 'hunter2-secret',
      ORACUL_RPC_URL: 'https://mainnet.example/v3/0123456789abcdef0123456789abcdef',
    });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { clickhouse: { password: string }; chains: { rpcUrls: string[] }[] };
    expect(printed.clickhouse.password).toBe('[hidden]');
    expect(printed.chains[0]?.rpcUrls[0]).toBe('https://mainnet.example/v3/[hidden]');
    expect(result.stdout).not.toContain('hunter2-secret');
  });

  it('refuses to start a component on a port already taken, naming the port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await oracul(['stack', 'up', '--only', 'warehouse'], {
        ORACUL_STACK_WAREHOUSE_PORT: String(port),
        ORACUL_STACK_STATE_DIR: mkdtempSync(join(tmpdir(), 'oracul-cli-')),
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`ORACUL_PORT_IN_USE: port 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });
});
