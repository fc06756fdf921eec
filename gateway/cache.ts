import { LRUCache } from 'lru-cache';
import { secondReadAdmission, type SecondReadAdmission } from './second-read-admission.ts';

export interface FinalizedCacheParameters {
  /** Most entries kept; 0 disables the cache. */
  maxEntries: number;
  ttlMs: number;
  /** How long an entity stays uncacheable after an update was seen on its topic (the sink may lag the topic). */
  dirtyMs?: number;
  /** Keep a range from its second read within the TTL (default true; see SecondReadAdmission). */
  admitOnSecondRead?: boolean;
  now?: () => number;
}

interface Entry {
  entity: string;
  from: string;
  to: string;
  rows: readonly unknown[];
}

/**
 * Results of day-range reads whose every day is closed and final. Such days change
 * only on a reorg re-emission or a late re-aggregation, which arrives on the mart's
 * topic: `invalidate(entity, day)` drops every cached range of that entity covering the
 * day and keeps the entity out of the cache for `dirtyMs`, until the sink has written it.
 */
export class FinalizedCache {
  private readonly lru: LRUCache<string, Entry> | undefined;
  private readonly byEntity = new Map<string, Set<string>>();
  private readonly dirty: LRUCache<string, true>;
  private readonly dirtyMs: number;
  private readonly now: () => number;
  private readonly admission: SecondReadAdmission | undefined;
  hits = 0;
  misses = 0;

  constructor(params: FinalizedCacheParameters) {
    this.dirtyMs = params.dirtyMs ?? 30_000;
    this.now = params.now ?? Date.now;
    const now = this.now;
    this.dirty = new LRUCache<string, true>({ max: 500_000, ttl: this.dirtyMs, ttlResolution: 0, perf: { now } });
    this.lru =
      params.maxEntries > 0
        ? new LRUCache<string, Entry>({
            max: params.maxEntries,
            ttl: params.ttlMs,
            ttlResolution: 0,
            perf: { now },
            dispose: (entry, key) => this.byEntity.get(entry.entity)?.delete(key),
          })
        : undefined;
    this.admission = secondReadAdmission({ ...params, now });
  }

  get<T>(key: string): readonly T[] | undefined {
    const entry = this.lru?.get(key);
    if (entry) this.hits += 1;
    else this.misses += 1;
    return entry?.rows as readonly T[] | undefined;
  }

  /**
   * Whether `rows` for (entity, from..to) may be cached: every day closed (`to` before `today`), every row final, no
   * recent update of the entity. They are kept from the range's second read (SecondReadAdmission).
   */
  offer(key: string, entity: string, from: string, to: string, today: string, rows: readonly { is_final: boolean }[]): boolean {
    if (!this.lru || to >= today || !rows.every((r) => r.is_final)) return false;
    if (this.dirty.get(entity)) return false;
    if (this.admission && !this.admission.admit(key)) return true;
    this.lru.set(key, { entity, from, to, rows });
    let keys = this.byEntity.get(entity);
    if (!keys) this.byEntity.set(entity, (keys = new Set()));
    keys.add(key);
    return true;
  }

  /** A new version of (entity, day) was published: forget every cached range that covers it. */
  invalidate(entity: string, day: string): void {
    if (!this.lru) return;
    this.dirty.set(entity, true);
    const keys = this.byEntity.get(entity);
    if (!keys) return;
    for (const key of [...keys]) {
      const entry = this.lru.peek(key);
      if (!entry || (entry.from <= day && day <= entry.to)) this.lru.delete(key);
    }
    if (keys.size === 0) this.byEntity.delete(entity);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
