import { LRUCache } from 'lru-cache';

/**
 * Admission by second read (a "doorkeeper"): a cache keeps an answer only when its key was already offered within
 * the TTL. A workload of one-off reads (random tokens and windows) then never fills the heap with answers nobody
 * reads again, whose retention cost the gateway ~0.2–0.5 ms of CPU per request in garbage collection at 200
 * uncached reads/s; a hot key costs one more miss. Only keys are remembered.
 */
export class SecondReadAdmission {
  private readonly seen: LRUCache<string, true>;

  constructor(params: { maxKeys: number; ttlMs: number; now: () => number }) {
    this.seen = new LRUCache<string, true>({
      max: params.maxKeys,
      ttl: params.ttlMs,
      ttlResolution: 0,
      perf: { now: params.now },
    });
  }

  /** True on the second offer of `key` (then forgotten); the first one is only remembered. */
  admit(key: string): boolean {
    if (this.seen.has(key)) {
      this.seen.delete(key);
      return true;
    }
    this.seen.set(key, true);
    return false;
  }
}

/** Keys remembered for admission, per entry the cache may hold. */
const ADMISSION_KEYS_PER_ENTRY = 4;

/**
 * The admission of a cache of `maxEntries` answers kept `ttlMs`: undefined when the cache is off or admits on the
 * first read (`admitOnSecondRead: false`).
 */
export function secondReadAdmission(params: {
  maxEntries: number;
  ttlMs: number;
  admitOnSecondRead?: boolean | undefined;
  now: () => number;
}): SecondReadAdmission | undefined {
  if (params.maxEntries <= 0 || params.admitOnSecondRead === false) return undefined;
  return new SecondReadAdmission({ maxKeys: params.maxEntries * ADMISSION_KEYS_PER_ENTRY, ttlMs: params.ttlMs, now: params.now });
}
