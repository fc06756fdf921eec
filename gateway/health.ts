import type { Admin, Kafka } from 'kafkajs';
import type { OraculConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { WarehouseBudget } from './limits.ts';
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

/** What /readyz answers: up/down per component, from the last background check. */
export interface Readiness {
  ready: boolean;
  /** Age of the backend check the answer comes from (ms); null before the first one finished. */
  checkAgeMs: number | null;
  components: ComponentHealth[];
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

interface BackendCheck {
  at: number;
  warehouse: ComponentHealth;
  kafka: ComponentHealth;
}

/**
 * Readiness and the `health` query: warehouse, Kafka, live feed, ingestion and consumer lag.
 * ClickHouse and Kafka are checked in the background every `gateway.readinessIntervalMs`
 * (one check at a time); /readyz and `health` read that state, so no request, however many,
 * makes a backend call for readiness. The live feed is an in-process flag, read as is.
 */
export class HealthProbe {
  private admin: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private lagCache: { at: number; value: ConsumerGroupLag[] } | undefined;
  private lastCheck: BackendCheck | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

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

  /** Starts the background checks: one now, then one `gateway.readinessIntervalMs` after each ends. */
  start(): void {
    const loop = () => {
      this.running = this.check().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.params.config.gateway.readinessIntervalMs).unref();
      });
    };
    loop();
  }

  /** One check of ClickHouse and Kafka, each bounded by the probe timeout. */
  private async check(): Promise<void> {
    const [warehouse, kafka] = await Promise.all([
      withTimeout(this.params.reader.ping()).catch(() => false),
      this.kafkaReachable(),
    ]);
    const previous = this.lastCheck;
    this.lastCheck = {
      at: Date.now(),
      warehouse: { name: 'warehouse', status: warehouse ? 'UP' : 'DOWN', detail: null },
      kafka: { name: 'kafka', status: kafka.ok ? 'UP' : 'DOWN', detail: kafka.detail },
    };
    const changed = (['warehouse', 'kafka'] as const).filter((c) => previous?.[c].status !== this.lastCheck![c].status);
    if (changed.length > 0) {
      this.params.logger.info({
        msg: 'readiness changed',
        warehouse: this.lastCheck.warehouse.status,
        kafka: this.lastCheck.kafka.status,
      });
    }
  }

  /** A check older than this means the loop is stuck: not ready rather than a stale UP. */
  private get staleAfterMs(): number {
    return 2 * this.params.config.gateway.readinessIntervalMs + 2 * TIMEOUT_MS;
  }

  /** Component states with details (the ops `health` query), from the last background check. */
  components(): ComponentHealth[] {
    const check = this.lastCheck;
    const stale = check === undefined || Date.now() - check.at > this.staleAfterMs;
    const pending = (name: string): ComponentHealth => ({
      name,
      status: 'DOWN',
      detail: check ? 'last check too old' : 'not checked yet',
    });
    return [
      stale ? pending('warehouse') : check.warehouse,
      stale ? pending('kafka') : check.kafka,
      {
        name: 'live-feed',
        status: this.params.live.ready ? 'UP' : 'DOWN',
        detail: `${this.params.live.subscriberCount} subscriber(s)`,
      },
    ];
  }

  /** /readyz: ClickHouse answered, Kafka answered (last check), and the live feed has its partitions. */
  ready(): Readiness {
    const components = this.components();
    return {
      ready: components.every((c) => c.status === 'UP'),
      checkAgeMs: this.lastCheck ? Date.now() - this.lastCheck.at : null,
      components,
    };
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

  async snapshot(budget?: WarehouseBudget): Promise<HealthSnapshot> {
    const { reader } = this.params;
    const [block, dq, head, lag] = await Promise.all([
      reader.latestBlock(budget).catch(() => undefined),
      reader.latestDataQuality(budget).catch(() => undefined),
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
      components: this.components(),
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.admin?.disconnect().catch(() => undefined);
  }
}
