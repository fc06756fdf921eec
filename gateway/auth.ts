import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { OraculConfig } from '../config/schema.ts';

export type Role = 'read' | 'ops';

/** Who is calling: the key's id from config (never the key) and its role. */
export interface Principal {
  keyId: string;
  role: Role;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

interface KeyEntry extends Principal {
  limiter: RateLimiterMemory;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false };
export type RateResult = { ok: true } | { ok: false; retryAfterS: number };

/**
 * API keys from `gateway.apiKeys` (sha256 hex of the key, an id and a role). The
 * presented key is hashed and looked up; plaintext keys exist only in the request.
 * Each key has its own token bucket of `rateLimitPerSecond` requests per second.
 */
export class ApiKeys {
  private readonly byHash = new Map<string, KeyEntry>();
  private readonly byId = new Map<string, KeyEntry>();

  constructor(gateway: OraculConfig['gateway']) {
    for (const key of gateway.apiKeys) {
      const points = key.rateLimitPerSecond ?? gateway.rateLimitPerSecond;
      const entry: KeyEntry = {
        keyId: key.id,
        role: key.role,
        limiter: new RateLimiterMemory({ keyPrefix: `gw-${key.id}`, points, duration: 1 }),
      };
      this.byHash.set(key.sha256, entry);
      this.byId.set(key.id, entry);
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  authenticate(presented: string | null | undefined): AuthResult {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return { ok: false };
    const entry = this.byHash.get(sha256Hex(presented));
    return entry ? { ok: true, principal: { keyId: entry.keyId, role: entry.role } } : { ok: false };
  }

  async consume(principal: Principal): Promise<RateResult> {
    const entry = this.byId.get(principal.keyId);
    if (!entry) return { ok: false, retryAfterS: 1 };
    try {
      await entry.limiter.consume(principal.keyId, 1);
      return { ok: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes)
        return { ok: false, retryAfterS: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      throw rejection;
    }
  }
}
