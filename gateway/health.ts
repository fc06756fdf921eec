import type { Admin, Kafka } from 'kafkajs';
import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { LiveFeed } from './live.ts';
import type { WarehouseReader } from './warehouse.ts';

export type ComponentState = 'UP' | 'DOWN';

export interface ComponentHealth {
  name: string;
  status: ComponentState;
  detail: string | null;
}

export interface ConsumerGroupLag {
  groupId: string;
  lag: bigint;
  topics: string[];
}

export interface HealthSnapshot {
  latestBlockNumber: string | null;
  latestBlockTimestamp: string | null;
  chainHeadBlockNumber: string | null;
  ingestionLagBlocks: string | null;
  ingestionLagSeconds: number | null;
  consumerLag: ConsumerGroupLag[];
  lastDataQualityCheckAt: string | null;
  lastDataQualityCheck: string | null;
  lastDataQualityStatus: string | null;
  components: ComponentHealth[];
}

const TIMEOUT_MS = 3_000;
const LAG_CACHE_MS = 5_000;
const MAX_GROUPS = 100;

function withTimeout<T>(promise: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface HealthProbeParameters {
  config: Pick<OraculConfig, 'chains' | 'gateway'>;
  kafka: Kafka;
  reader: WarehouseReader;
  live: LiveFeed;
  logger: Logger;
}

/** Readiness and the `health` query: warehouse, Kafka, live feed, ingestion and consumer lag. */
export class HealthProbe {
  private admin: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private lagCache: { at: number; value: ConsumerGroupLag[] } | undefined;

  constructor(private readonly params: HealthProbeParameters) {}

  private async getAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    this.adminConnecting ??= (async () => {
      const admin = this.params.kafka.admin();
      try {
        await withTimeout(admin.connect());
      } catch (error) {
        this.adminConnecting = undefined;
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
      this.admin = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  async kafkaReachable(): Promise<{ ok: boolean; detail: string | null }> {
    try {
      const admin = await this.getAdmin();
      const cluster = await withTimeout(admin.describeCluster());
      return { ok: cluster.brokers.length > 0, detail: `${cluster.brokers.length} broker(s)` };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  /** /readyz: ClickHouse answers, Kafka answers, and the live feed has its partitions. */
  async ready(): Promise<{ ready: boolean; components: ComponentHealth[] }> {
    const [warehouse, kafka] = await Promise.all([this.params.reader.ping(), this.kafkaReachable()]);
    const components: ComponentHealth[] = [
      { name: 'warehouse', status: warehouse ? 'UP' : 'DOWN', detail: null },
      { name: 'kafka', status: kafka.ok ? 'UP' : 'DOWN', detail: kafka.detail },
      {
        name: 'live-feed',
        status: this.params.live.ready ? 'UP' : 'DOWN',
        detail: `${this.params.live.subscriberCount} subscriber(s)`,
      },
    ];
    return { ready: components.every((c) => c.status === 'UP'), components };
  }

  /** Lag (high watermark − committed offset, summed) of every consumer group but gateways'. */
  async consumerLag(): Promise<ConsumerGroupLag[]> {
    if (this.lagCache && Date.now() - this.lagCache.at < LAG_CACHE_MS) return this.lagCache.value;
    const admin = await this.getAdmin();
    const { groups } = await withTimeout(admin.listGroups());
    const processorGroups = groups
      .filter((g) => g.protocolType === 'consumer' && !g.groupId.includes('-gateway-'))
      .map((g) => g.groupId)
      .sort()
      .slice(0, MAX_GROUPS);
    const highs = new Map<string, Map<number, bigint>>();
    const high = async (topic: string): Promise<Map<number, bigint>> => {
      let byPartition = highs.get(topic);
      if (!byPartition) {
        const offsets = await withTimeout(admin.fetchTopicOffsets(topic));
        byPartition = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
        highs.set(topic, byPartition);
      }
      return byPartition;
    };
    const result: ConsumerGroupLag[] = [];
    for (const groupId of processorGroups) {
      const committed = await withTimeout(admin.fetchOffsets({ groupId }));
      let lag = 0n;
      const topics: string[] = [];
      for (const { topic, partitions } of committed) {
        topics.push(topic);
        const highByPartition = await high(topic);
        for (const { partition, offset } of partitions) {
          if (offset === '-1') continue;
          const h = highByPartition.get(partition) ?? 0n;
          const diff = h - BigInt(offset);
          if (diff > 0n) lag += diff;
        }
      }
      result.push({ groupId, lag, topics: topics.sort() });
    }
    this.lagCache = { at: Date.now(), value: result };
    return result;
  }

  /** Head of the chain from the first configured RPC endpoint, or undefined. */
  async chainHead(): Promise<bigint | undefined> {
    const url = this.params.config.chains.find((c) => c.chainId === this.params.config.gateway.chainId)?.rpcUrls[0];
    if (!url) return undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = (await response.json()) as { result?: unknown };
      return typeof body.result === 'string' && /^0x[0-9a-f]+$/i.test(body.result) ? BigInt(body.result) : undefined;
    } catch (error) {
      this.params.logger.debug({ msg: 'chain head unavailable', err: error });
      return undefined;
    }
  }

  async snapshot(): Promise<HealthSnapshot> {
    const { reader } = this.params;
    const [ready, block, dq, head, lag] = await Promise.all([
      this.ready(),
      reader.latestBlock().catch(() => undefined),
      reader.latestDataQuality().catch(() => undefined),
      this.chainHead(),
      this.consumerLag().catch((error: unknown) => {
        this.params.logger.warn({ msg: 'consumer lag unavailable', err: error });
        return [] as ConsumerGroupLag[];
      }),
    ]);
    const blockTime = block ? Date.parse(`${block.block_timestamp.replace(' ', 'T')}Z`) : undefined;
    const latest = block ? BigInt(block.block_number) : undefined;
    return {
      latestBlockNumber: latest?.toString() ?? null,
      latestBlockTimestamp: block?.block_timestamp ?? null,
      chainHeadBlockNumber: head?.toString() ?? null,
      ingestionLagBlocks: head !== undefined && latest !== undefined ? (head > latest ? head - latest : 0n).toString() : null,
      ingestionLagSeconds: blockTime === undefined ? null : Math.max(0, Math.round((Date.now() - blockTime) / 1000)),
      consumerLag: lag,
      lastDataQualityCheckAt: dq?.checked_at ?? null,
      lastDataQualityCheck: dq?.check_name ?? null,
      lastDataQualityStatus: dq?.status ?? null,
      components: ready.components,
    };
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
