/**
 * The DQ runner: every `dq.intervalS` seconds (at most hourly) run every check and publish the results.
 */
import { createPublicClient, http } from 'viem';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { OraculConfig } from '../../config/schema.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import type { DataQualityCheck } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { DQ_CHECKS, readFirstCheckedAt, runDqChecks, type ChainHead, type DqCheckName } from './checks.ts';
import { publishDqResults } from './publish.ts';

/** Chain head over JSON-RPC (viem), trying each configured URL of the chain in order; null when none is set. */
export function rpcHeadSource(config: Pick<OraculConfig, 'chains'>): (chainId: number) => Promise<ChainHead | null> {
  return async (chainId) => {
    const chain = config.chains.find((c) => c.chainId === chainId);
    if (chain === undefined || chain.rpcUrls.length === 0) return null;
    let lastError: unknown;
    for (const url of chain.rpcUrls) {
      try {
        const client = createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }) });
        const block = await client.getBlock({ blockTag: 'latest' });
        return { number: block.number, timestampMs: Number(block.timestamp) * 1000 };
      } catch (error) {
        lastError = error;
      }
    }
    // The URL may embed an API key: report the chain, not the URL.
    throw new Error(`chain ${chainId}: every RPC endpoint failed (${(lastError as Error).name})`);
  };
}

export interface DqRunParameters {
  readonly config: OraculConfig;
  readonly client: ClickHouseClient;
  readonly producer?: Producer;
  readonly serdes?: Serdes;
  readonly logger: Logger;
  readonly checks?: readonly DqCheckName[];
  readonly head?: (chainId: number) => Promise<ChainHead | null>;
  readonly now?: () => number;
}

/** One run: every check, results published; returns the results. */
export async function runDqOnce(p: DqRunParameters): Promise<DataQualityCheck[]> {
  const log = componentLogger(p.logger, 'dq');
  const firstCheckedAtMs = await readFirstCheckedAt(p.client);
  const results = await runDqChecks(
    {
      client: p.client,
      config: p.config,
      nowMs: (p.now ?? Date.now)(),
      head: p.head ?? rpcHeadSource(p.config),
      firstCheckedAtMs,
    },
    p.checks ?? DQ_CHECKS,
  );
  await publishDqResults({ client: p.client, producer: p.producer, serdes: p.serdes }, results);
  for (const r of results) {
    const entry = { check: r.check_name, chain_id: r.chain_id, subject: r.subject, status: r.status, observed: r.observed };
    if (r.status === 'pass' || r.status === 'pending') log.debug(entry, `dq check ${r.status}`);
    else log.warn({ ...entry, details: r.details }, `dq check ${r.status}`);
  }
  return results;
}

/** Runs the checks now and then every dq.intervalS seconds until `signal` aborts. */
export async function runDqLoop(p: DqRunParameters & { readonly signal: AbortSignal }): Promise<void> {
  const log = componentLogger(p.logger, 'dq');
  while (!p.signal.aborted) {
    try {
      await runDqOnce(p);
    } catch (error) {
      log.error({ err: error }, 'dq run failed; retrying at the next interval');
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, p.config.dq.intervalS * 1000);
      p.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
