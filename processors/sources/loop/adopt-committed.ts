import type { Logger } from '../../../core/logger.ts';
import type { BlockRecord } from '../../../schemas/index.ts';
import type { Hex } from '../normalize/records.ts';
import type { RecentWindow } from '../checkpoint/recent-window.ts';
import type { SourceCheckpoint, SourceState } from '../checkpoint/source-state.ts';

export interface AdoptCommittedParameters {
  /** This stream's blocks found in the committed tail after its checkpoint, by number (the caller's filter). */
  candidates: ReadonlyMap<number, BlockRecord>;
  /** Every record of the committed tail: the returned `lastVersion` stays above all of them, adopted or not. */
  tail: readonly BlockRecord[];
  /** The first block the stream has not checkpointed (undefined: nothing to continue). */
  expect: number | undefined;
  window: RecentWindow;
  lastVersion: number;
  state: SourceState;
  /** Hashes kept in the window below its tip. */
  keep: number;
  logger: Logger;
}

/**
 * Published and committed in Kafka but not checkpointed (killed between the two): adopts exactly the blocks
 * that continue the checkpoint without a hole and with matching parent hashes, and checkpoints them, so they
 * are neither published twice nor skipped. Anything else is left to be fetched again.
 */
export function adoptCommittedBlocks(p: AdoptCommittedParameters): {
  checkpoint?: SourceCheckpoint;
  /** The next free version floor: above every adopted block and every record of the tail. */
  lastVersion: number;
  adopted: number;
} {
  let { expect, lastVersion } = p;
  let adopted = 0;
  while (expect !== undefined && p.candidates.has(expect)) {
    const r = p.candidates.get(expect)!;
    const parent = p.window.get(expect - 1);
    if (parent !== undefined && parent.hash !== r.header!.parent_hash) break;
    p.window.put({
      number: r.block_number,
      hash: r.block_hash as Hex,
      parentHash: r.header!.parent_hash as Hex,
      timestampMs: r.block_timestamp,
    });
    lastVersion = Math.max(lastVersion, r.version);
    adopted += 1;
    expect += 1;
  }
  // Versions stay above everything this chain has published (another stream's records included).
  const published = p.tail.reduce((max, r) => Math.max(max, r.version), lastVersion);
  if (adopted === 0) return { lastVersion: published, adopted };
  const tip = p.window.latest()!;
  const checkpoint: SourceCheckpoint = { blockNumber: tip.number, blockHash: tip.hash, lastVersion, updatedAtMs: Date.now() };
  p.window.pruneBelow(tip.number - p.keep);
  p.state.commit(checkpoint, p.window);
  p.logger.info({ msg: 'adopted blocks committed in Kafka after the last checkpoint', block: tip.number, blocks: adopted });
  return { checkpoint, lastVersion: published, adopted };
}
