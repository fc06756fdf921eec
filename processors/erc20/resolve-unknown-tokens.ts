import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import pMap from 'p-map';
import pRetry from 'p-retry';
import type { Logger } from '../../core/logger.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { fetchTokenMetadata, type RpcTokenMetadata, type TokenCallClient } from './fetch-token-metadata.ts';
import { rpcTokenRecord, sendTokenRecords } from './tokens-topic.ts';

/**
 * Token metadata for contracts nobody curated: the decoder only knows the seed and what `erc20.tokens` carries, so
 * a token outside the seed has NULL symbol and decimals (and NULL USD) until its metadata is read from the chain and
 * published. `oracul tokens resolve` does that for the tokens the warehouse has transfers of and no `tokens` row:
 * the BI views label and scale their whole history at once (they join `tokens`), and the decoder applies it to every
 * transfer it decodes afterwards.
 */

export interface UnknownToken {
  readonly address: string;
  /** Transfer rows in the warehouse: the busiest tokens are resolved first. */
  readonly transfers: number;
}

/** Tokens with transfers in `erc20_transfers` and no row in `tokens` (no seed row, never resolved), busiest first. */
export async function findUnknownTokens(
  client: ClickHouseClient,
  params: { readonly chainId: number; readonly limit: number },
): Promise<UnknownToken[]> {
  const rs = await client.query({
    query: `SELECT token_address AS address, count() AS transfers
              FROM erc20_transfers
             WHERE chain_id = {chain:UInt64}
               AND token_address NOT IN (SELECT address FROM tokens WHERE chain_id = {chain:UInt64})
             GROUP BY token_address
             ORDER BY transfers DESC, address
             LIMIT {limit:UInt32}`,
    query_params: { chain: params.chainId, limit: params.limit },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ address: string; transfers: string }>();
  return rows.map((r) => ({ address: r.address, transfers: Number(r.transfers) }));
}

export interface ResolveTokensResult {
  readonly resolved: readonly RpcTokenMetadata[];
  /** Tokens whose endpoint kept failing (transport errors, not reverts): nothing is published for them. */
  readonly failed: readonly { readonly address: string; readonly error: string }[];
}

/**
 * Reads each token's metadata from the chain (a contract without `decimals()` resolves to NULLs: published as such,
 * so it is not asked again and its USD stays NULL rather than assuming 18). Transport errors are retried with backoff;
 * a token that still fails is reported and left unpublished, to be tried on the next run.
 */
export async function resolveTokens(params: {
  readonly client: TokenCallClient;
  readonly chainId: number;
  readonly addresses: readonly string[];
  readonly concurrency?: number;
  readonly retries?: number;
  readonly logger?: Logger;
}): Promise<ResolveTokensResult> {
  const failed: { address: string; error: string }[] = [];
  const results = await pMap(
    params.addresses,
    async (address) => {
      try {
        return await pRetry(() => fetchTokenMetadata(params.client, { chainId: params.chainId, address }), {
          retries: params.retries ?? 3,
          minTimeout: 500,
          maxTimeout: 5_000,
          onFailedAttempt: (error) =>
            params.logger?.warn({
              msg: 'token metadata call failed; retrying',
              address,
              attempt: error.attemptNumber,
              retries_left: error.retriesLeft,
              err: error,
            }),
        });
      } catch (error) {
        failed.push({ address, error: error instanceof Error ? error.message : String(error) });
        return undefined;
      }
    },
    { concurrency: params.concurrency ?? 4 },
  );
  return { resolved: results.filter((r): r is RpcTokenMetadata => r !== undefined), failed };
}

/** Publishes metadata read over RPC to `erc20.tokens` (see {@link rpcTokenRecord}). */
export async function publishTokenMetadata(params: {
  readonly kafka: Kafka;
  readonly serdes: Serdes;
  readonly tokens: readonly RpcTokenMetadata[];
  readonly fetchedAtMs: number;
}): Promise<void> {
  const records = params.tokens.map((t) => rpcTokenRecord(t, params.fetchedAtMs));
  await sendTokenRecords({ kafka: params.kafka, serdes: params.serdes, records });
}
