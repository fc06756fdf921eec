import type { BlockRecord, Hex } from '../normalize/records.ts';

/** The three facts reorg detection needs about a block. */
export interface BlockRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
}

export function toBlockRef(block: Pick<BlockRecord, 'number' | 'hash' | 'parentHash'>): BlockRef {
  return { number: block.number, hash: block.hash, parentHash: block.parentHash };
}
