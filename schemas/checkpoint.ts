/**
 * The global ordering key of chain-derived records: a fixed-width digit string
 * that sorts lexically in the same order as the tuple
 * (block_timestamp ms, chain_id, block_number, tx_index, log_index).
 * Fixed width is what makes string order equal numeric order, so the key works
 * as a Kafka/LMDB/ClickHouse sort key without parsing.
 */
const WIDTHS = {
  // Epoch milliseconds: 13 digits last until the year 2286.
  timestampMs: 13,
  // EIP-155 chain ids are below 2^53 in practice (the largest registered ones have 13 digits).
  chainId: 16,
  // Block heights: 16 digits outlast any chain at one block per millisecond for 300 000 years.
  blockNumber: 16,
  // Transactions and logs per block are bounded by gas; 10 digits is far beyond any block.
  txIndex: 10,
  logIndex: 10,
} as const;

type Part = keyof typeof WIDTHS;
const ORDER: readonly Part[] = ['timestampMs', 'chainId', 'blockNumber', 'txIndex', 'logIndex'];

/** Length of every checkpoint string. */
export const CHECKPOINT_LENGTH = ORDER.reduce((n, part) => n + WIDTHS[part], 0);

export interface Checkpoint {
  /** Block timestamp, UTC epoch milliseconds (the records' block_timestamp). */
  timestampMs: number;
  chainId: number;
  blockNumber: number;
  /** 0 for block-level records. */
  txIndex: number;
  /** 0 for block- and transaction-level records. */
  logIndex: number;
}

export type CheckpointInput = { [K in keyof Checkpoint]: number | bigint };

/**
 * Encodes a checkpoint; throws RangeError for negative, fractional or too-wide parts.
 * @example encodeCheckpoint({ timestampMs: 1700000000000, chainId: 1, blockNumber: 18_000_000, txIndex: 3, logIndex: 7 })
 */
export function encodeCheckpoint(input: CheckpointInput): string {
  let out = '';
  for (const part of ORDER) {
    const value = BigInt(input[part]);
    const digits = value.toString();
    if (value < 0n || digits.length > WIDTHS[part]) {
      throw new RangeError(`checkpoint ${part} ${digits} does not fit ${WIDTHS[part]} digits`);
    }
    out += digits.padStart(WIDTHS[part], '0');
  }
  return out;
}

/** Decodes a checkpoint string; throws RangeError when it is not one. */
export function decodeCheckpoint(checkpoint: string): Checkpoint {
  if (checkpoint.length !== CHECKPOINT_LENGTH || !/^\d+$/.test(checkpoint)) {
    throw new RangeError(`not a checkpoint: ${JSON.stringify(checkpoint)}`);
  }
  const out = {} as Checkpoint;
  let at = 0;
  for (const part of ORDER) {
    out[part] = Number(checkpoint.slice(at, at + WIDTHS[part]));
    at += WIDTHS[part];
  }
  return out;
}

/** Field widths, in order, for code that must build the same string elsewhere (the ClickHouse `checkpoint` ALIAS). */
export const CHECKPOINT_WIDTHS: Readonly<Record<Part, number>> = WIDTHS;
