/**
 * Retraction records: "block `blockHash` at `blockNumber` is no longer canonical;
 * undo everything derived from it". Downstream layers mark every row carrying that
 * block hash as orphaned (raw tables) or apply the inverse (aggregates).
 */
import type { Hex } from '../normalize/records.ts';
import type { BlockRef } from './block-ref.ts';
import type { ReorgCheck } from './detect-reorg.ts';

export interface BlockRetractionRecord {
  chainId: number;
  blockNumber: number;
  /** Hash of the orphaned block: the key every downstream row is retracted by. */
  blockHash: Hex;
  parentHash: Hex;
  /** Last block both branches share. */
  commonAncestorNumber: number;
  commonAncestorHash: Hex;
  /** Canonical hash now at this height, null when the new branch is shorter than the orphaned one. */
  replacedByHash: Hex | null;
  /** Wall-clock detection time (ms since epoch, UTC). */
  detectedAtMs: number;
}

/** Retractions for a reorg plan, newest orphan first (undo in reverse order of application). */
export function retractionsFor(
  check: Extract<ReorgCheck<BlockRef>, { type: 'reorg' }>,
  chainId: number,
  detectedAtMs: number,
): BlockRetractionRecord[] {
  const canonicalByNumber = new Map(check.canonical.map((b) => [b.number, b.hash] as const));
  return check.orphaned.map((o) => ({
    chainId,
    blockNumber: o.number,
    blockHash: o.hash,
    parentHash: o.parentHash,
    commonAncestorNumber: check.commonAncestor.number,
    commonAncestorHash: check.commonAncestor.hash,
    replacedByHash: canonicalByNumber.get(o.number) ?? null,
    detectedAtMs,
  }));
}
