/**
 * Bounded top-N of entities by recent USD volume, for the address scorer (docs/anomaly-detection.md, "Top-N").
 *
 * Space-Saving (Metwally, Agrawal, El Abbadi 2005) over exponentially decayed volume:
 *
 *   weight_e(t) = Σ_i v_i · 2^(−(t − d_i)/halfLife)        (v_i: USD volume of entity e's final day d_i)
 *
 * kept in forward-decay form (Cormode et al. 2009), log W_e = log Σ_i v_i · e^(λ·d_i) with λ = ln 2 / halfLife, so
 * stored weights never need rescaling: at any time t, ordering by log W equals ordering by weight_e(t).
 *
 * At most K = topN × candidateFactor candidates are kept (store `candidates`: entity → log W, and `rank`: a
 * sortable encoding of log W + entity, so the minimum and the N-th largest are range reads). A final day of an
 * entity adds its volume (log-sum-exp); a new entity takes a free slot, or replaces the candidate of least
 * weight and inherits its weight (Space-Saving's over-estimate, which guarantees that every entity whose true
 * weight exceeds the K-th largest is kept). The scorer keeps daily history for every candidate (so an entity
 * entering the top-N already has a baseline) and drops it on eviction.
 *
 * Which candidates are scored: those whose log W is at least the N-th largest log W, recomputed once per stream
 * day (when a record of a later day arrives). Between recomputations an entity that grows past the threshold is
 * scored at once, so slightly more than N can be scored on a day; never more than K.
 */
import type { StateTxn } from '../../engine/stateTxn.ts';

/** Offset that makes log weights positive for the fixed-width sort key; log W is in about [-50, 1e5]. */
const KEY_OFFSET = 1e7;

/** Sortable key of a log weight: fixed-width, zero-padded decimal (ascending string order = ascending weight). */
export function rankKey(logWeight: number, entity: string): string {
  const shifted = Math.min(Math.max(logWeight + KEY_OFFSET, 0), 2 * KEY_OFFSET - 1);
  return `${shifted.toFixed(9).padStart(18, '0')}|${entity}`;
}

export function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log of one day's decayed contribution, or null for no volume. */
export function logContribution(volumeUsd: number, epochDay: number, halfLifeDays: number): number | null {
  if (!(volumeUsd > 0) || !Number.isFinite(volumeUsd)) return null;
  return Math.log(volumeUsd) + (Math.LN2 / halfLifeDays) * epochDay;
}

export interface TopNMeta {
  /** Candidates held. */
  readonly count: number;
  /** log W of the N-th largest candidate at the last recomputation; null while fewer than N. */
  readonly threshold: number | null;
}

export type TopNStores = {
  candidates: number;
  rank: string;
};

export interface TopNChange {
  /** Entity dropped from the candidates (its history must go too), if any. */
  readonly evicted: string | null;
  readonly meta: TopNMeta;
}

/** Adds one final day of `entity` (Space-Saving update). */
export function addVolume<S extends TopNStores, Out>(
  txn: StateTxn<S, Out>,
  meta: TopNMeta,
  capacity: number,
  entity: string,
  logContrib: number,
): TopNChange {
  const t = txn as unknown as StateTxn<TopNStores, Out>;
  const current = t.get('candidates', entity);
  if (current !== undefined) {
    const next = logAddExp(current, logContrib);
    t.delete('rank', rankKey(current, entity));
    t.put('rank', rankKey(next, entity), entity);
    t.put('candidates', entity, next);
    return { evicted: null, meta };
  }
  if (meta.count < capacity) {
    t.put('rank', rankKey(logContrib, entity), entity);
    t.put('candidates', entity, logContrib);
    return { evicted: null, meta: { ...meta, count: meta.count + 1 } };
  }
  let evicted: string | null = null;
  let inherited = -Infinity;
  for (const [key, victim] of t.range('rank', { limit: 1 })) {
    evicted = victim;
    inherited = t.get('candidates', victim) ?? -Infinity;
    t.delete('rank', key);
    t.delete('candidates', victim);
  }
  const next = evicted === null ? logContrib : logAddExp(inherited, logContrib);
  t.put('rank', rankKey(next, entity), entity);
  t.put('candidates', entity, next);
  return { evicted, meta: evicted === null ? { ...meta, count: meta.count + 1 } : meta };
}

/** The N-th largest log weight (null while fewer than N candidates). */
export function nthLargest<S extends TopNStores, Out>(txn: StateTxn<S, Out>, n: number): number | null {
  const t = txn as unknown as StateTxn<TopNStores, Out>;
  let seen = 0;
  let last: number | null = null;
  for (const [, entity] of t.range('rank', { reverse: true, limit: n })) {
    seen++;
    last = t.get('candidates', entity) ?? null;
  }
  return seen < n ? null : last;
}

/** Whether `entity` is scored: a candidate at or above the threshold. */
export function isTop<S extends TopNStores, Out>(txn: StateTxn<S, Out>, meta: TopNMeta, entity: string): boolean {
  const w = (txn as unknown as StateTxn<TopNStores, Out>).get('candidates', entity);
  return w !== undefined && (meta.threshold === null || w >= meta.threshold);
}
